"""Streams go live at their planned start and end at their planned end when nobody tapped."""

from __future__ import annotations

from shop.db import unit_of_work
from shop.scheduling import JobContext, ScheduledJob
from shop.streams.services import StreamService


async def advance_streams(ctx: JobContext) -> tuple[int, int]:
    async with unit_of_work(ctx.alchemy) as session:
        return await StreamService(session=session).advance_by_clock(ctx.now)


JOBS = [ScheduledJob("streams.advance_by_clock", advance_streams, every_seconds=30)]
