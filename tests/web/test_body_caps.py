"""Request body caps per route: the JSON API takes small bodies, page forms a little more, each upload
route its own larger cap; a body over the cap is a 413 that names the limit, in the page's language."""

from __future__ import annotations

import re

import pytest

from tests.conftest import World
from tests.web.test_pages import login_page_client

pytestmark = pytest.mark.anyio


async def test_an_oversized_json_body_is_413_naming_the_limit(client, world: World, auth, settings) -> None:
    assert settings.api_max_body_bytes == 256 * 1024
    body = {"name": "米" * 100_000, "category": "grain", "unit": "袋", "price_fen": 100}  # ~300 KB
    response = await client.post("/api/v1/products", json=body, headers=auth["secretary_a"])
    assert response.status_code == 413, response.text
    assert response.json()["detail"] == "The request is larger than this address takes: at most 256 KB."
    small = await client.post(
        "/api/v1/products",
        json={"name": "米", "category": "grain", "unit": "袋", "price_fen": 100},
        headers=auth["secretary_a"],
    )
    assert small.status_code == 201, small.text


async def test_an_upload_route_takes_more_than_the_json_cap(client, world: World, auth) -> None:
    # 400 KB of CSV: over the JSON API's cap, well under the product import's own.
    sheet = ("名称,分类,单位,价格(元)\n" + "米,粮食,袋,1\n" * 30_000).encode()
    assert len(sheet) > 256 * 1024
    response = await client.post(
        "/api/v1/products/import", files={"file": ("p.csv", sheet, "text/csv")}, headers=auth["secretary_a"]
    )
    assert response.status_code == 200, response.text


async def test_an_oversized_form_is_a_413_page_in_chinese(client, world: World, settings) -> None:
    await login_page_client(client, "secretary_a")
    page = await client.get("/households/new")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post(
        "/households/new", data={"_csrf_token": token, "head_name": "x" * (settings.max_body_bytes + 1)}
    )
    assert response.status_code == 413
    assert "最多接受 1 MB" in response.text
