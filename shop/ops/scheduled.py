"""Operations jobs: nightly SQLite backup and expired web-session cleanup."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from sqlalchemy import delete

from shop.accounts.models import ApiToken, WebSession
from shop.accounts.throttle import purge_statement
from shop.db import rows_matched, unit_of_work
from shop.ops.backup import lower_thread_priority, nightly_backup
from shop.scheduling import JobContext, ScheduledJob
from shop.timeutil import local_today

log = logging.getLogger("shop.ops")


async def backup_database(ctx: JobContext) -> str | None:
    """Once per Beijing day: skip when today's copy exists already (so a re-run does nothing)."""
    today = local_today(ctx.now).strftime("%Y%m%d")
    if any(ctx.settings.backup_dir.glob(f"shop-{today}-*.db")):
        return None
    # Its own thread at a lower CPU priority: the copy's integrity check is a minute of CPU at a county's size,
    # and the web worker serving orders beside it comes first. The thread ends with the job.
    with ThreadPoolExecutor(1, thread_name_prefix="backup", initializer=lower_thread_priority) as pool:
        path = await asyncio.get_running_loop().run_in_executor(
            pool, partial(nightly_backup, ctx.settings, now=ctx.now.replace(tzinfo=None))
        )
    log.info("backup written", extra={"fields": {"file": path.name}})
    return str(path)


async def purge_expired_sessions(ctx: JobContext) -> int:
    async with unit_of_work(ctx.alchemy) as session:
        sessions = await session.execute(delete(WebSession).where(WebSession.expires_at <= ctx.now))
        tokens = await session.execute(delete(ApiToken).where(ApiToken.expires_at <= ctx.now))
        counts = await session.execute(purge_statement(ctx.now))  # failed-login windows that are over
    return rows_matched(sessions) + rows_matched(tokens) + rows_matched(counts)


JOBS = [
    ScheduledJob("ops.backup_database", backup_database, daily_at="03:30", sqlite_only=True),
    ScheduledJob("ops.purge_expired_sessions", purge_expired_sessions, daily_at="04:10"),
]
