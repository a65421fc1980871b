"""JSON shapes for courses, lessons, cohorts, enrolments, classes, attendance and progress."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from shop.training.models import Attendance, Cohort, Course, Enrollment, Lesson, LessonProgress, TrainingClass
from shop.training.progress import TraineeProgress
from shop.web.params import DbId

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Body = Annotated[str, msgspec.Meta(max_length=20_000, description="Markdown; raw HTML is shown as text")]
Minutes = Annotated[int, msgspec.Meta(ge=1, le=600)]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100, description="0 = attendance is not part of the rule")]
Streams = Annotated[int, msgspec.Meta(ge=0, le=50, description="0 = practice streams are not part of the rule")]
VideoUrl = Annotated[str, msgspec.Meta(max_length=500, description="https:// link, shown only on demand")]
AttendanceMark = Literal["present", "late", "excused", "absent"]


class LessonIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    body_md: Body = ""
    minutes: Minutes | None = None
    video_url: VideoUrl = ""


class CourseIn(msgspec.Struct, forbid_unknown_fields=True):
    """A course with its lessons in order. Published at once unless ``published: false``."""

    title: Title
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    lessons: Annotated[list[LessonIn], msgspec.Meta(max_length=60)] = []
    published: bool = True
    require_all_lessons: bool = True
    min_attendance_percent: Percent = 80
    min_practice_streams: Streams = 1
    village_id: DbId | None = None


class CoursePatch(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET
    description: Annotated[str, msgspec.Meta(max_length=2000)] | UnsetType = UNSET
    published: bool | UnsetType = UNSET
    require_all_lessons: bool | UnsetType = UNSET
    min_attendance_percent: Percent | UnsetType = UNSET
    min_practice_streams: Streams | UnsetType = UNSET


class LessonOut(msgspec.Struct):
    id: int
    course_id: int
    position: int
    title: str
    minutes: int
    body_md: str
    video_url: str
    file_url: str | None

    @classmethod
    def of(cls, lesson: Lesson) -> LessonOut:
        return cls(
            id=lesson.id,
            course_id=lesson.course_id,
            position=lesson.position,
            title=lesson.title,
            minutes=lesson.minutes,
            body_md=lesson.body_md,
            video_url=lesson.video_url,
            file_url=f"/training/lessons/{lesson.id}/file" if lesson.file_key else None,
        )


class CourseOut(msgspec.Struct):
    id: int
    village_id: int
    title: str
    description: str
    published: bool
    require_all_lessons: bool
    min_attendance_percent: int
    min_practice_streams: int
    lessons: list[LessonOut]

    @classmethod
    def of(cls, course: Course) -> CourseOut:
        return cls(
            id=course.id,
            village_id=course.village_id,
            title=course.title,
            description=course.description,
            published=course.published,
            require_all_lessons=course.require_all_lessons,
            min_attendance_percent=course.min_attendance_percent,
            min_practice_streams=course.min_practice_streams,
            lessons=[LessonOut.of(lesson) for lesson in course.lessons],
        )


class CohortIn(msgspec.Struct, forbid_unknown_fields=True):
    course_id: DbId
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50, examples=["第1期"])]
    starts_on: date
    ends_on: date | None = None


class CohortOut(msgspec.Struct):
    id: int
    village_id: int
    course_id: int
    name: str
    starts_on: date
    ends_on: date | None

    @classmethod
    def of(cls, cohort: Cohort) -> CohortOut:
        return cls(cohort.id, cohort.village_id, cohort.course_id, cohort.name, cohort.starts_on, cohort.ends_on)


class EnrollmentIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: DbId


class EnrollmentOut(msgspec.Struct):
    id: int
    cohort_id: int
    user_id: int
    name: str
    enrolled_at: datetime

    @classmethod
    def of(cls, enrollment: Enrollment) -> EnrollmentOut:
        return cls(enrollment.id, enrollment.cohort_id, enrollment.user_id, enrollment.user.name, enrollment.created_at)


class ClassIn(msgspec.Struct, forbid_unknown_fields=True):
    topic: Title
    place: Title
    starts_at: Annotated[datetime, msgspec.Meta(description="with its time zone, e.g. 2026-12-01T14:00:00+08:00")]
    ends_at: datetime


class ClassPatch(msgspec.Struct, forbid_unknown_fields=True):
    topic: Title | UnsetType = UNSET
    place: Title | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET


class ClassOut(msgspec.Struct):
    id: int
    cohort_id: int
    topic: str
    place: str
    starts_at: datetime
    ends_at: datetime
    cancelled: bool

    @classmethod
    def of(cls, training_class: TrainingClass) -> ClassOut:
        return cls(
            id=training_class.id,
            cohort_id=training_class.cohort_id,
            topic=training_class.topic,
            place=training_class.place,
            starts_at=training_class.starts_at,
            ends_at=training_class.ends_at,
            cancelled=training_class.cancelled,
        )


class MarkIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: DbId
    status: AttendanceMark


class AttendanceIn(msgspec.Struct, forbid_unknown_fields=True):
    marks: Annotated[list[MarkIn], msgspec.Meta(min_length=1, max_length=500)]


class AttendanceOut(msgspec.Struct):
    class_id: int
    user_id: int
    status: str
    checked_in_at: datetime | None

    @classmethod
    def of(cls, mark: Attendance) -> AttendanceOut:
        return cls(mark.class_id, mark.user_id, mark.status, mark.checked_in_at)


class CheckInIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", description="the 6 digits on the secretary's screen")]


class ProgressOut(msgspec.Struct, omit_defaults=True):
    """One trainee in one cohort. ``certificate_url`` (the public check page) appears once issued."""

    course_id: int
    cohort_id: int
    completed_lessons: int
    total_lessons: int
    percent: int
    attended_classes: int
    required_classes: int
    practice_streams_hosted: int
    required_practice_streams: int
    completed: bool
    certificate_url: str | None = None

    @classmethod
    def of(cls, progress: TraineeProgress) -> ProgressOut:
        standing, rule = progress.standing, progress.rule
        required = standing.attendance.required(rule.min_attendance_percent) if rule.min_attendance_percent else 0
        return cls(
            course_id=progress.course.id,
            cohort_id=progress.cohort.id,
            completed_lessons=standing.lessons_done,
            total_lessons=standing.lessons_total,
            percent=standing.percent,
            attended_classes=standing.attendance.attended,
            required_classes=required,
            practice_streams_hosted=standing.practice_hosted,
            required_practice_streams=rule.min_practice_streams,
            completed=progress.completed,
            certificate_url=(
                f"/certificates/{progress.certificate.code}"
                if progress.certificate is not None and progress.completed
                else None
            ),
        )


class TraineeProgressOut(msgspec.Struct):
    user_id: int
    name: str
    progress: ProgressOut
    at_risk: list[str]


class LessonDoneOut(msgspec.Struct):
    lesson_id: int
    completed_at: datetime
    progress: list[ProgressOut]

    @classmethod
    def of(cls, mark: LessonProgress, progress: list[TraineeProgress]) -> LessonDoneOut:
        return cls(mark.lesson_id, mark.completed_at, [ProgressOut.of(p) for p in progress])
