"""Logs carry no personal data: no query strings, no bodies, phone numbers scrubbed."""

from __future__ import annotations

import json
import logging

import pytest

from shop.logs import JsonFormatter
from tests.conftest import World

pytestmark = pytest.mark.anyio


async def test_request_log_has_the_path_but_not_the_query_or_the_body(client, world: World, auth, caplog) -> None:
    caplog.set_level(logging.INFO, logger="shop.access")
    await client.get("/api/v1/households?q=13904210001", headers=auth["secretary_a"])
    await client.post(
        "/api/v1/households",
        json={"code": "CJD-077", "name": "隐私", "phone": "13987654321", "pin": "123456"},
        headers=auth["secretary_a"],
    )
    records = [r for r in caplog.records if r.name == "shop.access"]
    assert len(records) >= 2
    lines = [JsonFormatter().format(r) for r in records]
    assert any('"path": "/api/v1/households"' in line for line in lines)
    for line in lines:
        assert "13904210001" not in line
        assert "13987654321" not in line
        assert "隐私" not in line


def test_formatter_scrubs_phone_numbers_from_messages() -> None:
    record = logging.LogRecord("shop", logging.WARNING, __file__, 1, "buyer 13812345678 called", None, None)
    entry = json.loads(JsonFormatter().format(record))
    assert "13812345678" not in entry["msg"]
    assert "138****5678" in entry["msg"]
