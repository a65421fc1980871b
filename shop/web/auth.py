"""Authentication at the edge: session cookies for pages, bearer tokens for the API, and guards.

Pages use Litestar's ``SessionAuth`` over database-backed server-side sessions; the JSON API under
``/api/v1`` uses revocable, expiring bearer tokens. Both produce a :class:`Principal` in
``request.user``; what a principal may reach is decided again in the services.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.security.session_auth import SessionAuth

from shop.accounts.access import token_caches
from shop.accounts.principal import Principal
from shop.accounts.services import AuthService
from shop.accounts.sessions import (
    GENERATION_KEY,
    PRINCIPAL_LOADED,
    ROTATE,
    SESSION_KEY,
    DatabaseSessionConfig,
    principal_key,
    session_generation,
)
from shop.db import read_session
from shop.settings import Settings
from shop.web.scope import AnyConnection, scope_value

EXCLUDE_OPT = "exclude_from_auth"
PUBLIC = {EXCLUDE_OPT: True}


def session_payload(principal: Principal) -> dict[str, Any]:
    """What a login stores: who, plus the flag that makes the session backend issue a new id."""
    return {SESSION_KEY: f"{principal.kind[0]}:{principal.id}", GENERATION_KEY: principal.generation, ROTATE: True}


async def principal_from_session(session: dict[str, Any], connection: AnyConnection) -> Principal | None:
    parsed = principal_key(session)
    if parsed is None:
        return None
    loaded: tuple[tuple[str, int], Principal | None] | None = scope_value(connection.scope, PRINCIPAL_LOADED)
    if loaded is not None and loaded[0] == parsed:  # (the session's generation was checked there)
        return loaded[1]  # read with the session row, in the same transaction
    config: SQLAlchemyAsyncConfig = connection.app.state.alchemy_config
    async with read_session(config) as db_session:
        return await AuthService(db_session, connection.app.state.hasher).load_principal(
            *parsed, generation=session_generation(session)
        )


async def optional_principal(connection: AnyConnection) -> Principal | None:
    """For public pages that adapt when someone is logged in (they skip the auth middleware)."""
    user = connection.scope.get("user")
    if isinstance(user, Principal):
        return user
    session = connection.scope.get("session")
    if not isinstance(session, dict):
        return None
    return await principal_from_session(session, connection)


def build_session_auth(settings: Settings, alchemy: SQLAlchemyAsyncConfig) -> SessionAuth[Principal, Any]:
    session_config = DatabaseSessionConfig(
        alchemy=alchemy,
        key="shop_session",
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        exclude=["^/api/", "^/static/", "^/media/", "^/healthz", "^/schema"],
    )
    return SessionAuth[Principal, Any](
        retrieve_user_handler=principal_from_session,
        session_backend_config=session_config,
        exclude=["^/api/", "^/static/", "^/media/", "^/healthz", "^/schema"],
        exclude_opt_key=EXCLUDE_OPT,
    )


class TokenCache:
    """Token → principal for a few seconds, so a burst of API calls does not look each token up each time.

    A revocation in this process drops the entry at once; another process honours it within ``ttl``.
    Requests that miss together share one lookup (``load``): when an entry expires under a burst, the
    burst's requests would otherwise all go to the database at the same moment.
    """

    def __init__(self, ttl: float = 5.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._loading: dict[str, asyncio.Future[Principal | None]] = {}
        token_caches.add(self)  # told when an account's access ends (shop.accounts.access)

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._entries.pop(token, None)
            return None
        return entry[1]

    def put(self, token: str, principal: Principal, expires_at_epoch: float) -> None:
        deadline = min(time.monotonic() + self.ttl, time.monotonic() + max(0.0, expires_at_epoch - time.time()))
        self._entries[token] = (deadline, principal)
        self._entries.move_to_end(token)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, token: str) -> None:
        self._entries.pop(token, None)
        # A lookup under way read the token before it was revoked: its answer must not be cached.
        self._loading.pop(token, None)

    def drop_principal(self, kind: str, principal_id: int) -> None:
        """The account's access ended: forget its tokens here at once, and every lookup under way."""
        for token in [t for t, (_, p) in self._entries.items() if p.kind == kind and p.id == principal_id]:
            del self._entries[token]
        self._loading.clear()

    async def load(self, token: str, lookup: Callable[[], Awaitable[tuple[Principal, Any] | None]]) -> Principal | None:
        """After a miss of ``get``: ``lookup()``'s principal (it answers ``(principal, expires_at)`` or None),
        one lookup at a time however many requests missed together."""
        pending = self._loading.get(token)
        if pending is None or pending.get_loop() is not asyncio.get_running_loop():
            pending = asyncio.ensure_future(self._lookup(token, lookup))
            self._loading[token] = pending
        return await asyncio.shield(pending)

    async def _lookup(
        self, token: str, lookup: Callable[[], Awaitable[tuple[Principal, Any] | None]]
    ) -> Principal | None:
        me = asyncio.current_task()
        try:
            found = await lookup()
            if found is None:
                return None
            principal, expires_at = found
            if self._loading.get(token) is me:  # not dropped (revoked) meanwhile
                self.put(token, principal, expires_at.timestamp())
            return principal
        finally:
            if self._loading.get(token) is me:
                del self._loading[token]


def bearer_token(connection: AnyConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Authenticates ``/api/v1`` calls by their ``Authorization: Bearer`` token."""

    async def authenticate_request(self, connection: AnyConnection) -> AuthenticationResult:
        token = bearer_token(connection)
        if token is None:
            raise NotAuthorizedException("a bearer token is required (POST /api/v1/auth/token)")
        cache: TokenCache = connection.app.state.token_cache
        principal = cache.get(token)
        if principal is None:
            app = connection.app

            async def lookup() -> tuple[Principal, Any] | None:
                async with read_session(app.state.alchemy_config) as db_session:
                    return await AuthService(db_session, app.state.hasher).principal_for_token(token)

            principal = await cache.load(token, lookup)
            if principal is None:
                raise NotAuthorizedException("the token is unknown, expired or revoked")
        return AuthenticationResult(user=principal, auth=token)


def _principal(connection: AnyConnection) -> Principal:
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException()
    return user


# Guards are coroutines: Litestar runs a plain-function guard in a worker thread, a hop (and a fight for
# the GIL) on every request for what is a dictionary lookup.


async def requires_staff(connection: AnyConnection, _: BaseRouteHandler) -> None:
    if not _principal(connection).is_staff:
        raise PermissionDeniedException("staff only")


async def requires_admin(connection: AnyConnection, _: BaseRouteHandler) -> None:
    if not _principal(connection).is_admin:
        raise PermissionDeniedException("county operators only")


async def requires_user(connection: AnyConnection, _: BaseRouteHandler) -> None:
    """The village's tools (products, streams, training): its staff and trainees, not the township's or the
    county's officers, who keep no village's books."""
    principal = _principal(connection)
    if principal.kind != "user" or principal.is_officer:
        raise PermissionDeniedException("staff and trainees only")


async def requires_account(connection: AnyConnection, _: BaseRouteHandler) -> None:
    """Anyone with a staff account, officers included (their own account, password, calendar)."""
    if _principal(connection).kind != "user":
        raise PermissionDeniedException("staff accounts only")


async def requires_household(connection: AnyConnection, _: BaseRouteHandler) -> None:
    if _principal(connection).kind != "household":
        raise PermissionDeniedException("households only")


async def requires_handler(connection: AnyConnection, _: BaseRouteHandler) -> None:
    """Those who answer villagers' cases: the village secretary, the township officer, the county supervisor
    and the admin."""
    if _principal(connection).role not in ("secretary", "township", "county", "admin"):
        raise PermissionDeniedException("case handlers only")


async def requires_officer(connection: AnyConnection, _: BaseRouteHandler) -> None:
    if _principal(connection).role not in ("township", "county", "admin"):
        raise PermissionDeniedException("township, county and admin only")
