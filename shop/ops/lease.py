"""A lease in the database decides which scheduler process runs the jobs, so timed work runs once
however many processes start. A holder renews it; when it stops renewing, another takes over."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop.db import rows_matched
from shop.ops.models import SchedulerLease
from shop.timeutil import as_utc, utcnow

SCHEDULER_LEASE = "scheduler"


async def acquire_or_renew(
    session: AsyncSession, holder: str, ttl: timedelta, *, name: str = SCHEDULER_LEASE, now: datetime | None = None
) -> bool:
    """True when ``holder`` holds the lease after this call (renewed, taken over, or newly made)."""
    now = now or utcnow()
    result = await session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now),
        )
        .values(holder=holder, expires_at=now + ttl, heartbeat_at=now)
    )
    if rows_matched(result):
        return True
    existing = await session.get(SchedulerLease, name)
    if existing is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl, heartbeat_at=now))
    except IntegrityError:
        return False  # another process made the row first; it holds the lease
    return True


async def release(session: AsyncSession, holder: str, *, name: str = SCHEDULER_LEASE) -> None:
    await session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=utcnow())
    )


async def lease_state(session: AsyncSession, *, name: str = SCHEDULER_LEASE) -> SchedulerLease | None:
    row = (await session.execute(select(SchedulerLease).where(SchedulerLease.name == name))).scalar_one_or_none()
    if row is not None:
        row.expires_at = as_utc(row.expires_at)
        row.heartbeat_at = as_utc(row.heartbeat_at)
    return row
