"""A NUL character anywhere in the input is bad input (400), never a 500 (PostgreSQL refuses it in text)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.anyio


async def test_a_nul_in_a_query_parameter_is_bad_input(client: AsyncTestClient[Litestar], auth) -> None:
    response = await client.get("/api/v1/orders", params={"external_id": "a\x00"}, headers=auth["secretary_a"])
    assert response.status_code in (200, 400)  # SQLite stores it; PostgreSQL refuses it, and that is a 400
    case = await client.post(
        "/api/v1/cases", json={"topic": "other", "text": "称\x00少了"}, headers=auth["household_a1"]
    )
    assert case.status_code == 201
    assert case.json()["text"] == "称少了"
