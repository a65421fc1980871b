"""Cohorts (第N期) of a course and who is enrolled in them; a cohort's dashboard of each trainee's standing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import Role, User
from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher
from shop.accounts.services import UserService
from shop.errors import N_, Conflict, InvalidInput, NotFound
from shop.paging import Paging
from shop.text import clean_text
from shop.timeutil import utcnow
from shop.training.courses import CourseService
from shop.training.inputs import clean_day
from shop.training.models import (
    Cohort,
    Course,
    Enrollment,
    TrainingClass,
)
from shop.training.progress import TraineeProgress, TrainingProgress, classes_of, enrollment_of
from shop.training.reminders import sync_cohort_reminders
from shop.villages.services import clean_phone


class CohortService(SQLAlchemyAsyncRepositoryService[Cohort, SQLAlchemyAsyncRepository[Cohort]]):
    class Repo(SQLAlchemyAsyncRepository[Cohort]):
        model_type = Cohort

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        session = self.repository.session
        assert isinstance(session, AsyncSession)  # services are built on a request's or a job's AsyncSession
        return session

    async def create_cohort(
        self, actor: Principal, *, course_id: int, name: str, starts_on: date | None, ends_on: date | None = None
    ) -> Cohort:
        actor.require_staff()
        course = await CourseService(session=self.session).get_for(actor, course_id)
        name = clean_text(name, "name", max_len=50, line=True, missing=N_("Name the cohort, e.g. 第1期."))
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
        filters: list[ColumnElement[bool]] = []
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
        await sync_cohort_reminders(self.session, cohort.id)
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
        name = clean_text(display_name, "display_name", max_len=50, line=True, missing=N_("Give the trainee's name."))
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
        await sync_cohort_reminders(self.session, cohort.id)

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
