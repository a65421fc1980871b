"""Class reminders: 24 hours and 1 hour before each class, to every trainee of its cohort, kept in step when
the class moves or is cancelled and when the cohort's trainees change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.errors import N_
from shop.notifications.models import RecipientKind
from shop.notifications.services import PlannedReminder, sync_reminders, withdraw_reminders
from shop.timeutil import as_utc, to_local, utcnow
from shop.training.models import Enrollment, TrainingClass
from shop.training.progress import classes_of

REMINDERS_BEFORE = (("class.24h", timedelta(hours=24)), ("class.1h", timedelta(hours=1)))
REMINDER_TITLES = {
    "class.24h": N_("Class tomorrow: %(topic)s"),
    "class.1h": N_("Class in one hour: %(topic)s"),
}


def class_reminders(training_class: TrainingClass, trainee_ids: Sequence[int]) -> list[PlannedReminder]:
    """24 hours and 1 hour before the class, to every trainee of the cohort (times in Beijing time)."""
    starts = as_utc(training_class.starts_at)
    params = {
        "topic": training_class.topic,
        "time": to_local(starts).strftime("%Y-%m-%d %H:%M"),
        "place": training_class.place,
    }
    return [
        PlannedReminder(
            kind=kind,
            recipient_kind=RecipientKind.USER,
            recipient_id=user_id,
            due_at=starts - before,
            title=REMINDER_TITLES[kind],
            body=N_("%(time)s at %(place)s"),
            params=params,
            link=f"/training/classes/{training_class.id}",
        )
        for user_id in trainee_ids
        for kind, before in REMINDERS_BEFORE
    ]


async def sync_class_reminders(session: AsyncSession, training_class: TrainingClass) -> None:
    """The class's reminders as its time and cohort say now (withdrawn when it is cancelled)."""
    if training_class.cancelled:
        await withdraw_reminders(session, "class", training_class.id)
        return
    trainee_ids = await session.execute(
        select(Enrollment.user_id).where(Enrollment.cohort_id == training_class.cohort_id)
    )
    await sync_reminders(
        session,
        "class",
        training_class.id,
        class_reminders(training_class, sorted(trainee_ids.scalars())),
        version=as_utc(training_class.starts_at).isoformat(),
    )


async def sync_cohort_reminders(session: AsyncSession, cohort_id: int) -> None:
    """After enrolment changes: every upcoming class of the cohort gets the new list of trainees."""
    now = utcnow()
    for training_class in await classes_of(session, cohort_id):
        if not training_class.cancelled and as_utc(training_class.starts_at) > now:
            await sync_class_reminders(session, training_class)
