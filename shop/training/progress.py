"""Progress against a course's rule and the certificates it earns: what each trainee has done in their cohort,
who is at risk, and issuing a certificate (once) when the rule is met. The rules themselves are in ``rules``."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.errors import NotFound
from shop.streams.models import Stream, StreamStatus
from shop.timeutil import SHANGHAI, as_utc, local_today, utcnow
from shop.training.models import (
    Attendance,
    Certificate,
    Cohort,
    Course,
    Enrollment,
    Lesson,
    LessonProgress,
    TrainingClass,
)
from shop.training.rules import ClassSlot, CompletionRule, Shortfall, Standing, tally_attendance

CERTIFICATE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off paper
CERTIFICATE_CODE_LENGTH = 10
# The scheduled pass over cohorts that ended longer ago than this is pointless: nothing changes there.
CERTIFICATE_SWEEP_DAYS = 60


def rule_of(course: Course) -> CompletionRule:
    return CompletionRule(course.require_all_lessons, course.min_attendance_percent, course.min_practice_streams)


async def classes_of(session: AsyncSession, cohort_id: int) -> list[TrainingClass]:
    """The cohort's classes in time order, cancelled ones included."""
    rows = await session.execute(
        select(TrainingClass)
        .where(TrainingClass.cohort_id == cohort_id)
        .order_by(TrainingClass.starts_at, TrainingClass.id)
    )
    return list(rows.scalars())


async def enrollment_of(session: AsyncSession, cohort_id: int, user_id: int) -> Enrollment | None:
    stmt = select(Enrollment).where(Enrollment.cohort_id == cohort_id, Enrollment.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


def cohort_start(cohort: Cohort) -> datetime:
    """The instant the cohort starts: midnight of its first day in Beijing."""
    return datetime.combine(cohort.starts_on, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def new_certificate_code() -> str:
    return "".join(secrets.choice(CERTIFICATE_ALPHABET) for _ in range(CERTIFICATE_CODE_LENGTH))


@dataclass
class TraineeProgress:
    """One trainee in one cohort: their standing against the course's rule and what is still missing."""

    enrollment: Enrollment
    cohort: Cohort
    course: Course
    standing: Standing
    rule: CompletionRule
    certificate: Certificate | None = None
    done_lesson_ids: set[int] = field(default_factory=set)

    @property
    def shortfalls(self) -> list[Shortfall]:
        return self.standing.shortfalls(self.rule)

    @property
    def completed(self) -> bool:
        return self.certificate is not None and self.certificate.revoked_at is None

    @property
    def next_lesson(self) -> Lesson | None:
        return next((lesson for lesson in self.course.lessons if lesson.id not in self.done_lesson_ids), None)

    def risks(self, now: datetime) -> list[Shortfall]:
        return [] if self.completed else self.standing.risks(self.rule, now)


@dataclass
class TraineeHome:
    courses: list[TraineeProgress]
    next_class: TrainingClass | None
    practice_streams: list[Stream]
    my_attendance: dict[int, str]


class TrainingProgress:
    """Progress and completion: reads what trainees did, issues certificates when the rule is met."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def standings(
        self,
        cohort: Cohort,
        enrollments: Sequence[Enrollment],
        now: datetime,
        classes: Sequence[TrainingClass] | None = None,
    ) -> list[TraineeProgress]:
        """Every given trainee's standing in the cohort, in a handful of queries whatever their number.
        ``classes``: the cohort's classes in time order, when the caller has them already."""
        if not enrollments:
            return []
        course = cohort.course
        user_ids = [e.user_id for e in enrollments]
        lesson_ids = [lesson.id for lesson in course.lessons]
        done: dict[int, set[int]] = {uid: set() for uid in user_ids}
        last_done: dict[int, datetime] = {}
        if lesson_ids:
            rows = await self.session.execute(
                select(LessonProgress.user_id, LessonProgress.lesson_id, LessonProgress.completed_at).where(
                    LessonProgress.lesson_id.in_(lesson_ids), LessonProgress.user_id.in_(user_ids)
                )
            )
            for user_id, lesson_id, completed_at in rows:
                done[user_id].add(lesson_id)
                moment = as_utc(completed_at)
                if user_id not in last_done or moment > last_done[user_id]:
                    last_done[user_id] = moment
        if classes is None:
            classes = await classes_of(self.session, cohort.id)
        slots = [ClassSlot(c.id, c.ends_at, c.cancelled) for c in classes]
        statuses: dict[int, dict[int, str]] = {uid: {} for uid in user_ids}
        if classes:
            marks = await self.session.execute(
                select(Attendance.user_id, Attendance.class_id, Attendance.status).where(
                    Attendance.class_id.in_([c.id for c in classes]), Attendance.user_id.in_(user_ids)
                )
            )
            for user_id, class_id, status in marks:
                statuses[user_id][class_id] = status
        hosted = await self.session.execute(
            select(Stream.host_user_id, func.count())
            .where(
                Stream.practice.is_(True),
                Stream.status == StreamStatus.ENDED.value,
                Stream.village_id == cohort.village_id,
                Stream.host_user_id.in_(user_ids),
                Stream.starts_at >= cohort_start(cohort),
            )
            .group_by(Stream.host_user_id)
        )
        practice = {user_id: int(count) for user_id, count in hosted}
        certificates = await self.session.execute(
            select(Certificate).where(Certificate.cohort_id == cohort.id, Certificate.user_id.in_(user_ids))
        )
        issued = {c.user_id: c for c in certificates.scalars()}
        rule = rule_of(course)
        result = []
        for enrollment in enrollments:
            uid = enrollment.user_id
            started = max(as_utc(enrollment.created_at), cohort_start(cohort))
            standing = Standing(
                lessons_done=len(done[uid]),
                lessons_total=len(lesson_ids),
                attendance=tally_attendance(slots, statuses[uid], now),
                practice_hosted=practice.get(uid, 0),
                last_activity_at=max(last_done.get(uid, started), started),
            )
            result.append(TraineeProgress(enrollment, cohort, course, standing, rule, issued.get(uid), done[uid]))
        return result

    async def progress_of(self, enrollment: Enrollment, now: datetime | None = None) -> TraineeProgress:
        return (await self.standings(enrollment.cohort, [enrollment], now or utcnow()))[0]

    async def enrollment_for(self, actor: Principal, enrollment_id: int) -> Enrollment:
        """One trainee's place in a cohort: for staff of its village and for that trainee, nobody else."""
        enrollment = await self.session.get(Enrollment, enrollment_id)
        if enrollment is None or actor.kind != "user":
            raise NotFound()
        if actor.is_staff:
            actor.ensure_village(enrollment.cohort.village_id)
        elif enrollment.user_id != actor.id or not enrollment.cohort.course.published:
            raise NotFound()
        return enrollment

    async def my_progress(self, actor: Principal, now: datetime | None = None) -> list[TraineeProgress]:
        """The caller's own courses (published ones), newest cohort first."""
        if actor.kind != "user":
            raise NotFound()
        now = now or utcnow()
        rows = await self.session.execute(
            select(Enrollment)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .join(Course, Course.id == Cohort.course_id)
            .where(Enrollment.user_id == actor.id, Course.published_at.is_not(None))
            .order_by(Cohort.starts_on.desc(), Enrollment.id.desc())
        )
        result: list[TraineeProgress] = []
        for enrollment in rows.scalars():
            result += await self.standings(enrollment.cohort, [enrollment], now)
        return result

    async def issue_if_met(self, cohort: Cohort, user_id: int, *, now: datetime | None = None) -> Certificate | None:
        """Issue the certificate when the trainee meets the rule and holds none for this cohort yet."""
        enrollment = await enrollment_of(self.session, cohort.id, user_id)
        if enrollment is None:
            return None
        now = now or utcnow()
        (progress,) = await self.standings(cohort, [enrollment], now)
        return await self.issue_when_met(progress, now)

    async def issue_when_met(self, progress: TraineeProgress, now: datetime) -> Certificate | None:
        """``issue_if_met`` for a standing already worked out; the certificate (new or held) or None."""
        if progress.certificate is not None or not progress.standing.meets(progress.rule):
            return progress.certificate
        return await self._issue(progress, now)

    async def _issue(self, progress: TraineeProgress, now: datetime) -> Certificate:
        user = progress.enrollment.user
        for _attempt in range(5):
            code = new_certificate_code()
            if (await self.session.execute(select(Certificate.id).where(Certificate.code == code))).first() is None:
                break
        certificate = Certificate(
            code=code,
            user_id=user.id,
            cohort_id=progress.cohort.id,
            course_id=progress.course.id,
            holder_name=user.name,
            course_title=progress.course.title,
            cohort_name=progress.cohort.name,
            issued_on=local_today(now),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(certificate)
        except IntegrityError:
            # Issued by a concurrent request a moment ago: that one stands.
            stmt = select(Certificate).where(
                Certificate.cohort_id == progress.cohort.id, Certificate.user_id == user.id
            )
            return (await self.session.execute(stmt)).scalar_one()
        return certificate

    async def issue_due_certificates(
        self, *, now: datetime | None = None, course_id: int | None = None, cohort_id: int | None = None
    ) -> int:
        """Issue every certificate that has become due (e.g. a practice stream ended); returns how many."""
        now = now or utcnow()
        stmt = select(Cohort).join(Course, Course.id == Cohort.course_id).where(Course.published_at.is_not(None))
        if course_id is not None:
            stmt = stmt.where(Cohort.course_id == course_id)
        if cohort_id is not None:
            stmt = stmt.where(Cohort.id == cohort_id)
        if course_id is None and cohort_id is None:
            horizon = local_today(now) - timedelta(days=CERTIFICATE_SWEEP_DAYS)
            stmt = stmt.where((Cohort.ends_on.is_(None)) | (Cohort.ends_on >= horizon))
        issued = 0
        for cohort in (await self.session.execute(stmt)).scalars().all():
            without = await self.session.execute(
                select(Enrollment).where(
                    Enrollment.cohort_id == cohort.id,
                    Enrollment.user_id.not_in(select(Certificate.user_id).where(Certificate.cohort_id == cohort.id)),
                )
            )
            for progress in await self.standings(cohort, list(without.scalars()), now):
                if progress.standing.meets(progress.rule):
                    await self._issue(progress, now)
                    issued += 1
        return issued

    async def lessons_done(self, user_id: int, lesson_ids: Sequence[int]) -> set[int]:
        if not lesson_ids:
            return set()
        rows = await self.session.execute(
            select(LessonProgress.lesson_id).where(
                LessonProgress.user_id == user_id, LessonProgress.lesson_id.in_(lesson_ids)
            )
        )
        return set(rows.scalars())

    async def class_record(self, cohort: Cohort, user_id: int) -> list[tuple[TrainingClass, str | None]]:
        """The cohort's classes in order, each with what was recorded for the trainee (or nothing)."""
        classes = await classes_of(self.session, cohort.id)
        marks: dict[int, str] = {}
        if classes:
            rows = await self.session.execute(
                select(Attendance.class_id, Attendance.status).where(
                    Attendance.user_id == user_id, Attendance.class_id.in_([c.id for c in classes])
                )
            )
            marks = dict(rows.tuples().all())
        return [(c, marks.get(c.id)) for c in classes]

    async def practice_streams(self, cohort: Cohort, user_id: int) -> list[Stream]:
        """The trainee's practice streams since the cohort started (the ended ones count for the rule)."""
        rows = await self.session.execute(
            select(Stream)
            .where(
                Stream.practice.is_(True),
                Stream.host_user_id == user_id,
                Stream.village_id == cohort.village_id,
                Stream.starts_at >= cohort_start(cohort),
            )
            .order_by(Stream.starts_at.desc())
        )
        return list(rows.scalars())

    async def trainee_home(self, actor: Principal, now: datetime | None = None) -> TraineeHome:
        now = now or utcnow()
        courses = await self.my_progress(actor, now)
        cohort_ids = [p.cohort.id for p in courses]
        next_class = None
        my_attendance: dict[int, str] = {}
        if cohort_ids:
            upcoming = await self.session.execute(
                select(TrainingClass)
                .where(
                    TrainingClass.cohort_id.in_(cohort_ids),
                    TrainingClass.cancelled_at.is_(None),
                    TrainingClass.ends_at > now,
                )
                .order_by(TrainingClass.starts_at)
                .limit(1)
            )
            next_class = upcoming.scalar_one_or_none()
            if next_class is not None:
                mark = await self.session.execute(
                    select(Attendance.status).where(
                        Attendance.class_id == next_class.id, Attendance.user_id == actor.id
                    )
                )
                status = mark.scalar_one_or_none()
                if status:
                    my_attendance[next_class.id] = status
        streams = await self.session.execute(
            select(Stream)
            .where(Stream.practice.is_(True), Stream.host_user_id == actor.id)
            .order_by(Stream.starts_at.desc())
            .limit(10)
        )
        return TraineeHome(courses, next_class, list(streams.scalars()), my_attendance)


class CertificateService(SQLAlchemyAsyncRepositoryService[Certificate, SQLAlchemyAsyncRepository[Certificate]]):
    class Repo(SQLAlchemyAsyncRepository[Certificate]):
        model_type = Certificate

    repository_type = Repo

    async def verify(self, code: str) -> Certificate:
        """Anyone may look a code up; it answers the certificate (revoked ones say so) or 404."""
        text = (code or "").strip().upper()
        if not text or len(text) > 16:
            raise NotFound()
        certificate = await self.repository.get_one_or_none(code=text)
        if certificate is None:
            raise NotFound()
        return certificate

    async def set_revoked(self, actor: Principal, certificate_id: int, revoked: bool) -> Certificate:
        """Withdraw a certificate issued in error (or restore it); a withdrawn one is not issued again by itself."""
        actor.require_staff()
        certificate = await self.repository.get_one_or_none(id=certificate_id)
        if certificate is None:
            raise NotFound()
        cohort = await self.repository.session.get(Cohort, certificate.cohort_id)
        actor.ensure_village(cohort.village_id if cohort else None)
        certificate.revoked_at = utcnow() if revoked else None
        await self.repository.session.flush()
        return certificate
