"""Courses and their lessons: writing them (staff of the course's village), reading them (a trainee only the
published courses they are enrolled in; anything else is answered 404), and a trainee marking a lesson done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import Role
from shop.accounts.principal import Principal
from shop.errors import N_, Conflict, InvalidInput, NotFound, PermissionDenied
from shop.paging import Paging
from shop.text import clean_text
from shop.timeutil import utcnow
from shop.training.files import StoredLessonFile
from shop.training.inputs import LessonFields, clean_rule
from shop.training.models import (
    Cohort,
    Course,
    Enrollment,
    Lesson,
    LessonProgress,
)
from shop.training.progress import TraineeProgress, TrainingProgress
from shop.training.rules import CompletionRule
from shop.villages.models import Village

MAX_LESSONS = 60


DESCRIPTION_MAX = 2_000


def _trainee_courses(user_id: int) -> Select[tuple[int]]:
    """The ids of the courses the user is enrolled in (through any cohort)."""
    return (
        select(Cohort.course_id)
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .where(Enrollment.user_id == user_id)
    )


class CourseService(SQLAlchemyAsyncRepositoryService[Course, SQLAlchemyAsyncRepository[Course]]):
    class Repo(SQLAlchemyAsyncRepository[Course]):
        model_type = Course

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        session = self.repository.session
        assert isinstance(session, AsyncSession)  # services are built on a request's or a job's AsyncSession
        return session

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
            title=clean_text(title, "title", max_len=100, line=True, missing=N_("Give the course a title.")),
            description=clean_text(description, "description", max_len=DESCRIPTION_MAX),
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
        filters: list[ColumnElement[bool]] = []
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
            course.title = clean_text(title, "title", max_len=100, line=True, missing=N_("Give the course a title."))
        if description is not None:
            course.description = clean_text(description, "description", max_len=DESCRIPTION_MAX)
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
