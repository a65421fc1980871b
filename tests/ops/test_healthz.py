"""GET /healthz answers whether the database is reachable and when the scheduler last beat."""

from __future__ import annotations

import pytest

from shop.db import unit_of_work
from shop.ops.lease import acquire_or_renew

pytestmark = pytest.mark.anyio


async def test_healthz_reports_database_and_scheduler(client, app) -> None:
    first = await client.get("/healthz")
    assert first.status_code == 200
    assert first.json() == {"status": "ok", "database": "ok", "scheduler": {"running": False}}
    from datetime import timedelta

    async with unit_of_work(app.state.alchemy_config) as session:
        assert await acquire_or_renew(session, "test-holder", timedelta(seconds=30))
    second = (await client.get("/healthz")).json()
    assert second["scheduler"]["running"] is True
    assert second["scheduler"]["last_beat_seconds_ago"] < 5
