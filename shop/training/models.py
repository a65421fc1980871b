"""Courses and their lessons, cohorts and enrolments, lesson progress, classes and attendance, certificates."""

from __future__ import annotations

import enum
from datetime import date, datetime

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.accounts.models import User
from shop.errors import N_


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    EXCUSED = "excused"
    ABSENT = "absent"


ATTENDANCE_LABELS = {
    AttendanceStatus.PRESENT: N_("Present"),
    AttendanceStatus.LATE: N_("Late"),
    AttendanceStatus.EXCUSED: N_("Excused"),
    AttendanceStatus.ABSENT: N_("Absent"),
}


class Course(BigIntAuditBase):
    """A course of a village, with its completion rule (the three ``min``/``require`` columns)."""

    __tablename__ = "course"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    require_all_lessons: Mapped[bool] = mapped_column(default=True)
    # 0 = attendance is not part of the rule.
    min_attendance_percent: Mapped[int] = mapped_column(default=80)
    # 0 = practice streams are not part of the rule.
    min_practice_streams: Mapped[int] = mapped_column(default=1)
    # Which shipped course this was loaded from (``shop courses import-starter``), so loading it twice is a no-op.
    starter_key: Mapped[str | None] = mapped_column(String(40), default=None)

    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Lesson.position", lazy="selectin"
    )

    __table_args__ = (
        UniqueConstraint("village_id", "starter_key", name="uq_course_village_starter"),
        CheckConstraint("min_attendance_percent between 0 and 100", name="attendance_percent_range"),
        CheckConstraint("min_practice_streams between 0 and 50", name="practice_streams_range"),
    )

    @property
    def published(self) -> bool:
        return self.published_at is not None


class Lesson(BigIntAuditBase):
    __tablename__ = "lesson"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(100))
    body_md: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int] = mapped_column(default=10)
    video_url: Mapped[str] = mapped_column(String(500), default="")
    # An attached PDF (a checklist to print): stored under var/lesson-files by its content hash.
    file_key: Mapped[str | None] = mapped_column(String(64), default=None)
    file_name: Mapped[str] = mapped_column(String(120), default="")
    file_bytes: Mapped[int] = mapped_column(default=0)

    course: Mapped[Course] = relationship(back_populates="lessons")

    __table_args__ = (
        UniqueConstraint("course_id", "position", name="uq_lesson_position"),
        CheckConstraint("minutes between 1 and 600", name="lesson_minutes_range"),
    )


class Cohort(BigIntAuditBase):
    """A group of trainees taking one course together (第1期, 第2期 …)."""

    __tablename__ = "cohort"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None)

    course: Mapped[Course] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("course_id", "name", name="uq_cohort_course_name"),
        CheckConstraint("ends_on is null or ends_on >= starts_on", name="cohort_ends_after_start"),
    )


class Enrollment(BigIntAuditBase):
    __tablename__ = "enrollment"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)

    cohort: Mapped[Cohort] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (UniqueConstraint("cohort_id", "user_id", name="uq_enrollment_cohort_user"),)


class LessonProgress(BigIntAuditBase):
    """A lesson a trainee marked done. Kept per person, not per cohort: a lesson read once stays read."""

    __tablename__ = "lesson_progress"

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (UniqueConstraint("lesson_id", "user_id", name="uq_lesson_progress_lesson_user"),)


class TrainingClass(BigIntAuditBase):
    """A class of a cohort in the village hall (time, place, topic); cancelling keeps the row."""

    __tablename__ = "training_class"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    cohort: Mapped[Cohort] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="class_ends_after_start"),
        Index("ix_training_class_cohort_start", "cohort_id", "starts_at"),
    )

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class Attendance(BigIntAuditBase):
    __tablename__ = "attendance"

    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    # Set when the trainee scanned the rotating code; empty when the secretary took the roll.
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)

    __table_args__ = (
        UniqueConstraint("class_id", "user_id", name="uq_attendance_class_user"),
        CheckConstraint("status in ('present', 'late', 'excused', 'absent')", name="attendance_status_known"),
    )


class CheckInAttempt(BigIntAuditBase):
    """How many check-in codes a trainee has typed for a class and not had accepted (counted in the database,
    so every worker and machine sees one count; see ``shop.training.classes.MAX_CHECKIN_FAILURES``)."""

    __tablename__ = "checkin_attempt"

    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    failures: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("class_id", "user_id", name="uq_checkin_attempt_class_user"),)


class Certificate(BigIntAuditBase):
    """Issued when a trainee meets the course's rule. Name, course and cohort are copied at issue, so the
    verification page always says what the printed paper says."""

    __tablename__ = "certificate"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="RESTRICT"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"), index=True)
    holder_name: Mapped[str] = mapped_column(String(50))
    course_title: Mapped[str] = mapped_column(String(100))
    cohort_name: Mapped[str] = mapped_column(String(50))
    issued_on: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)

    __table_args__ = (UniqueConstraint("cohort_id", "user_id", name="uq_certificate_cohort_user"),)
