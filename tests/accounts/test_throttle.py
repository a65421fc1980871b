"""Failed logins counted in the database per address, per account and per (account, address); the bound
on hashes at a time; logins that verify with no transaction open and take one path for every name."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import event, select, update

from shop.accounts.models import LoginThrottle
from shop.accounts.services import Logins
from shop.accounts.throttle import HOUSEHOLD_LIMITS, HashGate, HashingBusy
from shop.errors import AuthenticationFailed
from shop.settings import Settings
from shop.villages.models import Household
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.anyio
PROXY = ("10.0.0.2", 4000)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """The app behind a trusted reverse proxy at 10.0.0.2."""
    from shop.app import create_app

    return create_app(replace(settings, trusted_proxies=("10.0.0.2/32",)))


@pytest.fixture
async def proxy(client: Any, app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """Requests as the proxy forwards them (the ``client`` fixture has started the app)."""
    transport = httpx.ASGITransport(app=app, client=PROXY)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as forwarded:
        yield forwarded


async def _pin(client: Any, code: str, pin: str, address: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    body = {"household_code": code, "pin": pin}
    return await client.post("/api/v1/auth/household-token", json=body, headers=headers)


async def test_wrong_pins_from_one_address_never_lock_the_villager_out_from_another(proxy, world: World) -> None:
    for _ in range(HOUSEHOLD_LIMITS.pair):
        assert (await _pin(proxy, "CJD-001", "000000", "198.51.100.1")).status_code == 401
    assert (await _pin(proxy, "CJD-001", world.pins["a1"], "198.51.100.1")).status_code == 401  # the guesser
    assert (await _pin(proxy, "CJD-001", world.pins["a1"], "198.51.100.2")).status_code == 200  # the villager


async def test_an_untrusted_peer_cannot_dodge_the_count_with_a_forged_header(client, world: World) -> None:
    # The test client's peer is no trusted proxy: whatever X-Forwarded-For it sends, it is one address.
    for n in range(HOUSEHOLD_LIMITS.pair):
        assert (await _pin(client, "CJD-001", "000000", f"203.0.113.{n}")).status_code == 401
    assert (await _pin(client, "CJD-001", world.pins["a1"], "203.0.113.99")).status_code == 401


async def test_the_page_login_counts_by_the_forwarded_address_too(proxy, world: World) -> None:
    form = {"code": "CJD-002", "pin": "000000"}
    get = await proxy.get("/household/login")
    csrf = get.cookies.get("shop_csrf")
    headers = {"X-Forwarded-For": "198.51.100.7", "x-csrftoken": csrf or ""}
    for _ in range(HOUSEHOLD_LIMITS.pair):
        assert (await proxy.post("/household/login", data=form, headers=headers)).status_code == 401
    right = {"code": "CJD-002", "pin": world.pins["a2"]}
    assert (await proxy.post("/household/login", data=right, headers=headers)).status_code == 401
    headers["X-Forwarded-For"] = "198.51.100.8"
    assert (await proxy.post("/household/login", data=right, headers=headers)).status_code == 303


async def test_one_address_guessing_many_names_is_told_to_wait(proxy, world: World) -> None:
    for n in range(100):
        response = await proxy.post(
            "/api/v1/auth/token",
            json={"username": f"guess{n}", "password": "wrong-password"},
            headers={"X-Forwarded-For": "198.51.100.9"},
        )
        assert response.status_code == 401
    refused = await proxy.post(
        "/api/v1/auth/token",
        json={"username": "admin", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.9"},
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Another address (another village's office behind the same proxy) is not affected.
    other = await proxy.post(
        "/api/v1/auth/token",
        json={"username": "admin", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.10"},
    )
    assert other.status_code == 200


async def test_the_accounts_ceiling_stops_a_botnet_but_not_the_villagers_own_phone(app, world: World) -> None:
    logins: Logins = app.state.logins
    addresses = HOUSEHOLD_LIMITS.account // HOUSEHOLD_LIMITS.pair
    for n in range(addresses):
        for _ in range(HOUSEHOLD_LIMITS.pair):
            with pytest.raises(AuthenticationFailed):
                await logins.household("CJD-001", "000000", f"203.0.113.{n}")
    with pytest.raises(AuthenticationFailed):  # a fresh address: the ceiling is full
        await logins.household("CJD-001", world.pins["a1"], "198.51.100.50")
    with pytest.raises(AuthenticationFailed):  # a forged device mark does not help
        await logins.household("CJD-001", world.pins["a1"], "198.51.100.50", device="0" * 32)
    mark = logins.device_mark("h", "CJD-001")
    household = await logins.household("CJD-001", world.pins["a1"], "198.51.100.50", device=mark)
    assert household.code == "CJD-001"


async def test_the_page_login_gives_the_device_its_mark(client, world: World) -> None:
    page = await client.get("/household/login")
    response = await client.post(
        "/household/login",
        data={"code": "CJD-001", "pin": world.pins["a1"]},
        headers={"x-csrftoken": page.cookies.get("shop_csrf") or ""},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.cookies.get("shop_known") == client.app.state.logins.device_mark("h", "cjd-001")


async def _spy(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts verifications; each records how many transactions were open on the engine at that moment."""
    engine = app.state.alchemy_config.get_engine().sync_engine
    open_transactions = [0]

    def began(_conn: Any) -> None:
        open_transactions[0] += 1

    def ended(_conn: Any) -> None:
        open_transactions[0] -= 1

    event.listen(engine, "begin", began)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    seen: list[int] = []
    hasher = app.state.hasher
    for name in ("verify_pin", "verify_password"):
        original = getattr(hasher, name)

        def spy(stored: str | None, secret: str, _original: Any = original) -> bool:
            seen.append(open_transactions[0])
            return bool(_original(stored, secret))

        monkeypatch.setattr(hasher, name, spy)
    return seen


async def test_known_unknown_and_inactive_names_take_the_same_path(app, world: World, db, monkeypatch) -> None:
    async with db.write() as session:
        await session.execute(update(Household).where(Household.code == "CJD-002").values(active=False))
    seen = await _spy(app, monkeypatch)
    engine = app.state.alchemy_config.get_engine().sync_engine
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    shapes = {}
    for code in ("CJD-001", "ZZZ-404", "CJD-002"):  # known (wrong PIN), unknown, inactive (right PIN)
        statements.clear()
        before = len(seen)
        with pytest.raises(AuthenticationFailed) as refused:
            await app.state.logins.household(code, world.pins["a2"] if code == "CJD-002" else "000000", "198.51.100.1")
        assert len(seen) == before + 1, code  # the hash is verified exactly once, whoever it is
        shapes[code] = (tuple(statements), str(refused.value))
    event.remove(engine, "before_cursor_execute", record)
    assert shapes["CJD-001"] == shapes["ZZZ-404"] == shapes["CJD-002"]
    counted = await db.scalars(select(LoginThrottle.key).where(LoginThrottle.key.like("h:%@%")))
    assert sorted(counted) == ["h:CJD-001@198.51.100.1", "h:CJD-002@198.51.100.1", "h:ZZZ-404@198.51.100.1"]


async def test_no_transaction_is_open_while_a_hash_is_verified(app, world: World, monkeypatch) -> None:
    seen = await _spy(app, monkeypatch)
    await app.state.logins.household("CJD-001", world.pins["a1"], "198.51.100.1")
    await app.state.logins.user("secretary_a", PASSWORD, "198.51.100.1")
    with pytest.raises(AuthenticationFailed):
        await app.state.logins.user("secretary_a", "wrong-password", "198.51.100.1")
    assert seen == [0, 0, 0]


async def test_concurrent_guesses_never_get_more_than_the_allowed_tries(app, world: World, monkeypatch) -> None:
    seen = await _spy(app, monkeypatch)
    logins: Logins = app.state.logins

    async def guess(address: str) -> None:
        # Refused as a wrong PIN, or (beyond the worker's places for logins) as busy before anything is read.
        with pytest.raises((AuthenticationFailed, HashingBusy)):
            await logins.household("CJD-001", "000000", address)

    await asyncio.gather(*(guess("198.51.100.1") for _ in range(20)))
    assert len(seen) <= HOUSEHOLD_LIMITS.pair
    assert len(seen) == HOUSEHOLD_LIMITS.pair  # and no fewer: each refused one saw a full count
    seen.clear()
    # From many addresses at once, the household's ceiling holds across them.
    await asyncio.gather(*(guess(f"203.0.113.{n}") for n in range(HOUSEHOLD_LIMITS.account + 5)))
    assert len(seen) <= HOUSEHOLD_LIMITS.account - HOUSEHOLD_LIMITS.pair


async def test_a_new_pin_clears_the_households_counts(app, world: World, client, auth) -> None:
    for _ in range(HOUSEHOLD_LIMITS.pair):
        assert (await _pin(client, "CJD-001", "000000")).status_code == 401
    reset = await client.post(
        f"/api/v1/households/{world.households['a1']}/pin", json={"pin": "654321"}, headers=auth["secretary_a"]
    )
    assert reset.status_code == 200
    assert (await _pin(client, "CJD-001", "654321")).status_code == 200


async def test_hashing_beyond_the_bound_is_refused_at_once() -> None:
    gate = HashGate(slots=1, queue=1)
    release = threading.Event()
    try:
        first = asyncio.ensure_future(gate.run(release.wait, 5))
        second = asyncio.ensure_future(gate.run(release.wait, 5))
        await asyncio.sleep(0.05)
        assert gate.in_flight == 2
        with pytest.raises(HashingBusy):
            await gate.run(release.wait, 5)
        release.set()
        assert await first
        assert await second
        assert gate.in_flight == 0
    finally:
        release.set()
        gate.close()


async def test_a_busy_worker_answers_503_with_retry_after(client, world: World, monkeypatch) -> None:
    gate: HashGate = client.app.state.logins.gate
    monkeypatch.setattr(gate, "_in_flight", gate.slots + gate.queue)
    for _ in range(12):  # more than the 10 tries of a staff account from one address
        response = await client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
    # Refused for want of a slot, nothing was counted against the account.
    monkeypatch.setattr(gate, "_in_flight", 0)
    assert (
        await client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    ).status_code == 200


async def test_a_login_refused_for_want_of_a_place_reads_and_counts_nothing(app, world: World, db, monkeypatch) -> None:
    logins: Logins = app.state.logins
    monkeypatch.setattr(logins.gate, "_in_flight", logins.gate.slots + logins.gate.queue)
    for _ in range(HOUSEHOLD_LIMITS.account + 1):
        with pytest.raises(HashingBusy):
            await logins.household("CJD-001", world.pins["a1"], "198.51.100.1")
    counts = await db.scalars(select(LoginThrottle.attempts).where(LoginThrottle.key.like("%CJD-001%")))
    assert not list(counts)


async def test_a_full_worker_turns_logins_away_at_the_door_in_the_pages_language(
    client, world: World, monkeypatch
) -> None:
    """Under a flood the refusal is made before the request's body is read or a handler runs."""
    gate: HashGate = client.app.state.logins.gate
    monkeypatch.setattr(gate, "_in_flight", gate.slots + gate.queue)
    page = await client.post("/household/login", data={"code": "CJD-001", "pin": "000000"})
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "1"
    assert "系统繁忙" in page.text
    api = await client.post("/api/v1/auth/household-token?lang=en", json={"household_code": "CJD-001", "pin": "0"})
    assert api.status_code == 503
    assert "busy" in api.json()["detail"]
    # Other doors are open as usual.
    assert (await client.get("/login")).status_code == 200
