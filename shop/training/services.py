"""Training rules: courses and lessons, cohorts and enrolment, classes with their reminders, the roll and check-in.

Who reaches what: a secretary their village's training, an admin every village's, a trainee only the
published courses they are enrolled in and only their own progress (anything else is answered 404).
Progress against a course's rule and the certificates it earns are in ``progress``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop import i18n
from shop.accounts.models import Role, User
from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher
from shop.accounts.services import UserService
from shop.calendar_feed import CalendarEvent
from shop.errors import N_, Conflict, InvalidInput, NotFound, PermissionDenied
from shop.notifications.models import RecipientKind
from shop.notifications.services import PlannedReminder, sync_reminders, withdraw_reminders
from shop.paging import Paging
from shop.timeutil import as_utc, to_local, utcnow
from shop.training import checkin
from shop.training.files import StoredLessonFile
from shop.training.models import (
    Attendance,
    AttendanceStatus,
    Cohort,
    Course,
    Enrollment,
    Lesson,
    LessonProgress,
    TrainingClass,
)
from shop.training.progress import TraineeProgress, TrainingProgress, classes_of, enrollment_of
from shop.training.rules import ATTENDED, CompletionRule
from shop.villages.models import Village
from shop.villages.services import clean_phone

MAX_LESSONS = 60
LESSON_BODY_MAX = 20_000
DESCRIPTION_MAX = 2_000
# Reading time for a lesson whose minutes were not given: about 300 Chinese characters a minute on a phone.
CHARACTERS_PER_MINUTE = 300
MAX_CLASS_LENGTH = timedelta(hours=12)
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
LATE_AFTER = timedelta(minutes=10)
REMINDERS_BEFORE = (("class.24h", timedelta(hours=24)), ("class.1h", timedelta(hours=1)))
REMINDER_TITLES = {
    "class.24h": N_("Class tomorrow: %(topic)s"),
    "class.1h": N_("Class in one hour: %(topic)s"),
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- input -----------------------------------------------------------------------------------------------


def clean_line(value: str | None, field: str, *, max_len: int, missing: str | None = None) -> str:
    """One line of text; ``missing`` is the message when it is required and empty."""
    text = (value or "").strip()
    if missing and not text:
        raise InvalidInput(field, missing)
    if len(text) > max_len:
        raise InvalidInput(field, N_("At most %(max)d characters, please."), max=max_len)
    if _LINE_CONTROL.search(text):
        raise InvalidInput(field, N_("This text holds invisible control characters; type it again."))
    return text


def clean_body(value: str | None, field: str, *, max_len: int) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > max_len:
        raise InvalidInput(field, N_("At most %(max)d characters, please."), max=max_len)
    if _CONTROL.search(text):
        raise InvalidInput(field, N_("This text holds invisible control characters; type it again."))
    return text


def clean_video_url(value: str | None, field: str = "video_url") -> str:
    url = clean_line(value, field, max_len=500)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(field, N_("The video link must be a web address starting with https:// or http://."))
    return url


def clean_whole(value: object, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(field, N_("Enter a whole number from %(low)d to %(high)d."), low=low, high=high)
    return value


def clean_rule(rule: CompletionRule) -> CompletionRule:
    return CompletionRule(
        require_all_lessons=bool(rule.require_all_lessons),
        min_attendance_percent=clean_whole(rule.min_attendance_percent, "min_attendance_percent", low=0, high=100),
        min_practice_streams=clean_whole(rule.min_practice_streams, "min_practice_streams", low=0, high=50),
    )


def clean_instant(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(field, N_("Give the time with its time zone, e.g. 2026-12-01T14:00:00+08:00."))
    moment = as_utc(value)
    if not EARLIEST <= moment < LATEST:
        raise InvalidInput(field, N_("The time is out of range; check the year."))
    return moment


def clean_day(value: date | None, field: str) -> date | None:
    if value is not None and not EARLIEST.date() <= value < LATEST.date():
        raise InvalidInput(field, N_("The date is out of range; check the year."))
    return value


@dataclass
class LessonFields:
    """A lesson's editable text, checked once for the API, the forms and the starter course."""

    title: str
    body_md: str = ""
    minutes: int | None = None
    video_url: str = ""

    def cleaned(self, prefix: str = "") -> LessonFields:
        body = clean_body(self.body_md, f"{prefix}body_md", max_len=LESSON_BODY_MAX)
        minutes = self.minutes
        if minutes is None:
            minutes = max(1, -(-len(body) // CHARACTERS_PER_MINUTE))
        return LessonFields(
            title=clean_line(self.title, f"{prefix}title", max_len=100, missing=N_("Give the lesson a title.")),
            body_md=body,
            minutes=clean_whole(minutes, f"{prefix}minutes", low=1, high=600),
            video_url=clean_video_url(self.video_url, f"{prefix}video_url"),
        )


# --- courses and lessons ------------------------------------------------------------------------------------


def _trainee_courses(user_id: int) -> Select[tuple[int]]:
    """The ids of the courses the user is enrolled in (through any cohort)."""
    return (
        select(Cohort.course_id)
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .where(Enrollment.user_id == user_id)
    )


class CourseService(SQLAlchemyAsyncRepositoryService[Course]):
    class Repo(SQLAlchemyAsyncRepository[Course]):
        model_type = Course

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

    async def create_course(
        self,
        actor: Principal,
        *,
        title: str,
        description: str = "",
        lessons: Sequence[LessonFields] = (),
        rule: CompletionRule | None = None,
        published: bool = False,
        village_id: int | None = None,
        starter_key: str | None = None,
    ) -> Course:
        actor.require_staff()
        target = actor.target_village(village_id)
        if await self.session.get(Village, target) is None:
            raise InvalidInput("village_id", N_("There is no village with this id."))
        if len(lessons) > MAX_LESSONS:
            raise InvalidInput("lessons", N_("A course holds at most %(max)d lessons."), max=MAX_LESSONS)
        clean_lessons = [fields.cleaned(f"lessons[{i}].") for i, fields in enumerate(lessons)]
        rule = clean_rule(rule or CompletionRule())
        course = Course(
            village_id=target,
            title=clean_line(title, "title", max_len=100, missing=N_("Give the course a title.")),
            description=clean_body(description, "description", max_len=DESCRIPTION_MAX),
            require_all_lessons=rule.require_all_lessons,
            min_attendance_percent=rule.min_attendance_percent,
            min_practice_streams=rule.min_practice_streams,
            published_at=utcnow() if published else None,
            starter_key=starter_key,
            lessons=[
                Lesson(
                    position=i,
                    title=f.title,
                    body_md=f.body_md,
                    minutes=f.minutes,
                    video_url=f.video_url,
                )
                for i, f in enumerate(clean_lessons, start=1)
            ],
        )
        self.session.add(course)
        await self.session.flush()
        return course

    async def list_for(self, actor: Principal, paging: Paging) -> tuple[Sequence[Course], int]:
        filters: list = []
        if actor.kind != "user":
            raise NotFound()
        if actor.is_staff:
            scope = actor.village_filter()
            if scope is not None:
                filters.append(Course.village_id == scope)
        else:
            filters += [Course.id.in_(_trainee_courses(actor.id)), Course.published_at.is_not(None)]
        return await self.get_many_and_count(*filters, paging.filter, order_by=[(Course.id, False)])

    async def get_for(self, actor: Principal, course_id: int) -> Course:
        course = await self.repository.get_one_or_none(id=course_id)
        if course is None or actor.kind != "user":
            raise NotFound()
        if actor.is_staff:
            actor.ensure_village(course.village_id)
            return course
        if not course.published or not await self._is_enrolled(actor.id, course.id):
            raise NotFound()
        return course

    async def _is_enrolled(self, user_id: int, course_id: int) -> bool:
        stmt = _trainee_courses(user_id).where(Cohort.course_id == course_id).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def update_course(
        self,
        actor: Principal,
        course_id: int,
        *,
        title: str | None = None,
        description: str | None = None,
        rule: CompletionRule | None = None,
        published: bool | None = None,
    ) -> Course:
        actor.require_staff()
        course = await self.get_for(actor, course_id)
        if title is not None:
            course.title = clean_line(title, "title", max_len=100, missing=N_("Give the course a title."))
        if description is not None:
            course.description = clean_body(description, "description", max_len=DESCRIPTION_MAX)
        if rule is not None:
            rule = clean_rule(rule)
            course.require_all_lessons = rule.require_all_lessons
            course.min_attendance_percent = rule.min_attendance_percent
            course.min_practice_streams = rule.min_practice_streams
        if published is not None and published != course.published:
            if published and not course.lessons:
                raise Conflict(N_("Add at least one lesson before publishing the course."), field="published")
            course.published_at = utcnow() if published else None
        await self.session.flush()
        if rule is not None:
            # A gentler rule may already be met by some trainees: their certificates are due now.
            await TrainingProgress(self.session).issue_due_certificates(course_id=course.id)
        return course

    async def lesson_for(self, actor: Principal, lesson_id: int) -> Lesson:
        """A lesson its reader may open: staff of the course's village, or a trainee enrolled in it."""
        return (await self.lesson_and_course(actor, lesson_id))[0]

    async def lesson_and_course(self, actor: Principal, lesson_id: int) -> tuple[Lesson, Course]:
        """``lesson_for`` with the course its reach was checked on."""
        lesson = await self.session.get(Lesson, lesson_id)
        if lesson is None:
            raise NotFound()
        return lesson, await self.get_for(actor, lesson.course_id)

    async def add_lesson(self, actor: Principal, course_id: int, fields: LessonFields) -> Lesson:
        actor.require_staff()
        course = await self.get_for(actor, course_id)
        if len(course.lessons) >= MAX_LESSONS:
            raise InvalidInput("lessons", N_("A course holds at most %(max)d lessons."), max=MAX_LESSONS)
        clean = fields.cleaned()
        lesson = Lesson(
            position=max((lesson.position for lesson in course.lessons), default=0) + 1,
            title=clean.title,
            body_md=clean.body_md,
            minutes=clean.minutes,
            video_url=clean.video_url,
        )
        course.lessons.append(lesson)
        await self.session.flush()
        return lesson

    async def update_lesson(self, actor: Principal, lesson_id: int, fields: LessonFields) -> Lesson:
        actor.require_staff()
        lesson = await self.lesson_for(actor, lesson_id)
        clean = fields.cleaned()
        lesson.title, lesson.body_md, lesson.video_url = clean.title, clean.body_md, clean.video_url
        lesson.minutes = clean.minutes or lesson.minutes
        await self.session.flush()
        return lesson

    async def move_lesson(self, actor: Principal, lesson_id: int, step: int) -> Lesson:
        """Swap the lesson with its neighbour before (step −1) or after (step +1) it."""
        actor.require_staff()
        lesson, course = await self.lesson_and_course(actor, lesson_id)
        ordered = list(course.lessons)
        index = ordered.index(lesson)
        other_index = index + (1 if step > 0 else -1)
        if not 0 <= other_index < len(ordered):
            return lesson
        other = ordered[other_index]
        mine, theirs = lesson.position, other.position
        # Positions are unique per course: park one lesson outside the range while they swap.
        lesson.position = -1
        await self.session.flush()
        other.position = mine
        await self.session.flush()
        lesson.position = theirs
        await self.session.flush()
        await self.session.refresh(course, ["lessons"])
        return lesson

    async def remove_lesson(self, actor: Principal, lesson_id: int) -> Course:
        actor.require_staff()
        lesson, course = await self.lesson_and_course(actor, lesson_id)
        if course.published and len(course.lessons) == 1:
            raise Conflict(N_("A published course keeps at least one lesson; unpublish it first."))
        course.lessons.remove(lesson)
        await self.session.flush()
        for position, remaining in enumerate(course.lessons, start=1):
            if remaining.position != position:
                remaining.position = position
                await self.session.flush()
        return course

    async def attach_file(self, actor: Principal, lesson_id: int, stored: StoredLessonFile | None) -> Lesson:
        """Attach a stored PDF to the lesson, or (``None``) take the attachment off."""
        actor.require_staff()
        lesson = await self.lesson_for(actor, lesson_id)
        lesson.file_key = stored.key if stored else None
        lesson.file_name = stored.name if stored else ""
        lesson.file_bytes = stored.bytes if stored else 0
        await self.session.flush()
        return lesson

    async def complete_lesson(
        self, actor: Principal, lesson_id: int, *, now: datetime | None = None
    ) -> tuple[LessonProgress, list[TraineeProgress]]:
        """The trainee marks a lesson done (doing it again changes nothing); returns their progress after it."""
        now = now or utcnow()
        if actor.kind != "user" or actor.role != Role.TRAINEE.value:
            raise PermissionDenied(N_("Only trainees mark lessons done."))
        lesson = await self.lesson_for(actor, lesson_id)
        mine = select(LessonProgress).where(LessonProgress.lesson_id == lesson.id, LessonProgress.user_id == actor.id)
        mark = (await self.session.execute(mine)).scalar_one_or_none()
        if mark is None:
            mark = LessonProgress(lesson_id=lesson.id, user_id=actor.id, completed_at=now)
            try:
                async with self.session.begin_nested():
                    self.session.add(mark)
            except IntegrityError:
                # The same trainee's second tap got there first: the lesson is done either way.
                mark = (await self.session.execute(mine)).scalar_one()
        rows = await self.session.execute(
            select(Enrollment)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Enrollment.user_id == actor.id, Cohort.course_id == lesson.course_id)
        )
        progress: list[TraineeProgress] = []
        tracker = TrainingProgress(self.session)
        for enrollment in rows.scalars().all():
            (standing,) = await tracker.standings(enrollment.cohort, [enrollment], now)
            standing.certificate = await tracker.issue_when_met(standing, now)
            progress.append(standing)
        return mark, progress

    async def find_starter(self, village_id: int, starter_key: str) -> Course | None:
        stmt = select(Course).where(Course.village_id == village_id, Course.starter_key == starter_key)
        return (await self.session.execute(stmt)).scalar_one_or_none()


# --- cohorts and enrolment ------------------------------------------------------------------------------------


class CohortService(SQLAlchemyAsyncRepositoryService[Cohort]):
    class Repo(SQLAlchemyAsyncRepository[Cohort]):
        model_type = Cohort

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

    async def create_cohort(
        self, actor: Principal, *, course_id: int, name: str, starts_on: date | None, ends_on: date | None = None
    ) -> Cohort:
        actor.require_staff()
        course = await CourseService(session=self.session).get_for(actor, course_id)
        name = clean_line(name, "name", max_len=50, missing=N_("Name the cohort, e.g. 第1期."))
        if starts_on is None:
            raise InvalidInput("starts_on", N_("Give the date the cohort starts."))
        clean_day(starts_on, "starts_on")
        clean_day(ends_on, "ends_on")
        if ends_on is not None and ends_on < starts_on:
            raise InvalidInput("ends_on", N_("The cohort cannot end before it starts."))
        if await self.repository.exists(course_id=course.id, name=name):
            raise Conflict(N_("This course already has a cohort called %(cohort)s."), field="name", cohort=name)
        cohort = Cohort(
            village_id=course.village_id, course_id=course.id, name=name, starts_on=starts_on, ends_on=ends_on
        )
        try:
            cohort = await self.repository.add(cohort)
        except IntegrityError as exc:
            raise Conflict(
                N_("This course already has a cohort called %(cohort)s."), field="name", cohort=name
            ) from exc
        await self.session.refresh(cohort)
        return cohort

    async def list_for(
        self, actor: Principal, paging: Paging, *, course_id: int | None = None
    ) -> tuple[Sequence[Cohort], int]:
        if actor.kind != "user":
            raise NotFound()
        filters: list = []
        if actor.is_staff:
            scope = actor.village_filter()
            if scope is not None:
                filters.append(Cohort.village_id == scope)
        else:
            filters.append(Cohort.id.in_(select(Enrollment.cohort_id).where(Enrollment.user_id == actor.id)))
            filters.append(Cohort.course_id.in_(select(Course.id).where(Course.published_at.is_not(None))))
        if course_id is not None:
            filters.append(Cohort.course_id == course_id)
        return await self.get_many_and_count(
            *filters, paging.filter, order_by=[(Cohort.starts_on, True), (Cohort.id, True)]
        )

    async def get_for(self, actor: Principal, cohort_id: int) -> Cohort:
        cohort = await self.repository.get_one_or_none(id=cohort_id)
        if cohort is None or actor.kind != "user":
            raise NotFound()
        if actor.is_staff:
            actor.ensure_village(cohort.village_id)
        elif not cohort.course.published or await self.enrollment_of(cohort.id, actor.id) is None:
            raise NotFound()
        return cohort

    async def enrollment_of(self, cohort_id: int, user_id: int) -> Enrollment | None:
        return await enrollment_of(self.session, cohort_id, user_id)

    async def enrollments(self, cohort_id: int) -> list[Enrollment]:
        rows = await self.session.execute(
            select(Enrollment).where(Enrollment.cohort_id == cohort_id).order_by(Enrollment.id)
        )
        return list(rows.scalars())

    async def enroll(self, actor: Principal, cohort_id: int, user_id: int) -> Enrollment:
        """Enrol a trainee of the cohort's village; enrolling them again in the same cohort changes nothing."""
        actor.require_staff()
        cohort = await self.get_for(actor, cohort_id)
        user = await self.session.get(User, user_id)
        if user is None or user.village_id != cohort.village_id:
            raise InvalidInput("user_id", N_("There is no user with this id in the cohort's village."))
        if user.role != Role.TRAINEE.value:
            raise InvalidInput("user_id", N_("Only trainee accounts can be enrolled."))
        existing = await self.enrollment_of(cohort.id, user.id)
        if existing is not None:
            return existing
        other = await self.session.execute(
            select(Cohort.name)
            .join(Enrollment, Enrollment.cohort_id == Cohort.id)
            .where(Enrollment.user_id == user.id, Cohort.course_id == cohort.course_id)
        )
        taken = other.scalar_one_or_none()
        if taken is not None:
            raise Conflict(
                N_("%(trainee)s is already in %(cohort)s of this course."),
                field="user_id",
                trainee=user.name,
                cohort=taken,
            )
        enrollment = Enrollment(cohort_id=cohort.id, user_id=user.id)
        self.session.add(enrollment)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(N_("%(trainee)s is already in this cohort."), field="user_id", trainee=user.name) from exc
        await self.session.refresh(enrollment)
        await ClassService(session=self.session).sync_cohort_reminders(cohort.id)
        return enrollment

    async def register_and_enroll(
        self,
        actor: Principal,
        hasher: SecretHasher,
        cohort_id: int,
        *,
        display_name: str,
        phone: str,
        password: str,
    ) -> Enrollment:
        """A new trainee account (the phone number is the username) enrolled in the cohort at once."""
        actor.require_staff()
        cohort = await self.get_for(actor, cohort_id)
        name = clean_line(display_name, "display_name", max_len=50, missing=N_("Give the trainee's name."))
        number = clean_phone(phone, required=True)
        username = re.sub(r"[ -]", "", number)
        user = await UserService(session=self.session).create_user(
            actor,
            hasher,
            username=username,
            password=password,
            role=Role.TRAINEE.value,
            village_id=cohort.village_id,
            display_name=name,
            phone=number,
        )
        return await self.enroll(actor, cohort.id, user.id)

    async def unenroll(self, actor: Principal, cohort_id: int, user_id: int) -> None:
        actor.require_staff()
        cohort = await self.get_for(actor, cohort_id)
        enrollment = await self.enrollment_of(cohort.id, user_id)
        if enrollment is None:
            raise NotFound()
        await self.session.delete(enrollment)
        await self.session.flush()
        await ClassService(session=self.session).sync_cohort_reminders(cohort.id)

    async def dashboard(
        self, actor: Principal, cohort_id: int, now: datetime | None = None
    ) -> tuple[Cohort, list[TraineeProgress], list[TrainingClass]]:
        """The cohort, each trainee's standing (by name) and the cohort's classes in time order."""
        actor.require_staff()
        cohort = await self.get_for(actor, cohort_id)
        classes = await classes_of(self.session, cohort.id)
        rows = await TrainingProgress(self.session).standings(
            cohort, await self.enrollments(cohort.id), now or utcnow(), classes
        )
        return cohort, sorted(rows, key=lambda p: (p.enrollment.user.name, p.enrollment.user_id)), classes

    async def trainees_to_enroll(self, cohort: Cohort) -> list[User]:
        """The village's trainee accounts not yet in this cohort (for the enrol form)."""
        enrolled = select(Enrollment.user_id).where(Enrollment.cohort_id == cohort.id)
        rows = await self.session.execute(
            select(User)
            .where(
                User.village_id == cohort.village_id,
                User.role == Role.TRAINEE.value,
                User.active.is_(True),
                User.id.not_in(enrolled),
            )
            .order_by(User.display_name, User.id)
        )
        return list(rows.scalars())


# --- classes, reminders, attendance, check-in ------------------------------------------------------------------


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


class ClassService(SQLAlchemyAsyncRepositoryService[TrainingClass]):
    class Repo(SQLAlchemyAsyncRepository[TrainingClass]):
        model_type = TrainingClass

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

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
            topic=clean_line(topic, "topic", max_len=100, missing=N_("Give the class a topic.")),
            place=clean_line(place, "place", max_len=100, missing=N_("Say where the class is held.")),
            starts_at=starts,
            ends_at=ends,
        )
        self.session.add(training_class)
        await self.session.flush()
        await self.session.refresh(training_class)
        await self.sync_reminders_of(training_class)
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
            training_class.topic = clean_line(topic, "topic", max_len=100, missing=N_("Give the class a topic."))
        if place is not None:
            training_class.place = clean_line(place, "place", max_len=100, missing=N_("Say where the class is held."))
        if starts_at is not None and ends_at is None:
            # Moving only the start keeps the class as long as it was.
            ends_at = as_utc(starts_at) + (as_utc(training_class.ends_at) - as_utc(training_class.starts_at))
        starts, ends = self._clean_times(starts_at or training_class.starts_at, ends_at or training_class.ends_at)
        training_class.starts_at, training_class.ends_at = starts, ends
        await self.session.flush()
        await self.sync_reminders_of(training_class)
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

    async def sync_reminders_of(self, training_class: TrainingClass) -> None:
        if training_class.cancelled:
            await withdraw_reminders(self.session, "class", training_class.id)
            return
        trainee_ids = await self.session.execute(
            select(Enrollment.user_id).where(Enrollment.cohort_id == training_class.cohort_id)
        )
        await sync_reminders(
            self.session,
            "class",
            training_class.id,
            class_reminders(training_class, sorted(trainee_ids.scalars())),
            version=as_utc(training_class.starts_at).isoformat(),
        )

    async def sync_cohort_reminders(self, cohort_id: int) -> None:
        """After enrolment changes: every upcoming class of the cohort gets the new list of trainees."""
        now = utcnow()
        for training_class in await self.classes_of(cohort_id):
            if not training_class.cancelled and as_utc(training_class.starts_at) > now:
                await self.sync_reminders_of(training_class)

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
        if not checkin.is_valid_code(secret_key, training_class.id, code, now):
            raise InvalidInput("code", N_("This code is wrong or too old. Scan the code on the screen again."))
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


# --- what other domains call -------------------------------------------------------------------------------------


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
