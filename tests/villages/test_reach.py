"""Every role × every endpoint of villages, users and households: who reaches what, including other
villages' and other households' ids (answered 404, as if absent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import World

pytestmark = pytest.mark.anyio

ROLES = ("anonymous", "admin", "secretary_a", "trainee_a", "household_a1")


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # {a}/{b} = villages, {a1}/{b1} = households, {trainee_b} = a user of village b
    body: dict[str, Any] | None
    expect: dict[str, int]  # role → status


CALLS = [
    Call(
        "GET",
        "/api/v1/villages",
        None,
        {"anonymous": 401, "admin": 200, "secretary_a": 200, "trainee_a": 200, "household_a1": 403},
    ),
    Call(
        "GET",
        "/api/v1/villages/{a}",
        None,
        {"anonymous": 401, "admin": 200, "secretary_a": 200, "trainee_a": 200, "household_a1": 403},
    ),
    Call(
        "GET",
        "/api/v1/villages/{b}",
        None,
        {"anonymous": 401, "admin": 200, "secretary_a": 404, "trainee_a": 404, "household_a1": 403},
    ),
    Call(
        "POST",
        "/api/v1/villages",
        {"name": "新村", "township": "乡", "county": "县"},
        {"anonymous": 401, "admin": 201, "secretary_a": 403, "trainee_a": 403, "household_a1": 403},
    ),
    Call(
        "GET",
        "/api/v1/users",
        None,
        {"anonymous": 401, "admin": 200, "secretary_a": 200, "trainee_a": 200, "household_a1": 403},
    ),
    Call(
        "GET",
        "/api/v1/users/{trainee_b}",
        None,
        {"anonymous": 401, "admin": 200, "secretary_a": 404, "trainee_a": 404, "household_a1": 403},
    ),
    Call(
        "POST",
        "/api/v1/users",
        {"username": "new_trainee", "password": "long-enough-1", "role": "trainee"},
        {"anonymous": 401, "admin": 400, "secretary_a": 201, "trainee_a": 403, "household_a1": 403},
    ),
    Call(
        "POST",
        "/api/v1/users",
        {"username": "new_trainee_b", "password": "long-enough-1", "role": "trainee", "village_id": "{b}"},
        {"anonymous": 401, "admin": 201, "secretary_a": 404, "trainee_a": 403, "household_a1": 403},
    ),
    Call(
        "POST",
        "/api/v1/users",
        {"username": "new_secretary", "password": "long-enough-1", "role": "secretary", "village_id": "{a}"},
        {"anonymous": 401, "admin": 201, "secretary_a": 403, "trainee_a": 403, "household_a1": 403},
    ),
    Call(
        "GET",
        "/api/v1/households",
        None,
        {"anonymous": 401, "admin": 200, "secretary_a": 200, "trainee_a": 403, "household_a1": 200},
    ),
    Call(
        "GET",
        "/api/v1/households/{a1}",
        None,
        {"anonymous": 401, "admin": 200, "secretary_a": 200, "trainee_a": 404, "household_a1": 200},
    ),
    Call(
        "GET",
        "/api/v1/households/{a2}",
        None,
        {"anonymous": 401, "admin": 200, "secretary_a": 200, "trainee_a": 404, "household_a1": 404},
    ),
    Call(
        "GET",
        "/api/v1/households/{b1}",
        None,
        {"anonymous": 401, "admin": 200, "secretary_a": 404, "trainee_a": 404, "household_a1": 404},
    ),
    Call(
        "POST",
        "/api/v1/households",
        {"code": "CJD-900", "name": "新户", "phone": "13900000900", "pin": "123456"},
        {"anonymous": 401, "admin": 400, "secretary_a": 201, "trainee_a": 403, "household_a1": 403},
    ),
    Call(
        "POST",
        "/api/v1/households",
        {"code": "DPF-900", "name": "新户", "phone": "13900000900", "pin": "123456", "village_id": "{b}"},
        {"anonymous": 401, "admin": 201, "secretary_a": 404, "trainee_a": 403, "household_a1": 403},
    ),
    Call(
        "PATCH",
        "/api/v1/households/{a2}",
        {"phone": "13900000111"},
        {"anonymous": 401, "admin": 200, "secretary_a": 200, "trainee_a": 403, "household_a1": 403},
    ),
    Call(
        "PATCH",
        "/api/v1/households/{b1}",
        {"phone": "13900000111"},
        {"anonymous": 401, "admin": 200, "secretary_a": 404, "trainee_a": 403, "household_a1": 403},
    ),
    Call(
        "POST",
        "/api/v1/households/{b1}/pin",
        {"pin": "654321"},
        {"anonymous": 401, "admin": 200, "secretary_a": 404, "trainee_a": 403, "household_a1": 403},
    ),
    Call(
        "POST",
        "/api/v1/households/{a1}/pin",
        {"pin": "654321"},
        {"anonymous": 401, "admin": 200, "secretary_a": 200, "trainee_a": 403, "household_a1": 403},
    ),
]

CASES = [(call, role) for call in CALLS for role in ROLES]


def _fill(value: Any, world: World) -> Any:
    ids = {
        "{a}": world.villages["a"],
        "{b}": world.villages["b"],
        "{a1}": world.households["a1"],
        "{a2}": world.households["a2"],
        "{b1}": world.households["b1"],
        "{trainee_b}": world.users["trainee_b"],
    }
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        for key, ident in ids.items():
            value = value.replace(key, str(ident))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("call", "role"), CASES, ids=[f"{c.method} {c.path} as {r}" for c, r in CASES])
async def test_role_reaches_only_what_is_theirs(client, world: World, auth, call: Call, role: str) -> None:
    headers = {} if role == "anonymous" else auth[role]
    response = await client.request(
        call.method, _fill(call.path, world), json=_fill(call.body, world) if call.body else None, headers=headers
    )
    assert response.status_code == call.expect[role], response.text
    assert response.headers["content-type"].startswith("application/json")


async def test_lists_hold_only_the_callers_village(client, world: World, auth) -> None:
    villages = (await client.get("/api/v1/villages", headers=auth["secretary_a"])).json()
    assert [v["id"] for v in villages["items"]] == [world.villages["a"]]
    households = (await client.get("/api/v1/households", headers=auth["secretary_a"])).json()
    assert {h["id"] for h in households["items"]} == {world.households["a1"], world.households["a2"]}
    assert households["total"] == 2
    users = (await client.get("/api/v1/users", headers=auth["secretary_a"])).json()
    assert {u["username"] for u in users["items"]} == {"secretary_a", "trainee_a"}
    own = (await client.get("/api/v1/households", headers=auth["household_a1"])).json()
    assert [h["id"] for h in own["items"]] == [world.households["a1"]]
    mine = (await client.get("/api/v1/users", headers=auth["trainee_a"])).json()
    assert [u["username"] for u in mine["items"]] == ["trainee_a"]
    everything = (await client.get("/api/v1/households", headers=auth["admin"])).json()
    assert everything["total"] == 4


async def test_secretary_creates_records_in_their_own_village(client, world: World, auth) -> None:
    created = await client.post(
        "/api/v1/households",
        json={"code": "cjd-010", "name": "新户", "phone": "13900000910", "pin": "123456"},
        headers=auth["secretary_a"],
    )
    assert created.status_code == 201
    assert created.json()["village_id"] == world.villages["a"]
    assert created.json()["code"] == "CJD-010"
    trainee = await client.post(
        "/api/v1/users",
        json={"username": "xueyuan9", "password": "long-enough-1", "role": "trainee"},
        headers=auth["secretary_a"],
    )
    assert trainee.json()["village_id"] == world.villages["a"]
