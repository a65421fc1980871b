"""The walls, as a matrix: every route of the application, as every role, with the caller's own records
and with another household's, another village's (and another township's) — held against tests/walls/table.py.

Also, whatever a caller is answered never names a household or a buyer they may not see: a trainee sees
no household and no buyer at all, a villager only their own household, a secretary only their village's.
"""

from __future__ import annotations

import pytest

from tests.walls.callers import CALLERS, Caller, Scope
from tests.walls.engine import Doors, Request, Row, app_routes, ids_for, is_wall, leaks
from tests.walls.table import WALLS
from tests.walls.world import build_walls_world

pytestmark = pytest.mark.anyio


def test_every_route_has_a_row(app) -> None:
    routes = app_routes(app)
    missing = [route for route in routes if route not in WALLS]
    stale = [key for key in WALLS if key not in routes]
    assert not missing, "routes without a row in tests/walls/table.py (say which roles reach each):\n  " + "\n  ".join(
        missing
    )
    assert not stale, "rows in tests/walls/table.py for routes that no longer exist:\n  " + "\n  ".join(stale)


class Matrix:
    def __init__(self, doors: Doors) -> None:
        self.doors = doors
        self.failures: list[str] = []

    def request(self, key: str, row: Row, scope: Scope) -> Request:
        return Request.of(key, row, ids_for(self.doors.world, scope))

    async def ask(self, key: str, row: Row, caller: Caller, scope: Scope, *, expect_wall: bool) -> None:
        request = self.request(key, row, scope)
        response = await self.doors.send(caller, request.method, request.target, request.body, upload=row.upload)
        whose = "its own records" if scope == caller.own else f"another's records ({scope})"
        answer = f"{response.status_code} {response.headers.get('location', '')} {response.text[:160]!r}"
        if response.status_code >= 500:
            self.failures.append(f"{key} as {caller.label} with {whose}: {answer}")
        elif expect_wall and not is_wall(response):
            self.failures.append(f"{key} as {caller.label} with {whose}: expected a wall, got {answer}")
        elif not expect_wall and is_wall(response) and response.status_code not in row.reached_as:
            self.failures.append(f"{key} as {caller.label} with {whose}: expected to reach it, got {answer}")
        for marker in leaks(response, self.doors.world, caller):
            self.failures.append(f"{key} as {caller.label} with {whose}: the answer names {marker!r}")
        if row.ends_session and not expect_wall and caller.principal:
            await self.doors.sign_in(caller.principal)


PARTS = 3  # the rows are asked in parts, each on its own world, so that test workers share the work


@pytest.mark.parametrize("part", range(PARTS))
async def test_every_role_meets_its_walls_on_every_route(app, client, settings, part: int) -> None:
    world = await build_walls_world(app, client)
    matrix = Matrix(await Doors.open(client, world, settings.secret_key))
    routes = set(app_routes(app))
    rows = [(key, row) for key, row in list(WALLS.items())[part::PARTS] if key in routes]

    # Walls first: nothing a wall refuses may change what later rows reach.
    for key, row in rows:
        for caller in CALLERS:
            if caller.role not in row.reach:
                await matrix.ask(key, row, caller, caller.own, expect_wall=True)
            elif row.scoped and not row.public:
                own = matrix.request(key, row, caller.own)
                for other in caller.others:
                    if matrix.request(key, row, other) != own:  # it names someone else's records
                        await matrix.ask(key, row, caller, other, expect_wall=True)
    for final in (False, True):
        for key, row in rows:
            if row.last is final:
                for caller in CALLERS:
                    if caller.role in row.reach:
                        await matrix.ask(key, row, caller, caller.own, expect_wall=False)

    assert not matrix.failures, f"{len(matrix.failures)} wall(s) broken:\n" + "\n".join(matrix.failures)
