"""Staff users, logins with lockout, and API tokens."""

from __future__ import annotations

import asyncio
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import noload

from shop.accounts import access  # noqa: F401 - its hooks end access when credentials change
from shop.accounts.models import ApiToken, Role, User
from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher, new_token, token_digest
from shop.accounts.throttle import (
    HOUSEHOLD_LIMITS,
    USER_LIMITS,
    AccountLocked,
    HashGate,
    Keys,
    Limits,
    already_full,
    device_mark,
    give_back,
    reserve,
)
from shop.db import read_session, rows_matched, unit_of_work
from shop.errors import N_, AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied
from shop.paging import Paging
from shop.text import clean_text
from shop.timeutil import as_utc, utcnow
from shop.villages.models import Household, Village
from shop.villages.services import clean_phone

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MIN_PASSWORD = 8


def principal_for_user(user: User) -> Principal:
    return Principal(
        kind="user",
        id=user.id,
        role=user.role,  # type: ignore[arg-type]  # a str column the role_known CHECK keeps to these roles
        village_id=user.village_id,
        name=user.name,
        township=user.township,
        county=user.county,
        generation=user.credential_generation or 0,
    )


def principal_for_household(household: Household) -> Principal:
    return Principal(
        kind="household",
        id=household.id,
        role="household",
        village_id=household.village_id,
        name=household.head_name,
        generation=household.credential_generation or 0,
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


@dataclass(frozen=True, slots=True)
class UserChanges:
    """What to change of an account; ``None`` leaves a field as it is."""

    role: str | None = None
    village_id: int | None = None
    township: str | None = None
    county: str | None = None
    active: bool | None = None
    display_name: str | None = None
    phone: str | None = None


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

    async def staff_of_village(self, village_id: int) -> list[User]:
        """Every account of the village (secretaries, then trainees), active or not: the admin's view."""
        rows = await self.repository.session.execute(
            select(User).where(User.village_id == village_id).order_by(User.role, User.id)
        )
        return list(rows.scalars())

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
        await self.repository.session.flush()
        return user

    async def change_user(self, actor: Principal, user_id: int, changes: UserChanges) -> User:
        """Change an account's standing or particulars. The admin may change anything of anyone but their own
        role and standing (the county would lose its last operator); a secretary may switch their village's
        trainees off and on and correct their name and phone. A change of role, village, area or standing
        ends every session and token of the account (``shop.accounts.access``)."""
        actor.require_staff()
        user = await self.get_for(actor, user_id)
        moves = any(v is not None for v in (changes.role, changes.village_id, changes.township, changes.county))
        if actor.is_secretary and (user.role != Role.TRAINEE.value or moves):
            raise PermissionDenied(N_("A secretary may only switch their village's trainees off and on."))
        if user.id == actor.id and (moves or changes.active is False):
            raise PermissionDenied(N_("You cannot change your own role or switch your own account off."))
        if moves:
            await self._move(user, changes)
        if changes.display_name is not None:
            user.display_name = clean_text(changes.display_name, "display_name", max_len=50)
        if changes.phone is not None:
            user.phone = clean_phone(changes.phone)
        if changes.active is not None:
            user.active = changes.active
        await self.repository.session.flush()
        return user

    async def _move(self, user: User, changes: UserChanges) -> None:
        """A new role, village or area, checked as a new account's would be."""
        try:
            role = Role(changes.role or user.role)
        except ValueError as exc:
            raise InvalidInput("role", N_("The role must be admin, secretary, trainee, township or county.")) from exc
        village_id = changes.village_id if changes.village_id is not None else user.village_id
        if role in (Role.ADMIN, Role.TOWNSHIP, Role.COUNTY):
            village_id = None
        elif village_id is None:
            raise InvalidInput("village_id", N_("Secretaries and trainees belong to a village (village_id)."))
        elif await self.repository.session.get(Village, village_id) is None:
            raise InvalidInput("village_id", N_("There is no village with this id."))
        township = changes.township if changes.township is not None else user.township
        county = changes.county if changes.county is not None else user.county
        user.township, user.county = await self._officer_area(role, township, county)
        user.role, user.village_id = role.value, village_id

    async def rotate_calendar_secret(self, actor: Principal) -> User:
        """The owner's calendar feed gets a new secret address; the old one stops answering."""
        user = await self.get_for(actor, actor.id)
        user.calendar_secret = secrets.token_urlsafe(24)
        await self.repository.session.flush()
        return user


@dataclass(frozen=True, slots=True)
class _Account:
    """What a login reads before it verifies: nothing of the ORM stays attached while the hash runs."""

    id: int | None
    stored_hash: str | None
    active: bool


def _normalise(kind: str, name: str) -> str:
    """A name as it is looked up and counted: a user name as typed, a household code in capitals."""
    name = (name or "").strip()
    return name[:64] if kind == "u" else name.upper()[:32]


LOCKED_MESSAGE = N_("Wrong household code or PIN, or locked for 15 minutes after 5 mistakes.")


class Logins:
    """Staff and household logins: read the account, reserve an attempt, verify with no transaction open,
    record a success in a short transaction. Known, unknown and inactive names take the same steps (an
    unknown or inactive one is verified against a decoy hash and fails)."""

    def __init__(self, alchemy: SQLAlchemyAsyncConfig, hasher: SecretHasher, gate: HashGate, secret_key: str) -> None:
        self.alchemy = alchemy
        self.hasher = hasher
        self.gate = gate
        self.secret_key = secret_key

    def device_mark(self, kind: str, name: str) -> str:
        """The mark a device keeps after logging in to this account (``u`` user name, ``h`` household code)."""
        return device_mark(self.secret_key, Keys.of(kind, _normalise(kind, name), ""))

    async def user(
        self, username: str, password: str, address: str, *, device: str = "", now: datetime | None = None
    ) -> User:
        name = _normalise("u", username)
        query = select(User.id, User.password_hash, User.active).where(User.username == name)
        account_id = await self._login(
            "u", name, password or "", address, query, self.hasher.verify_password, USER_LIMITS, now, None, device
        )
        async with read_session(self.alchemy) as session:
            user = await session.get(User, account_id)
        if user is None:
            raise AuthenticationFailed()
        return user

    async def household(
        self, code: str, pin: str, address: str, *, device: str = "", now: datetime | None = None
    ) -> Household:
        name = _normalise("h", code)
        query = select(Household.id, Household.pin_hash, Household.active).where(Household.code == name)
        account_id = await self._login(
            "h",
            name,
            (pin or "").strip(),
            address,
            query,
            self.hasher.verify_pin,
            HOUSEHOLD_LIMITS,
            now,
            LOCKED_MESSAGE,
            device,
        )
        async with read_session(self.alchemy) as session:
            household = await session.get(Household, account_id, options=[noload(Household.members)])
        if household is None:
            raise AuthenticationFailed(LOCKED_MESSAGE)
        return household

    async def _login(
        self,
        kind: str,
        name: str,
        secret: str,
        address: str,
        query: Any,
        verify: Callable[[str | None, str], bool],
        limits: Limits,
        now: datetime | None,
        message: str | None,
        device: str,
    ) -> int:
        now = now or utcnow()
        keys = Keys.of(kind, name, address)
        known = bool(device) and hmac.compare_digest(device, device_mark(self.secret_key, keys))
        # A full worker answers 503 before it reads or counts anything; a login admitted keeps its place
        # (and its thread) to the end of its hash.
        async with self.gate.admitted():
            try:
                async with read_session(self.alchemy) as session:
                    row = (await session.execute(query)).first()
                    await already_full(session, keys, limits, now, known_device=known)
                async with unit_of_work(self.alchemy) as session:
                    await reserve(session, keys, limits, now, known_device=known)
            except AccountLocked:
                raise AuthenticationFailed(message) from None
            account = _Account(id=row[0], stored_hash=row[1], active=row[2]) if row else _Account(None, None, False)
            # No transaction is open while the hash runs (it takes tens of milliseconds on purpose).
            stored = account.stored_hash if account.active else None
            ok = await self.gate.hash(verify, stored, secret)
        if not ok or account.id is None:
            raise AuthenticationFailed(message)
        async with unit_of_work(self.alchemy) as session:
            await give_back(session, keys)
        return account.id


class AuthService:
    """Bearer tokens and who a session or token belongs to."""

    def __init__(self, session: AsyncSession, hasher: SecretHasher) -> None:
        self.session = session
        self.hasher = hasher

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

    async def load_principal(
        self, kind: str, principal_id: int | None, generation: int | None = None
    ) -> Principal | None:
        """The account as a principal, if it is active (and, for a session, still of ``generation``)."""
        if principal_id is None:
            return None
        if kind == "user":
            user = await self.session.get(User, principal_id)
            if user is None or not user.active:
                return None
            if generation is not None and generation != (user.credential_generation or 0):
                return None
            return principal_for_user(user)
        # Every page of a villager asks this: the household row without its members.
        household = await self.session.get(Household, principal_id, options=[noload(Household.members)])
        if household is None or not household.active:
            return None
        if generation is not None and generation != (household.credential_generation or 0):
            return None
        return principal_for_household(household)
