"""The scheduler process: APScheduler 3.11's AsyncIOScheduler with fixed jobs (explicit ids, in-memory
job store: nothing pickled), guarded by a database lease so only one process runs the jobs.

``shop scheduler`` runs it until stopped; ``shop scheduler --run-once --now ISO`` runs every job once
as if the clock said ``now`` and exits (tests and cron-style operation use it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.jobs import ALL_JOBS
from shop.db import create_alchemy_config, unit_of_work
from shop.events import DomainEvents
from shop.ops.lease import acquire_or_renew, release
from shop.scheduling import JobContext, ScheduledJob
from shop.settings import Settings
from shop.timeutil import SHANGHAI, utcnow
from shop.wiring import link_domains

log = logging.getLogger("scheduler")


@dataclass
class SchedulerRunner:
    settings: Settings
    alchemy: SQLAlchemyAsyncConfig
    events: DomainEvents
    jobs: list[ScheduledJob] = field(default_factory=lambda: list(ALL_JOBS))
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    is_leader: bool = False
    _scheduler: AsyncIOScheduler | None = field(default=None, repr=False)

    def active_jobs(self) -> list[ScheduledJob]:
        return [j for j in self.jobs if not (j.sqlite_only and not self.settings.is_sqlite)]

    @property
    def lease_ttl(self) -> timedelta:
        return timedelta(seconds=self.settings.scheduler_lease_seconds)

    async def renew_lease(self) -> bool:
        was_leader = self.is_leader
        try:
            async with unit_of_work(self.alchemy) as session:
                self.is_leader = await acquire_or_renew(session, self.holder, self.lease_ttl)
        except Exception:  # a lost database must not kill the process; we simply stop leading
            log.exception("lease renewal failed")
            self.is_leader = False
        if self.is_leader and not was_leader:
            log.info("took the lease", extra={"fields": {"holder": self.holder}})
            self._catch_up()
        return self.is_leader

    def _catch_up(self) -> None:
        """A new leader runs the interval jobs at once: the previous one may have died mid-work."""
        if self._scheduler is None:
            return
        now = datetime.now(SHANGHAI)
        for job in self.active_jobs():
            if job.every_seconds:
                scheduled = self._scheduler.get_job(job.id)
                if scheduled is not None:
                    scheduled.modify(next_run_time=now)

    async def run_job(self, job: ScheduledJob, now: datetime | None = None) -> object:
        if not self.is_leader:
            return None
        ctx = JobContext(alchemy=self.alchemy, settings=self.settings, now=now or utcnow(), events=self.events)
        try:
            result = await job.func(ctx)
        except Exception:
            log.exception("job failed", extra={"fields": {"job": job.id}})
            return None
        log.info("job ran", extra={"fields": {"job": job.id, "result": str(result)[:200]}})
        return result

    async def run_once(self, now: datetime | None = None) -> dict[str, object]:
        """Every job once, as if the clock said ``now``; only if this process wins the lease."""
        results: dict[str, object] = {}
        if not await self.renew_lease():
            log.info("another scheduler holds the lease; nothing run")
            return results
        try:
            for job in self.active_jobs():
                results[job.id] = await self.run_job(job, now)
        finally:
            async with unit_of_work(self.alchemy) as session:
                await release(session, self.holder)
        return results

    def build(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(
            timezone=SHANGHAI,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        renew_every = max(1, self.settings.scheduler_lease_seconds // 3)
        scheduler.add_job(self.renew_lease, IntervalTrigger(seconds=renew_every), id="lease")
        for job in self.active_jobs():
            if job.every_seconds:
                trigger = IntervalTrigger(seconds=job.every_seconds)
            else:
                hour, minute = (job.daily_at or "03:00").split(":")
                trigger = CronTrigger(hour=int(hour), minute=int(minute), timezone=SHANGHAI)
            scheduler.add_job(self.run_job, trigger, args=[job], id=job.id, name=job.id, replace_existing=True)
        return scheduler

    async def run_forever(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        scheduler = self.build()
        scheduler.start()
        self._scheduler = scheduler
        await self.renew_lease()
        log.info("scheduler started", extra={"fields": {"holder": self.holder, "leader": self.is_leader}})
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            if self.is_leader:
                async with unit_of_work(self.alchemy) as session:
                    await release(session, self.holder)
            await self.alchemy.get_engine().dispose()
            log.info("scheduler stopped")


def make_runner(settings: Settings) -> SchedulerRunner:
    """The scheduler process's runner, with its own links between the domains (no live board here: the
    boards' watchers live in the web processes and look at the database every few seconds)."""
    return SchedulerRunner(settings=settings, alchemy=create_alchemy_config(settings), events=link_domains().events)
