"""How the walls test asks: the application's routes, the ids a caller names, one request as that caller,
and what counts as a wall."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from litestar import Litestar
from litestar.middleware.csrf import generate_csrf_token
from litestar.testing import AsyncTestClient

from shop.accounts.sessions import GENERATION_KEY, SESSION_KEY
from shop.timeutil import utcnow
from tests.walls.callers import ANONYMOUS, Caller, Scope
from tests.walls.world import WallsWorld, png_bytes

PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Row:
    """Which roles reach a route. ``body`` is sent as JSON (API) or as a form (pages), with ``"{name}"``
    filled from the caller's ids, so that a request naming another village's record gets past input
    checks and meets the reach check itself; ``upload`` names the multipart field that carries a small PNG.
    ``use`` maps a path parameter to another of the world's ids (``{"lesson_id": "spare_lesson_id"}``);
    ``last`` runs the route's reaching calls after every other route's (it ends or removes something).
    ``scoped=False``: its ids are not anyone's records (public codes, file names). ``reached_as``: answers
    that look like walls but are the route's own answer to the test's input (a login form's 401)."""

    reach: frozenset[str]
    body: dict[str, Any] | None = None
    upload: str | None = None
    use: dict[str, str] = field(default_factory=dict)
    query: str = ""
    last: bool = False
    ends_session: bool = False
    scoped: bool = True
    reached_as: frozenset[int] = frozenset()

    @property
    def public(self) -> bool:
        return ANONYMOUS in self.reach


def app_routes(app: Litestar) -> list[str]:
    """Every ``METHOD path`` the application answers, as the table spells it (OPTIONS is Litestar's own)."""
    found = set()
    for route in app.routes:
        for handler in route.route_handlers:
            for method in getattr(handler, "http_methods", ()):
                if method != "OPTIONS":
                    found.add(f"{method} {route.path}")
    return sorted(found)


def ids_for(world: WallsWorld, scope: Scope) -> dict[str, Any]:
    ids = dict(world.villages[scope.village].ids)
    ids["household_id"] = world.households[scope.household]
    ids["enrollment_id"] = world.enrollments[f"trainee_{scope.village}"]
    ids["notification_id"] = world.notifications[f"trainee_{scope.village}"]
    ids["feed"] = f"{world.calendar_secrets[f'trainee_{scope.village}']}.ics"
    if scope.person is not None:
        ids["notification_id"] = world.notifications[scope.person]
        if scope.person in world.enrollments:  # a trainee: their own enrolment, account, practice stream
            ids["enrollment_id"] = world.enrollments[scope.person]
            ids["user_id"] = world.users[scope.person]
            if scope.person != f"trainee_{scope.village}":  # another trainee hosts none of the village's
                ids["practice_stream_id"] = ids["stream_id"]
            ids["stream_id"] = ids["practice_stream_id"]
    return ids


def fill_path(row: Row, path: str, ids: dict[str, Any]) -> str:
    filled = PARAM.sub(lambda m: str(ids[row.use.get(m.group(1), m.group(1))]), path)
    return f"{filled}?{row.query.format(**ids)}" if row.query else filled


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    body: Any

    @classmethod
    def of(cls, key: str, row: Row, ids: dict[str, Any]) -> Request:
        method, path = key.split(" ", 1)
        return cls(method, fill_path(row, path, ids), fill_body(row.body, ids) if row.body is not None else None)


def fill_body(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: fill_body(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_body(v, ids) for v in value]
    if isinstance(value, str):
        whole = PARAM.fullmatch(value)
        return ids[whole.group(1)] if whole else value.format(**ids)
    return value


@dataclass
class Doors:
    """Signed-in callers: a bearer token for the API and a session cookie for pages, per principal."""

    client: AsyncTestClient[Litestar]
    world: WallsWorld
    csrf: str
    sessions: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def open(cls, client: AsyncTestClient[Litestar], world: WallsWorld, secret_key: str) -> Doors:
        doors = cls(client, world, generate_csrf_token(secret_key))
        for principal in ("admin", "secretary_a", "trainee_a", "household_a1", "township_a", "county"):
            await doors.sign_in(principal)
        return doors

    async def sign_in(self, principal: str) -> None:
        """A fresh page session and bearer token for the principal, made as a login makes them (the logins
        themselves are tested in tests/accounts; here they would only spend the login throttle)."""
        from shop.accounts.models import WebSession
        from shop.accounts.principal import Principal
        from shop.accounts.services import AuthService
        from shop.db import unit_of_work

        app = self.client.app
        kind = "household" if principal.startswith("household_") else "user"
        named = self.world.households if kind == "household" else self.world.users
        principal_id = named[principal.removeprefix("household_")]
        session_id = secrets.token_urlsafe(32)
        async with unit_of_work(app.state.alchemy_config) as session:
            loaded = await AuthService(session, app.state.hasher).load_principal(kind, principal_id)
            assert isinstance(loaded, Principal), f"{principal} cannot sign in"
            token, _ = await AuthService(session, app.state.hasher).issue_token(loaded, 3600)
            data = json.dumps({SESSION_KEY: f"{kind[0]}:{principal_id}", GENERATION_KEY: loaded.generation}).encode()
            session.add(WebSession(session_id=session_id, data=data, expires_at=utcnow() + timedelta(hours=1)))
        self.sessions[principal] = session_id
        self.world.tokens[principal] = token

    async def send(
        self, caller: Caller | None, method: str, path: str, body: Any = None, *, upload: str | None = None
    ) -> httpx.Response:
        principal = caller.principal if caller else None
        headers: dict[str, str] = {}
        cookies = httpx.Cookies()
        if path.startswith("/api/"):
            if principal:
                headers["Authorization"] = f"Bearer {self.world.tokens[principal]}"
        else:
            cookies.set("shop_csrf", self.csrf)
            if method in UNSAFE:
                headers["x-csrftoken"] = self.csrf
            if principal in self.sessions:
                cookies.set("shop_session", self.sessions[principal])
        self.client.cookies = cookies
        kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
        if upload:
            kwargs["files"] = {upload: ("photo.png", png_bytes(), "image/png")}
            if body:
                kwargs["data"] = {k: str(v) for k, v in body.items()}
        elif body is not None and method in UNSAFE:
            if path.startswith("/api/"):
                kwargs["json"] = body
            else:
                kwargs["data"] = {k: str(v) for k, v in body.items()}
        return await self.client.request(method, path, **kwargs)


def is_wall(response: httpx.Response) -> bool:
    """Refused as unknown (404), not allowed (403), or not signed in (401, or a page's way to the login)."""
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("location", "")
    return response.status_code in (302, 303) and location.startswith(("/login", "/household/login"))


def leaks(response: httpx.Response, world: WallsWorld, caller: Caller) -> list[str]:
    """Households and buyers named in the answer that the caller may not see."""
    text = response.content.decode("utf-8", errors="ignore")
    found = []
    for records in world.villages.values():
        for household, markers in records.household_markers.items():
            if household not in caller.may_see:
                found += [m for m in markers if m in text]
        if f"buyers:{records.key}" not in caller.may_see:
            found += [m for m in records.buyer_markers if m in text]
    return found
