"""Training's timed job: issue the certificates that became due outside a request (a practice stream ended)."""

from __future__ import annotations

from shop.db import unit_of_work
from shop.scheduling import JobContext, ScheduledJob
from shop.training.progress import TrainingProgress


async def issue_due_certificates(ctx: JobContext) -> int:
    """Practice streams end on the streams side; this pass notices trainees who have now met their rule.

    Safe to run twice: a certificate is unique per trainee and cohort, and one already issued is skipped.
    """
    async with unit_of_work(ctx.alchemy) as session:
        return await TrainingProgress(session).issue_due_certificates(now=ctx.now)


JOBS = [
    ScheduledJob("training.issue_due_certificates", issue_due_certificates, every_seconds=600),
]
