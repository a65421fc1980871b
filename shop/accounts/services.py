"""Staff users, logins with lockout, and API tokens."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import noload

from shop.accounts.models import ApiToken, Role, User
from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher, new_token, token_digest
from shop.db import rows_matched
from shop.errors import N_, AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied
from shop.paging import Paging
from shop.timeutil import as_utc, utcnow
from shop.villages.models import Household, Village
from shop.villages.services import clean_phone, clean_text

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MIN_PASSWORD = 8
USER_MAX_FAILURES = 10
HOUSEHOLD_MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)


def principal_for_user(user: User) -> Principal:
    return Principal(
        kind="user",
        id=user.id,
        role=user.role,  # type: ignore[arg-type]  # a str column the role_known CHECK keeps to these roles
        village_id=user.village_id,
        name=user.name,
        township=user.township,
        county=user.county,
    )


def principal_for_household(household: Household) -> Principal:
    return Principal(
        kind="household", id=household.id, role="household", village_id=household.village_id, name=household.head_name
    )


def clean_password(password: str | None) -> str:
    if not password or len(password) < MIN_PASSWORD:
        raise InvalidInput("password", N_("The password needs at least %(min)d characters."), min=MIN_PASSWORD)
    if len(password) > 200:
        raise InvalidInput("password", N_("%(name)s is longer than %(max)d characters."), name="password", max=200)
    return password


async def has_admin(session: AsyncSession) -> bool:
    """Whether any active administrator exists (a fresh deployment has none until one is created)."""
    query = select(User.id).where(User.role == Role.ADMIN.value, User.active.is_(True)).limit(1)
    return (await session.execute(query)).first() is not None


class UserService(SQLAlchemyAsyncRepositoryService[User, SQLAlchemyAsyncRepository[User]]):
    class Repo(SQLAlchemyAsyncRepository[User]):
        model_type = User

    repository_type = Repo

    async def create_user(
        self,
        actor: Principal,
        hasher: SecretHasher,
        *,
        username: str,
        password: str,
        role: str,
        village_id: int | None = None,
        display_name: str = "",
        phone: str = "",
        township: str = "",
        county: str = "",
    ) -> User:
        actor.require_staff()
        username = clean_text(username, "username", max_len=64, required=True)
        if not USERNAME_RE.match(username):
            raise InvalidInput("username", N_("A username holds 3-64 letters, digits or . _ @ -."))
        try:
            role_value = Role(role)
        except ValueError as exc:
            raise InvalidInput("role", N_("The role must be admin, secretary, trainee, township or county.")) from exc
        if actor.is_secretary:
            # A secretary may add trainees to their own village, nothing else.
            if role_value is not Role.TRAINEE:
                raise PermissionDenied(N_("A secretary may only create trainee accounts."))
            village_id = actor.target_village(village_id)
        elif role_value in (Role.ADMIN, Role.TOWNSHIP, Role.COUNTY):
            village_id = None
        elif village_id is None:
            raise InvalidInput("village_id", N_("Secretaries and trainees belong to a village (village_id)."))
        township, county = await self._officer_area(role_value, township, county)
        if village_id is not None and await self.repository.session.get(Village, village_id) is None:
            raise InvalidInput("village_id", N_("There is no village with this id."))
        if await self.repository.exists(username=username):
            raise Conflict(N_("The username %(name)s is already taken."), field="username", name=username)
        password_hash = await asyncio.to_thread(hasher.hash_password, clean_password(password))
        user = User(
            username=username,
            display_name=clean_text(display_name, "display_name", max_len=50),
            phone=clean_phone(phone),
            role=role_value.value,
            village_id=village_id,
            township=township,
            county=county,
            password_hash=password_hash,
            calendar_secret=secrets.token_urlsafe(24),
        )
        try:
            return await self.repository.add(user)
        except IntegrityError as exc:
            raise Conflict(N_("The username %(name)s is already taken."), field="username", name=username) from exc

    async def _officer_area(self, role: Role, township: str, county: str) -> tuple[str, str]:
        """A township officer names a township and county, a county supervisor a county, spelt as at least
        one village spells them (a typo would leave the officer with nothing to see); others name neither."""
        township = clean_text(township, "township", max_len=100)
        county = clean_text(county, "county", max_len=100)
        for field, value in (("township", township), ("county", county)):
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise InvalidInput(field, N_("%(name)s holds a character that cannot be typed."), name=field)
        if role is Role.TOWNSHIP:
            if not township or not county:
                raise InvalidInput("township", N_("A township officer names the township and the county."))
            known = select(Village.id).where(Village.township == township, Village.county == county)
            if (await self.repository.session.execute(known.limit(1))).first() is None:
                raise InvalidInput(
                    "township",
                    N_("No village lies in %(township)s, %(county)s: write them as the villages do."),
                    township=township,
                    county=county,
                )
            return township, county
        if role is Role.COUNTY:
            if not county:
                raise InvalidInput("county", N_("A county supervisor names the county."))
            known = select(Village.id).where(Village.county == county)
            if (await self.repository.session.execute(known.limit(1))).first() is None:
                raise InvalidInput(
                    "county", N_("No village lies in %(county)s: write it as the villages do."), county=county
                )
            return "", county
        return "", ""

    async def list_for(
        self, actor: Principal, paging: Paging, *, role: str | None = None
    ) -> tuple[Sequence[User], int]:
        if actor.kind != "user":
            raise PermissionDenied()
        filters: list[ColumnElement[bool]] = []
        if actor.is_secretary:
            filters.append(User.village_id == actor.village_id)
        elif not actor.is_admin:
            filters.append(User.id == actor.id)  # trainees and officers: themselves
        if role:
            filters.append(User.role == role)
        return await self.get_many_and_count(*filters, paging.filter, order_by=[(User.id, False)])

    async def get_for(self, actor: Principal, user_id: int) -> User:
        user = await self.repository.get_one_or_none(id=user_id)
        if user is None or actor.kind != "user":
            raise NotFound()
        if actor.is_secretary and user.village_id != actor.village_id:
            raise NotFound()
        if not actor.is_admin and not actor.is_secretary and user.id != actor.id:
            raise NotFound()
        return user

    async def set_password(self, actor: Principal, hasher: SecretHasher, user_id: int, password: str) -> User:
        user = await self.get_for(actor, user_id)
        if user.id != actor.id and not (actor.is_admin or (actor.is_secretary and user.role == Role.TRAINEE)):
            raise PermissionDenied()
        user.password_hash = await asyncio.to_thread(hasher.hash_password, clean_password(password))
        user.failed_logins = 0
        user.locked_until = None
        await self.repository.session.flush()
        return user


class AuthService:
    """Logins for staff and households, with a per-account lockout that does not reveal who exists."""

    def __init__(self, session: AsyncSession, hasher: SecretHasher) -> None:
        self.session = session
        self.hasher = hasher

    async def authenticate_user(self, username: str, password: str, *, now: datetime | None = None) -> User:
        now = now or utcnow()
        user = (
            await self.session.execute(select(User).where(User.username == (username or "").strip()))
        ).scalar_one_or_none()
        stored = user.password_hash if user is not None and user.active else None
        ok = await asyncio.to_thread(self.hasher.verify_password, stored, password or "")
        if user is None or not user.active:
            raise AuthenticationFailed()
        if user.locked_until is not None and as_utc(user.locked_until) > now:
            raise AuthenticationFailed()
        if not ok:
            await self._count_failure(User, user.id, "failed_logins", USER_MAX_FAILURES, now)
            raise AuthenticationFailed()
        user.failed_logins = 0
        user.locked_until = None
        await self.session.flush()
        return user

    async def authenticate_household(self, code: str, pin: str, *, now: datetime | None = None) -> Household:
        now = now or utcnow()
        household = (
            await self.session.execute(select(Household).where(Household.code == (code or "").strip().upper()))
        ).scalar_one_or_none()
        stored = household.pin_hash if household is not None and household.active else None
        ok = await asyncio.to_thread(self.hasher.verify_pin, stored, (pin or "").strip())
        if household is None or not household.active:
            raise AuthenticationFailed(N_("Wrong household code or PIN, or locked for 15 minutes after 5 mistakes."))
        if household.locked_until is not None and as_utc(household.locked_until) > now:
            raise AuthenticationFailed(N_("Wrong household code or PIN, or locked for 15 minutes after 5 mistakes."))
        if not ok:
            await self._count_failure(Household, household.id, "failed_pins", HOUSEHOLD_MAX_FAILURES, now)
            raise AuthenticationFailed(N_("Wrong household code or PIN, or locked for 15 minutes after 5 mistakes."))
        household.failed_pins = 0
        household.locked_until = None
        await self.session.flush()
        return household

    async def _count_failure(
        self, model: type[User] | type[Household], row_id: int, column: str, limit: int, now: datetime
    ) -> None:
        """Count a mistake atomically; the limit-th mistake in a row locks the account."""
        counter = getattr(model, column)
        result = await self.session.execute(
            update(model).where(model.id == row_id).values({column: counter + 1}).returning(counter)
        )
        failures = result.scalar_one()
        if failures >= limit:
            await self.session.execute(
                update(model).where(model.id == row_id).values({column: 0, "locked_until": now + LOCK_FOR})
            )
        # The mistake must be remembered even though the request fails.
        await self.session.commit()

    async def issue_token(self, principal: Principal, ttl_seconds: int) -> tuple[str, datetime]:
        token = new_token()
        expires_at = utcnow() + timedelta(seconds=ttl_seconds)
        self.session.add(
            ApiToken(
                token_hash=token_digest(token),
                user_id=principal.user_id,
                household_id=principal.household_id,
                expires_at=expires_at,
            )
        )
        await self.session.flush()
        return token, expires_at

    async def revoke_token(self, token: str) -> bool:
        result = await self.session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return bool(rows_matched(result))

    async def principal_for_token(self, token: str) -> tuple[Principal, datetime] | None:
        row = (
            await self.session.execute(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        ).scalar_one_or_none()
        if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= utcnow():
            return None
        principal = await self.load_principal("user" if row.user_id else "household", row.user_id or row.household_id)
        return (principal, as_utc(row.expires_at)) if principal else None

    async def load_principal(self, kind: str, principal_id: int | None) -> Principal | None:
        if principal_id is None:
            return None
        if kind == "user":
            user = await self.session.get(User, principal_id)
            return principal_for_user(user) if user is not None and user.active else None
        # Every page of a villager asks this: the household row without its members.
        household = await self.session.get(Household, principal_id, options=[noload(Household.members)])
        return principal_for_household(household) if household is not None and household.active else None
