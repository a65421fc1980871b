"""The scheduler: one lease holder runs the jobs; another takes over when the lease expires;
``--run-once --now`` runs every job once as if the clock said so."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.runner import SchedulerRunner
from shop.db import create_alchemy_config, unit_of_work
from shop.events import DomainEvents
from shop.ops.lease import acquire_or_renew, lease_state
from shop.scheduling import JobContext, ScheduledJob

pytestmark = pytest.mark.anyio


def _runner(settings, calls: list[str], name: str) -> SchedulerRunner:
    async def record(ctx: JobContext) -> str:
        calls.append(name)
        await asyncio.sleep(0.05)
        return name

    return SchedulerRunner(
        settings=settings,
        alchemy=create_alchemy_config(settings),
        events=DomainEvents(),
        jobs=[ScheduledJob("test.record", record, every_seconds=60)],
        holder=name,
    )


async def test_two_schedulers_started_together_run_the_jobs_once(settings) -> None:
    calls: list[str] = []
    one, two = _runner(settings, calls, "one"), _runner(settings, calls, "two")
    results = await asyncio.gather(one.run_once(), two.run_once())
    assert len(calls) == 1
    assert sum(1 for r in results if r) == 1
    for runner in (one, two):
        await runner.alchemy.get_engine().dispose()


async def test_a_second_scheduler_takes_over_when_the_lease_expires(settings) -> None:
    lease_ttl = timedelta(seconds=settings.scheduler_lease_seconds)
    alchemy = create_alchemy_config(settings)
    start = datetime.now(UTC)
    async with unit_of_work(alchemy) as session:
        assert await acquire_or_renew(session, "first", lease_ttl, now=start)
    async with unit_of_work(alchemy) as session:
        assert not await acquire_or_renew(session, "second", lease_ttl, now=start + timedelta(seconds=10))
    async with unit_of_work(alchemy) as session:
        assert await acquire_or_renew(session, "first", lease_ttl, now=start + timedelta(seconds=20))
    later = start + timedelta(seconds=20) + lease_ttl + timedelta(seconds=1)
    async with unit_of_work(alchemy) as session:
        assert await acquire_or_renew(session, "second", lease_ttl, now=later)
    async with unit_of_work(alchemy) as session:
        lease = await lease_state(session)
    assert lease is not None
    assert lease.holder == "second"
    await alchemy.get_engine().dispose()


async def test_run_once_passes_the_given_now_to_every_job(settings) -> None:
    seen: list[datetime] = []

    async def remember(ctx: JobContext) -> None:
        seen.append(ctx.now)

    runner = SchedulerRunner(
        settings=settings,
        alchemy=create_alchemy_config(settings),
        events=DomainEvents(),
        jobs=[ScheduledJob("a", remember, every_seconds=5), ScheduledJob("b", remember, daily_at="03:00")],
    )
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    await runner.run_once(now)
    assert seen == [now, now]
    await runner.alchemy.get_engine().dispose()


async def test_a_failing_job_does_not_stop_the_others(settings) -> None:
    ran: list[str] = []

    async def broken(ctx: JobContext) -> None:
        raise RuntimeError("boom")

    async def fine(ctx: JobContext) -> str:
        ran.append("fine")
        return "ok"

    runner = SchedulerRunner(
        settings=settings,
        alchemy=create_alchemy_config(settings),
        events=DomainEvents(),
        jobs=[ScheduledJob("broken", broken, every_seconds=5), ScheduledJob("fine", fine, every_seconds=5)],
    )
    results = await runner.run_once()
    assert ran == ["fine"]
    assert results == {"broken": None, "fine": "ok"}
    await runner.alchemy.get_engine().dispose()
