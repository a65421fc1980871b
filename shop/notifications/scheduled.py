"""The reminder job: deliver every due reminder exactly once to the inbox (and the external sender)."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from shop.notifications.senders import load_sender
from shop.notifications.services import dispatch_due_reminders
from shop.scheduling import JobContext, ScheduledJob

HOLDER = f"{socket.gethostname()}:{os.getpid()}"


async def send_due_reminders(ctx: JobContext) -> int:
    return await dispatch_due_reminders(
        ctx.alchemy,
        load_sender(ctx.settings),
        HOLDER,
        ctx.now,
        claim_timeout=timedelta(seconds=ctx.settings.reminder_claim_seconds),
    )


JOBS = [ScheduledJob("notifications.send_due_reminders", send_due_reminders, every_seconds=30)]
