"""The SMS jobs: send what is due (every 30 s), and each evening queue the households' daily digest."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from shop.scheduling import JobContext, ScheduledJob
from shop.sms.digest import queue_daily_digests
from shop.sms.providers import load_provider
from shop.sms.services import dispatch_due_sms

HOLDER = f"{socket.gethostname()}:{os.getpid()}"
DIGEST_AT = "20:00"


async def send_due_sms(ctx: JobContext) -> int:
    return await dispatch_due_sms(
        ctx.alchemy,
        load_provider(ctx.settings),
        ctx.settings,
        HOLDER,
        ctx.now,
        claim_timeout=timedelta(seconds=ctx.settings.reminder_claim_seconds),
    )


async def queue_daily_sales_digests(ctx: JobContext) -> int:
    return await queue_daily_digests(ctx.alchemy, ctx.now)


JOBS = [
    ScheduledJob("sms.send_due", send_due_sms, every_seconds=30),
    ScheduledJob("sms.daily_sales", queue_daily_sales_digests, daily_at=DIGEST_AT),
]
