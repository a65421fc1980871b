"""JSON API: courses and lessons, cohorts and enrolments, classes and attendance, the caller's progress."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import msgspec
from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from shop.paging import Page
from shop.timeutil import utcnow
from shop.training.classes import ClassService
from shop.training.cohorts import CohortService
from shop.training.courses import CourseService
from shop.training.inputs import LessonFields
from shop.training.progress import TrainingProgress, rule_of
from shop.training.rules import CompletionRule
from shop.training.schemas import (
    AttendanceIn,
    AttendanceOut,
    CheckInIn,
    ClassIn,
    ClassOut,
    ClassPatch,
    CohortIn,
    CohortOut,
    CourseIn,
    CourseOut,
    CoursePatch,
    EnrollmentIn,
    EnrollmentOut,
    LessonDoneOut,
    LessonIn,
    LessonOut,
    ProgressOut,
    TraineeProgressOut,
)
from shop.web.auth import requires_staff, requires_user
from shop.web.deps import Actor, AppSettings, DbSession, PageParams
from shop.web.params import IdPath, IdQuery


def _lesson_fields(data: LessonIn) -> LessonFields:
    return LessonFields(title=data.title, body_md=data.body_md, minutes=data.minutes, video_url=data.video_url)


class CourseController(Controller):
    path = "/courses"
    tags = ["training"]
    guards = [requires_user]
    dependencies = {"courses": Provide(create_service_provider(CourseService))}

    @post("/", guards=[requires_staff])
    async def create_course(
        self, data: JSONBody[CourseIn], courses: NamedDependency[CourseService], actor: Actor
    ) -> CourseOut:
        """A course with its lessons in order; the answer holds the course's and every lesson's ``id``."""
        course = await courses.create_course(
            actor,
            title=data.title,
            description=data.description,
            lessons=[_lesson_fields(lesson) for lesson in data.lessons],
            rule=CompletionRule(data.require_all_lessons, data.min_attendance_percent, data.min_practice_streams),
            published=data.published,
            village_id=data.village_id,
        )
        return CourseOut.of(course)

    @get("/")
    async def list_courses(
        self, courses: NamedDependency[CourseService], actor: Actor, paging: PageParams
    ) -> Page[CourseOut]:
        """Staff: their village's courses (admin: all). Trainees: the published courses they are enrolled in."""
        rows, total = await courses.list_for(actor, paging)
        return Page([CourseOut.of(c) for c in rows], total, paging.limit, paging.offset)

    @get("/{course_id:int}")
    async def get_course(self, course_id: IdPath, courses: NamedDependency[CourseService], actor: Actor) -> CourseOut:
        return CourseOut.of(await courses.get_for(actor, course_id))

    @patch("/{course_id:int}", guards=[requires_staff])
    async def update_course(
        self, course_id: IdPath, data: JSONBody[CoursePatch], courses: NamedDependency[CourseService], actor: Actor
    ) -> CourseOut:
        """Change the title, the description, the completion rule, or publish / unpublish."""
        course = await courses.get_for(actor, course_id)
        rule_changes = {
            name: getattr(data, name)
            for name in ("require_all_lessons", "min_attendance_percent", "min_practice_streams")
            if getattr(data, name) is not msgspec.UNSET
        }
        rule = replace(rule_of(course), **rule_changes) if rule_changes else None
        course = await courses.update_course(
            actor,
            course_id,
            title=None if data.title is msgspec.UNSET else data.title,
            description=None if data.description is msgspec.UNSET else data.description,
            rule=rule,
            published=None if data.published is msgspec.UNSET else data.published,
        )
        return CourseOut.of(course)

    @post("/{course_id:int}/lessons", guards=[requires_staff])
    async def add_lesson(
        self, course_id: IdPath, data: JSONBody[LessonIn], courses: NamedDependency[CourseService], actor: Actor
    ) -> LessonOut:
        """Add a lesson at the end of the course."""
        return LessonOut.of(await courses.add_lesson(actor, course_id, _lesson_fields(data)))


class LessonController(Controller):
    path = "/lessons"
    tags = ["training"]
    guards = [requires_user]

    @get("/{lesson_id:int}")
    async def get_lesson(self, lesson_id: IdPath, db_session: DbSession, actor: Actor) -> LessonOut:
        return LessonOut.of(await CourseService(session=db_session).lesson_for(actor, lesson_id))

    @post("/{lesson_id:int}/complete", status_code=200)
    async def complete_lesson(self, lesson_id: IdPath, db_session: DbSession, actor: Actor) -> LessonDoneOut:
        """As the trainee: mark the lesson done (again is harmless); answers the progress after it."""
        mark, progress = await CourseService(session=db_session).complete_lesson(actor, lesson_id)
        return LessonDoneOut.of(mark, progress)


class CohortController(Controller):
    path = "/cohorts"
    tags = ["training"]
    guards = [requires_user]
    dependencies = {"cohorts": Provide(create_service_provider(CohortService))}

    @post("/", guards=[requires_staff])
    async def create_cohort(
        self, data: JSONBody[CohortIn], cohorts: NamedDependency[CohortService], actor: Actor
    ) -> CohortOut:
        """Open a cohort (第1期 …) of a course of the caller's village."""
        cohort = await cohorts.create_cohort(
            actor, course_id=data.course_id, name=data.name, starts_on=data.starts_on, ends_on=data.ends_on
        )
        return CohortOut.of(cohort)

    @get("/")
    async def list_cohorts(
        self,
        cohorts: NamedDependency[CohortService],
        actor: Actor,
        paging: PageParams,
        course_id: Annotated[IdQuery, Parameter(description="only this course's cohorts")] = None,
    ) -> Page[CohortOut]:
        rows, total = await cohorts.list_for(actor, paging, course_id=course_id)
        return Page([CohortOut.of(c) for c in rows], total, paging.limit, paging.offset)

    @get("/{cohort_id:int}")
    async def get_cohort(self, cohort_id: IdPath, cohorts: NamedDependency[CohortService], actor: Actor) -> CohortOut:
        return CohortOut.of(await cohorts.get_for(actor, cohort_id))

    @post("/{cohort_id:int}/enrollments", guards=[requires_staff])
    async def enroll(
        self, cohort_id: IdPath, data: JSONBody[EnrollmentIn], cohorts: NamedDependency[CohortService], actor: Actor
    ) -> EnrollmentOut:
        """Enrol a trainee account of the cohort's village (enrolling twice changes nothing)."""
        return EnrollmentOut.of(await cohorts.enroll(actor, cohort_id, data.user_id))

    @get("/{cohort_id:int}/enrollments", guards=[requires_staff])
    async def list_enrollments(
        self, cohort_id: IdPath, cohorts: NamedDependency[CohortService], actor: Actor, paging: PageParams
    ) -> Page[EnrollmentOut]:
        cohort = await cohorts.get_for(actor, cohort_id)
        rows = await cohorts.enrollments(cohort.id)
        window = rows[paging.offset : paging.offset + paging.limit]
        return Page([EnrollmentOut.of(e) for e in window], len(rows), paging.limit, paging.offset)

    @delete("/{cohort_id:int}/enrollments/{user_id:int}", guards=[requires_staff], status_code=204)
    async def unenroll(
        self, cohort_id: IdPath, user_id: IdPath, cohorts: NamedDependency[CohortService], actor: Actor
    ) -> None:
        """Take a trainee out of the cohort; their reminders for its classes are withdrawn."""
        await cohorts.unenroll(actor, cohort_id, user_id)

    @get("/{cohort_id:int}/progress", guards=[requires_staff])
    async def cohort_progress(
        self, cohort_id: IdPath, db_session: DbSession, actor: Actor, paging: PageParams
    ) -> Page[TraineeProgressOut]:
        """Each trainee's progress and the reasons they are at risk (missed, unreachable, stalled)."""
        _cohort, rows, _classes = await CohortService(session=db_session).dashboard(actor, cohort_id)
        window = rows[paging.offset : paging.offset + paging.limit]
        items = [
            TraineeProgressOut(
                user_id=p.enrollment.user_id,
                name=p.enrollment.user.name,
                progress=ProgressOut.of(p),
                at_risk=[risk.key for risk in p.risks(utcnow())],
            )
            for p in window
        ]
        return Page(items, len(rows), paging.limit, paging.offset)

    @post("/{cohort_id:int}/classes", guards=[requires_staff])
    async def schedule_class(
        self, cohort_id: IdPath, data: JSONBody[ClassIn], db_session: DbSession, actor: Actor
    ) -> ClassOut:
        """Schedule a class; every enrolled trainee gets inbox reminders 24 hours and 1 hour before."""
        training_class = await ClassService(session=db_session).schedule_class(
            actor, cohort_id, topic=data.topic, place=data.place, starts_at=data.starts_at, ends_at=data.ends_at
        )
        return ClassOut.of(training_class)

    @get("/{cohort_id:int}/classes")
    async def list_classes(
        self, cohort_id: IdPath, db_session: DbSession, actor: Actor, paging: PageParams
    ) -> Page[ClassOut]:
        classes = ClassService(session=db_session)
        cohort = await CohortService(session=db_session).get_for(actor, cohort_id)
        rows = await classes.classes_of(cohort.id)
        window = rows[paging.offset : paging.offset + paging.limit]
        return Page([ClassOut.of(c) for c in window], len(rows), paging.limit, paging.offset)


class ClassController(Controller):
    path = "/classes"
    tags = ["training"]
    guards = [requires_user]
    dependencies = {"classes": Provide(create_service_provider(ClassService))}

    @get("/{class_id:int}")
    async def get_class(self, class_id: IdPath, classes: NamedDependency[ClassService], actor: Actor) -> ClassOut:
        return ClassOut.of(await classes.get_for(actor, class_id))

    @patch("/{class_id:int}", guards=[requires_staff])
    async def update_class(
        self, class_id: IdPath, data: JSONBody[ClassPatch], classes: NamedDependency[ClassService], actor: Actor
    ) -> ClassOut:
        """Move the class or change its topic or place; the reminders move with it."""
        training_class = await classes.update_class(
            actor,
            class_id,
            topic=None if data.topic is msgspec.UNSET else data.topic,
            place=None if data.place is msgspec.UNSET else data.place,
            starts_at=None if data.starts_at is msgspec.UNSET else data.starts_at,
            ends_at=None if data.ends_at is msgspec.UNSET else data.ends_at,
        )
        return ClassOut.of(training_class)

    @post("/{class_id:int}/cancel", guards=[requires_staff], status_code=200)
    async def cancel_class(self, class_id: IdPath, classes: NamedDependency[ClassService], actor: Actor) -> ClassOut:
        """Cancel the class: its reminders are withdrawn; it stays in calendars marked cancelled."""
        return ClassOut.of(await classes.cancel_class(actor, class_id))

    @get("/{class_id:int}/attendance", guards=[requires_staff])
    async def list_attendance(
        self, class_id: IdPath, classes: NamedDependency[ClassService], actor: Actor
    ) -> list[AttendanceOut]:
        training_class = await classes.get_for(actor, class_id)
        return [AttendanceOut.of(mark) for _e, mark in await classes.roll(training_class) if mark is not None]

    @post("/{class_id:int}/attendance", guards=[requires_staff], status_code=200)
    async def record_attendance(
        self, class_id: IdPath, data: JSONBody[AttendanceIn], classes: NamedDependency[ClassService], actor: Actor
    ) -> list[AttendanceOut]:
        """Take the roll: present / late / excused / absent for each trainee named."""
        marks = {mark.user_id: mark.status for mark in data.marks}
        return [AttendanceOut.of(m) for m in await classes.record_attendance(actor, class_id, marks)]

    @post("/{class_id:int}/check-in", status_code=200)
    async def check_in(
        self,
        class_id: IdPath,
        data: JSONBody[CheckInIn],
        classes: NamedDependency[ClassService],
        actor: Actor,
        settings: AppSettings,
    ) -> AttendanceOut:
        """As a trainee of the class's cohort: check in with the code shown now on the secretary's screen."""
        return AttendanceOut.of(await classes.check_in(actor, settings.secret_key, class_id, data.code))


class MyProgressController(Controller):
    path = "/me/progress"
    tags = ["training"]
    guards = [requires_user]

    @get("/")
    async def my_progress(self, db_session: DbSession, actor: Actor) -> list[ProgressOut]:
        """The caller's courses: lessons done of all, percent, attendance, practice streams, certificate."""
        return [ProgressOut.of(p) for p in await TrainingProgress(db_session).my_progress(actor)]
