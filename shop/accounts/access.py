"""Access that ends: a change of credentials or standing ends every session and token of the account.

Each user and household carries a ``credential_generation``. A session remembers the generation it was
made under and is honoured only while it is current (one integer compared on the row every request
already reads); a bearer token is revoked outright. The generation grows, and the tokens are revoked, in
the same flush as the change itself, by an ORM hook, so no code path that changes a PIN, a password, a
role, a village or an account's standing can forget it. This process's token cache forgets the account
when the change commits; other workers' caches within their few seconds' lifetime (see ``TokenCache``).
"""

from __future__ import annotations

import weakref
from typing import Any, Protocol

from sqlalchemy import event, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, object_session

from shop.accounts.models import ApiToken, User
from shop.accounts.throttle import forget_account_statement
from shop.timeutil import utcnow
from shop.villages.models import Household

# What ends a user's access when it changes; a household's.
USER_FIELDS = ("password_hash", "role", "village_id", "township", "county", "active")
HOUSEHOLD_FIELDS = ("pin_hash", "village_id", "active")
_ENDED = "shop_ended_access"


class PrincipalCache(Protocol):
    def drop_principal(self, kind: str, principal_id: int) -> None: ...


token_caches: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()


def _revoke_tokens(kind: str, principal_id: int) -> Any:
    owner = ApiToken.user_id if kind == "user" else ApiToken.household_id
    return update(ApiToken).where(owner == principal_id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())


def _remember(session: Session | None, kind: str, principal_id: int) -> None:
    if session is not None:
        session.info.setdefault(_ENDED, set()).add((kind, principal_id))


def _changed(target: Any, fields: tuple[str, ...]) -> bool:
    state = inspect(target)
    return any(state.attrs[name].history.has_changes() for name in fields)


@event.listens_for(User, "before_update")
def _user_changed(_mapper: Any, connection: Any, target: User) -> None:
    if not _changed(target, USER_FIELDS):
        return
    target.credential_generation = (target.credential_generation or 0) + 1
    connection.execute(_revoke_tokens("user", target.id))
    if inspect(target).attrs.password_hash.history.has_changes():
        connection.execute(forget_account_statement("u", target.username))
    _remember(object_session(target), "user", target.id)


@event.listens_for(Household, "before_update")
def _household_changed(_mapper: Any, connection: Any, target: Household) -> None:
    if not _changed(target, HOUSEHOLD_FIELDS):
        return
    target.credential_generation = (target.credential_generation or 0) + 1
    connection.execute(_revoke_tokens("household", target.id))
    if inspect(target).attrs.pin_hash.history.has_changes():
        connection.execute(forget_account_statement("h", target.code))
    _remember(object_session(target), "household", target.id)


@event.listens_for(Session, "after_commit")
def _forget_in_caches(session: Session) -> None:
    ended = session.info.pop(_ENDED, None)
    if not ended:
        return
    for cache in list(token_caches):
        for kind, principal_id in ended:
            cache.drop_principal(kind, principal_id)


@event.listens_for(Session, "after_rollback")
def _nothing_ended(session: Session) -> None:
    session.info.pop(_ENDED, None)


async def end_access(session: AsyncSession, kind: str, principal_id: int) -> None:
    """Sign out everywhere: every session and token of the account ends (this one too)."""
    model = User if kind == "user" else Household
    await session.execute(
        update(model)
        .where(model.id == principal_id)
        .values(credential_generation=model.credential_generation + 1)
        .execution_options(synchronize_session=False)
    )
    await session.execute(_revoke_tokens(kind, principal_id))
    _remember(session.sync_session, kind, principal_id)
