"""The nightly purge drops sessions and API tokens expired by the job's clock (``ctx.now``), not the wall clock:
a run at a given moment removes exactly what had expired by then, whenever the job actually runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.accounts.models import ApiToken
from shop.db import read_session
from shop.ops.scheduled import purge_expired_sessions
from shop.scheduling import JobContext
from shop.timeutil import utcnow

pytestmark = pytest.mark.anyio


async def _tokens(app) -> int:
    async with read_session(app.state.alchemy_config) as session:
        return int((await session.execute(select(func.count()).select_from(ApiToken))).scalar_one())


async def _purge_at(app, moment) -> int:
    return await purge_expired_sessions(
        JobContext(app.state.alchemy_config, app.state.settings, moment, app.state.domains.events)
    )


async def test_tokens_expire_by_the_jobs_clock(app, auth):
    issued = await _tokens(app)
    assert issued == len(auth) > 0  # each token lives an hour

    assert await _purge_at(app, utcnow() + timedelta(minutes=30)) == 0
    assert await _tokens(app) == issued

    assert await _purge_at(app, utcnow() + timedelta(hours=2)) == issued
    assert await _tokens(app) == 0
