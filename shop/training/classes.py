"""A cohort's classes: scheduling and moving them (their reminders move too), cancelling, the roll, and a
trainee's check-in with the code on the secretary's screen; and the classes in a user's calendar feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop import i18n
from shop.accounts.models import Role
from shop.accounts.principal import Principal
from shop.calendar_feed import CalendarEvent
from shop.errors import N_, Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from shop.notifications.services import withdraw_reminders
from shop.text import clean_text
from shop.timeutil import as_utc, utcnow
from shop.training import checkin
from shop.training.cohorts import CohortService
from shop.training.inputs import clean_instant
from shop.training.models import (
    Attendance,
    AttendanceStatus,
    CheckInAttempt,
    Enrollment,
    TrainingClass,
)
from shop.training.progress import TrainingProgress, classes_of
from shop.training.reminders import sync_class_reminders
from shop.training.rules import ATTENDED

MAX_CLASS_LENGTH = timedelta(hours=12)


CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
LATE_AFTER = timedelta(minutes=10)
# Codes a trainee may type for one class without one being accepted (a code is one of a million, two are
# valid at a time: five tries are a 1 in 100,000 chance of guessing). Then the secretary takes the roll.
MAX_CHECKIN_FAILURES = 5


class CheckInLocked(DomainError):
    status_code = 429

    def __init__(self, limit: int) -> None:
        super().__init__(
            N_("%(limit)s wrong codes for this class: check-in is closed for you. Ask the secretary to mark you."),
            field="code",
            limit=limit,
        )


class ClassService(SQLAlchemyAsyncRepositoryService[TrainingClass, SQLAlchemyAsyncRepository[TrainingClass]]):
    class Repo(SQLAlchemyAsyncRepository[TrainingClass]):
        model_type = TrainingClass

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        session = self.repository.session
        assert isinstance(session, AsyncSession)  # services are built on a request's or a job's AsyncSession
        return session

    @staticmethod
    def _clean_times(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
        starts = clean_instant(starts_at, "starts_at")
        ends = clean_instant(ends_at, "ends_at")
        if ends <= starts:
            raise InvalidInput("ends_at", N_("The class must end after it starts."))
        if ends - starts > MAX_CLASS_LENGTH:
            raise InvalidInput("ends_at", N_("A class lasts at most 12 hours."))
        return starts, ends

    async def schedule_class(
        self, actor: Principal, cohort_id: int, *, topic: str, place: str, starts_at: datetime, ends_at: datetime
    ) -> TrainingClass:
        actor.require_staff()
        cohort = await CohortService(session=self.session).get_for(actor, cohort_id)
        starts, ends = self._clean_times(starts_at, ends_at)
        training_class = TrainingClass(
            cohort_id=cohort.id,
            topic=clean_text(topic, "topic", max_len=100, line=True, missing=N_("Give the class a topic.")),
            place=clean_text(place, "place", max_len=100, line=True, missing=N_("Say where the class is held.")),
            starts_at=starts,
            ends_at=ends,
        )
        self.session.add(training_class)
        await self.session.flush()
        await self.session.refresh(training_class)
        await sync_class_reminders(self.session, training_class)
        return training_class

    async def get_for(self, actor: Principal, class_id: int) -> TrainingClass:
        training_class = await self.repository.get_one_or_none(id=class_id)
        if training_class is None:
            raise NotFound()
        await CohortService(session=self.session).get_for(actor, training_class.cohort_id)
        return training_class

    async def classes_of(self, cohort_id: int) -> list[TrainingClass]:
        return await classes_of(self.session, cohort_id)

    async def update_class(
        self,
        actor: Principal,
        class_id: int,
        *,
        topic: str | None = None,
        place: str | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> TrainingClass:
        """Change the topic, the place or the time; the trainees' reminders move with it."""
        actor.require_staff()
        training_class = await self.get_for(actor, class_id)
        if training_class.cancelled:
            raise Conflict(N_("This class was cancelled; schedule a new one instead."))
        if topic is not None:
            training_class.topic = clean_text(
                topic, "topic", max_len=100, line=True, missing=N_("Give the class a topic.")
            )
        if place is not None:
            training_class.place = clean_text(
                place, "place", max_len=100, line=True, missing=N_("Say where the class is held.")
            )
        if starts_at is not None and ends_at is None:
            # Moving only the start keeps the class as long as it was.
            ends_at = as_utc(starts_at) + (as_utc(training_class.ends_at) - as_utc(training_class.starts_at))
        starts, ends = self._clean_times(starts_at or training_class.starts_at, ends_at or training_class.ends_at)
        training_class.starts_at, training_class.ends_at = starts, ends
        await self.session.flush()
        await sync_class_reminders(self.session, training_class)
        return training_class

    async def cancel_class(self, actor: Principal, class_id: int) -> TrainingClass:
        actor.require_staff()
        training_class = await self.get_for(actor, class_id)
        if training_class.cancelled:
            return training_class
        training_class.cancelled_at = utcnow()
        await self.session.flush()
        await withdraw_reminders(self.session, "class", training_class.id)
        # One class fewer may bring someone's attendance over the line.
        await TrainingProgress(self.session).issue_due_certificates(cohort_id=training_class.cohort_id)
        return training_class

    async def roll(self, training_class: TrainingClass) -> list[tuple[Enrollment, Attendance | None]]:
        enrollments = await CohortService(session=self.session).enrollments(training_class.cohort_id)
        rows = await self.session.execute(select(Attendance).where(Attendance.class_id == training_class.id))
        marks = {a.user_id: a for a in rows.scalars()}
        return [(e, marks.get(e.user_id)) for e in sorted(enrollments, key=lambda e: (e.user.name, e.user_id))]

    async def record_attendance(
        self, actor: Principal, class_id: int, marks: Mapping[int, str], *, now: datetime | None = None
    ) -> list[Attendance]:
        """The secretary's roll: present / late / excused / absent for each trainee named."""
        actor.require_staff()
        now = now or utcnow()
        training_class = await self.get_for(actor, class_id)
        if training_class.cancelled:
            raise Conflict(N_("This class was cancelled; there is no attendance to take."))
        enrolled = {e.user_id for e in await CohortService(session=self.session).enrollments(training_class.cohort_id)}
        for user_id, status in marks.items():
            if user_id not in enrolled:
                raise InvalidInput("marks", N_("User %(id)s is not in this class's cohort."), id=user_id)
            if status not in {s.value for s in AttendanceStatus}:
                raise InvalidInput("status", N_("The status must be present, late, excused or absent."))
            if status in ATTENDED and now < as_utc(training_class.starts_at) - CHECKIN_OPENS_BEFORE:
                raise InvalidInput("status", N_("A class that has not started cannot be marked present or late."))
        existing = {
            a.user_id: a
            for a in (
                await self.session.execute(select(Attendance).where(Attendance.class_id == training_class.id))
            ).scalars()
        }
        recorded: list[Attendance] = []
        for user_id, status in marks.items():
            mark = existing.get(user_id)
            if mark is None:
                mark = Attendance(class_id=training_class.id, user_id=user_id, status=status)
                self.session.add(mark)
            mark.status = status
            mark.recorded_by = actor.user_id or None
            recorded.append(mark)
        await self.session.flush()
        progress = TrainingProgress(self.session)
        for user_id in marks:
            await progress.issue_if_met(training_class.cohort, user_id, now=now)
        return recorded

    async def check_in_target(self, actor: Principal, class_id: int) -> TrainingClass:
        """The class a trainee wants to check in to; a trainee of another cohort is told so, plainly."""
        if actor.kind != "user" or actor.role != Role.TRAINEE.value:
            raise PermissionDenied(N_("Only trainees check in; staff take the roll on the class page."))
        training_class = await self.repository.get_one_or_none(id=class_id)
        if training_class is None or not actor.can_reach_village(training_class.cohort.village_id):
            raise NotFound()
        if await CohortService(session=self.session).enrollment_of(training_class.cohort_id, actor.id) is None:
            raise PermissionDenied(N_("You are not in this class's cohort, so you cannot check in to it."))
        return training_class

    @staticmethod
    def check_in_open(training_class: TrainingClass, now: datetime) -> bool:
        """From 30 minutes before the start until the end of the class."""
        opens = as_utc(training_class.starts_at) - CHECKIN_OPENS_BEFORE
        return not training_class.cancelled and opens <= as_utc(now) <= as_utc(training_class.ends_at)

    async def _take_attempt(self, class_id: int, user_id: int) -> None:
        """Count this attempt before the code is checked, with a conditional update: concurrent guesses
        never get more than ``MAX_CHECKIN_FAILURES`` between them, on either database."""
        exists = select(CheckInAttempt.id).where(CheckInAttempt.class_id == class_id, CheckInAttempt.user_id == user_id)
        if (await self.session.execute(exists)).scalar_one_or_none() is None:
            try:
                async with self.session.begin_nested():
                    self.session.add(CheckInAttempt(class_id=class_id, user_id=user_id, failures=0))
            except IntegrityError:
                pass  # another tap made it first
        taken = await self.session.execute(
            update(CheckInAttempt)
            .where(
                CheckInAttempt.class_id == class_id,
                CheckInAttempt.user_id == user_id,
                CheckInAttempt.failures < MAX_CHECKIN_FAILURES,
            )
            .values(failures=CheckInAttempt.failures + 1)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], taken).rowcount == 0:
            raise CheckInLocked(MAX_CHECKIN_FAILURES)

    async def check_in(
        self, actor: Principal, secret_key: str, class_id: int, code: str, *, now: datetime | None = None
    ) -> Attendance:
        """A trainee checks in with the code on the secretary's screen (this minute's or the last one's).

        Arriving more than 10 minutes after the start counts as late. The first check-in stands.
        """
        now = now or utcnow()
        training_class = await self.check_in_target(actor, class_id)
        if training_class.cancelled:
            raise Conflict(N_("This class was cancelled."))
        if now < as_utc(training_class.starts_at) - CHECKIN_OPENS_BEFORE:
            raise Conflict(N_("Check-in opens 30 minutes before the class starts."))
        if now > as_utc(training_class.ends_at):
            raise Conflict(N_("This class is over. Ask the secretary to mark your attendance."))
        await self._take_attempt(training_class.id, actor.id)
        if not checkin.is_valid_code(secret_key, training_class.id, code, now):
            # The attempt stays counted: committed now, as the refusal rolls the request's work back.
            await self.session.commit()
            raise InvalidInput("code", N_("This code is wrong or too old. Scan the code on the screen again."))
        await self.session.execute(
            update(CheckInAttempt)
            .where(CheckInAttempt.class_id == training_class.id, CheckInAttempt.user_id == actor.id)
            .values(failures=CheckInAttempt.failures - 1)
            .execution_options(synchronize_session=False)
        )
        late = now > as_utc(training_class.starts_at) + LATE_AFTER
        status = AttendanceStatus.LATE if late else AttendanceStatus.PRESENT
        stmt = select(Attendance).where(Attendance.class_id == training_class.id, Attendance.user_id == actor.id)
        mark = (await self.session.execute(stmt)).scalar_one_or_none()
        if mark is None:
            mark = Attendance(
                class_id=training_class.id,
                user_id=actor.id,
                status=status.value,
                checked_in_at=now,
                recorded_by=actor.id,
            )
            try:
                async with self.session.begin_nested():
                    self.session.add(mark)
            except IntegrityError:
                # A second tap on the same phone got there first: that check-in stands.
                return (await self.session.execute(stmt)).scalar_one()
        elif mark.status in ATTENDED:
            return mark
        else:
            # Marked absent or excused before the trainee turned up: being here wins.
            mark.status, mark.checked_in_at, mark.recorded_by = status.value, now, actor.id
            await self.session.flush()
        await TrainingProgress(self.session).issue_if_met(training_class.cohort, actor.id, now=now)
        return mark


async def class_events_for_user(session: AsyncSession, user_id: int, *, base_url: str = "") -> list[CalendarEvent]:
    """The classes of every cohort the user is enrolled in, for their calendar feed (cancelled ones marked)."""
    rows = await session.execute(
        select(TrainingClass)
        .join(Enrollment, Enrollment.cohort_id == TrainingClass.cohort_id)
        .where(Enrollment.user_id == user_id)
        .order_by(TrainingClass.starts_at)
    )
    events = []
    for training_class in rows.scalars():
        cohort = training_class.cohort
        events.append(
            CalendarEvent(
                uid=f"class-{training_class.id}@cunbo",
                title=i18n.gettext_(N_("Class: %(topic)s"), topic=training_class.topic),
                starts_at=as_utc(training_class.starts_at),
                ends_at=as_utc(training_class.ends_at),
                location=training_class.place,
                description=f"{cohort.course.title} · {cohort.name}",
                url=f"{base_url}/training/classes/{training_class.id}",
                cancelled=training_class.cancelled,
                updated_at=as_utc(training_class.updated_at),
            )
        )
    return events
