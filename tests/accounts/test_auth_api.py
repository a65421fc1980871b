"""Tokens, lockout and the answers that must not reveal who exists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.accounts.models import ApiToken
from shop.errors import AuthenticationFailed
from shop.timeutil import utcnow
from shop.villages.models import Household
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.anyio


async def test_staff_token_grants_access_and_revoking_it_ends_access(client, world: World) -> None:
    response = await client.post("/api/v1/auth/token", json={"username": "secretary_a", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {body['access_token']}"}

    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["role"] == "secretary"
    assert me.json()["village_id"] == world.villages["a"]

    assert (await client.delete("/api/v1/auth/token", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_token_is_stored_only_as_a_digest(client, world: World, db) -> None:
    response = await client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    token = response.json()["access_token"]
    stored = await db.scalars(select(ApiToken.token_hash))
    assert stored
    assert token not in stored
    assert all(len(h) == 64 for h in stored)


async def test_expired_token_is_refused(client, world: World, db) -> None:
    response = await client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    async with db.write() as session:
        row = (await session.execute(select(ApiToken))).scalar_one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    client.app.state.token_cache.drop(response.json()["access_token"])
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_missing_or_malformed_bearer_is_401_json(client, world: World) -> None:
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"}):
        response = await client.get("/api/v1/households", headers=headers)
        assert response.status_code == 401
        assert "detail" in response.json()


async def test_unknown_user_and_wrong_password_get_the_same_answer(client, world: World) -> None:
    unknown = await client.post("/api/v1/auth/token", json={"username": "nobody", "password": "whatever-123"})
    wrong = await client.post("/api/v1/auth/token", json={"username": "admin", "password": "whatever-123"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


async def test_unknown_household_and_wrong_pin_get_the_same_answer(client, world: World) -> None:
    unknown = await client.post("/api/v1/auth/household-token", json={"household_code": "ZZZ-999", "pin": "123456"})
    wrong = await client.post("/api/v1/auth/household-token", json={"household_code": "CJD-001", "pin": "654321"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


async def test_household_locks_after_five_wrong_pins_and_refuses_the_right_pin_meanwhile(client, world: World) -> None:
    for _ in range(5):
        response = await client.post(
            "/api/v1/auth/household-token", json={"household_code": "CJD-001", "pin": "000000"}
        )
        assert response.status_code == 401
    right = await client.post(
        "/api/v1/auth/household-token", json={"household_code": "CJD-001", "pin": world.pins["a1"]}
    )
    assert right.status_code == 401
    # Other households are not affected by one household's lock.
    other = await client.post(
        "/api/v1/auth/household-token", json={"household_code": "CJD-002", "pin": world.pins["a2"]}
    )
    assert other.status_code == 200


async def test_household_lock_opens_after_fifteen_minutes(app, world: World) -> None:
    logins = app.state.logins
    start = utcnow()
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            await logins.household("CJD-002", "999999", "198.51.100.1", now=start)
    with pytest.raises(AuthenticationFailed):
        await logins.household("CJD-002", world.pins["a2"], "198.51.100.1", now=start + timedelta(minutes=14))
    household = await logins.household("CJD-002", world.pins["a2"], "198.51.100.1", now=start + timedelta(minutes=16))
    assert household.code == "CJD-002"


async def test_four_wrong_pins_then_the_right_one_resets_the_count(app, world: World) -> None:
    logins = app.state.logins
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            await logins.household("DPF-001", "999999", "198.51.100.1")
    await logins.household("DPF-001", world.pins["b1"], "198.51.100.1")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            await logins.household("DPF-001", "999999", "198.51.100.1")
    assert (await logins.household("DPF-001", world.pins["b1"], "198.51.100.1")).code == "DPF-001"


async def test_user_locks_after_ten_wrong_passwords(client, world: World) -> None:
    for _ in range(9):
        await client.post("/api/v1/auth/token", json={"username": "trainee_a", "password": "wrong-password"})
    assert (
        await client.post("/api/v1/auth/token", json={"username": "trainee_a", "password": PASSWORD})
    ).status_code == 200
    for _ in range(10):
        await client.post("/api/v1/auth/token", json={"username": "trainee_a", "password": "wrong-password"})
    locked = await client.post("/api/v1/auth/token", json={"username": "trainee_a", "password": PASSWORD})
    assert locked.status_code == 401


async def test_pin_hash_is_peppered_so_the_database_alone_cannot_check_a_pin(app, world: World, db) -> None:
    from argon2 import PasswordHasher

    household = await db.scalar(select(Household).where(Household.code == "CJD-001"))
    assert household.pin_hash.startswith("$argon2id$")
    with pytest.raises(Exception):  # noqa: B017,PT011 - any verification failure
        PasswordHasher().verify(household.pin_hash, world.pins["a1"])
    assert app.state.hasher.verify_pin(household.pin_hash, world.pins["a1"])
