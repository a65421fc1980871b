"""The rotating check-in code: this minute's and the last one's work, older ones and other cohorts do not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shop.accounts.principal import Principal
from shop.errors import DomainError
from shop.timeutil import utcnow
from shop.training import checkin
from shop.training.classes import MAX_CHECKIN_FAILURES, ClassService
from shop.training.models import Attendance, CheckInAttempt
from tests.conftest import World
from tests.training.helpers import enroll, make_cohort, schedule, trained_world
from tests.web.test_pages import login_page_client

SECRET = "test-secret-key-not-for-production"
T = datetime(2026, 12, 3, 6, 0, 30, tzinfo=UTC)


def test_the_code_is_six_digits_and_changes_every_minute() -> None:
    codes = {checkin.current_code(SECRET, 7, T + timedelta(minutes=m)) for m in range(30)}
    assert len(codes) >= 29  # a repeat among a million values is possible but not here
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert checkin.current_code(SECRET, 7, T) == checkin.current_code(SECRET, 7, T + timedelta(seconds=29))


def test_the_code_depends_on_the_class_and_the_secret_key() -> None:
    assert checkin.current_code(SECRET, 7, T) != checkin.current_code(SECRET, 8, T)
    assert checkin.current_code(SECRET, 7, T) != checkin.current_code("another key", 7, T)


def test_current_and_previous_minute_are_accepted_older_and_future_are_not() -> None:
    now = T + timedelta(minutes=10)
    for back, accepted in ((0, True), (1, True), (2, False), (5, False), (-1, False)):
        code = checkin.current_code(SECRET, 7, now - timedelta(minutes=back))
        assert checkin.is_valid_code(SECRET, 7, code, now) is accepted, back


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", " 12 34"])
def test_malformed_codes_are_refused(typed: str) -> None:
    assert not checkin.is_valid_code(SECRET, 7, typed, T)


def test_the_screen_refreshes_when_the_minute_turns() -> None:
    assert checkin.seconds_until_next_code(T) == 30
    assert checkin.seconds_until_next_code(T.replace(second=59)) == 1


async def _class_now(client, auth, world: World) -> tuple[dict, dict]:
    _course, cohort = await trained_world(client, auth, world)
    started = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    return cohort, await schedule(client, auth, cohort["id"], started)


@pytest.mark.anyio
async def test_a_trainee_checks_in_with_the_code_on_screen(client, world: World, auth, settings) -> None:
    _cohort, cls = await _class_now(client, auth, world)
    code = checkin.current_code(settings.secret_key, cls["id"], utcnow())
    response = await client.post(
        f"/api/v1/classes/{cls['id']}/check-in", json={"code": code}, headers=auth["trainee_a"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "present"
    assert response.json()["checked_in_at"] is not None


@pytest.mark.anyio
async def test_an_old_code_is_refused(client, world: World, auth, settings) -> None:
    _cohort, cls = await _class_now(client, auth, world)
    old = checkin.current_code(settings.secret_key, cls["id"], utcnow() - timedelta(minutes=3))
    response = await client.post(f"/api/v1/classes/{cls['id']}/check-in", json={"code": old}, headers=auth["trainee_a"])
    assert response.status_code == 400
    assert response.json()["field"] == "code"


@pytest.mark.anyio
async def test_a_trainee_of_another_cohort_is_refused(client, world: World, auth, settings, app) -> None:
    (
        course,
        _cohort,
    ) = await trained_world(client, auth, world)
    other = await make_cohort(client, auth, course["id"], name="第2期")
    started = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    cls = await schedule(client, auth, other["id"], started)
    code = checkin.current_code(settings.secret_key, cls["id"], utcnow())
    response = await client.post(
        f"/api/v1/classes/{cls['id']}/check-in", json={"code": code}, headers=auth["trainee_a"]
    )
    assert response.status_code == 403
    assert "cohort" in response.json()["detail"]
    far = await client.post(f"/api/v1/classes/{cls['id']}/check-in", json={"code": code}, headers=auth["trainee_b"])
    assert far.status_code == 404


@pytest.mark.anyio
async def test_check_in_is_open_half_an_hour_before_until_the_end_and_late_after_ten_minutes(
    app, client, world: World, auth, db
) -> None:
    _course, cohort = await trained_world(client, auth, world)
    starts = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    cls = await schedule(client, auth, cohort["id"], starts, minutes=60)
    trainee = Principal(
        kind="user", id=world.users["trainee_a"], role="trainee", village_id=world.villages["a"], name="t"
    )
    secret = app.state.settings.secret_key

    async def attempt(at: datetime) -> str:
        async with db.write() as session:
            try:
                mark = await ClassService(session=session).check_in(
                    trainee, secret, cls["id"], checkin.current_code(secret, cls["id"], at), now=at
                )
            except DomainError as exc:
                return type(exc).__name__
            return mark.status

    assert await attempt(starts - timedelta(minutes=31)) == "Conflict"
    assert await attempt(starts + timedelta(minutes=61)) == "Conflict"
    assert await attempt(starts + timedelta(minutes=11)) == "late"
    # The first check-in stands: scanning again does not make a late arrival punctual.
    assert await attempt(starts + timedelta(minutes=12)) == "late"
    rows = await db.scalars(Attendance.__table__.select().where(Attendance.class_id == cls["id"]))
    assert len(rows) == 1


@pytest.mark.anyio
async def test_scanning_after_being_marked_absent_counts_as_being_there(client, world: World, auth, settings) -> None:
    cohort, cls = await _class_now(client, auth, world)
    await enroll(client, auth, cohort["id"], world.users["trainee_a"])
    marked = await client.post(
        f"/api/v1/classes/{cls['id']}/attendance",
        json={"marks": [{"user_id": world.users["trainee_a"], "status": "absent"}]},
        headers=auth["secretary_a"],
    )
    assert marked.status_code == 200, marked.text
    code = checkin.current_code(settings.secret_key, cls["id"], utcnow())
    response = await client.post(
        f"/api/v1/classes/{cls['id']}/check-in", json={"code": code}, headers=auth["trainee_a"]
    )
    assert response.json()["status"] == "present"


@pytest.mark.anyio
async def test_wrong_codes_are_limited_per_trainee_and_class_and_counted_in_the_database(
    client, world: World, auth, settings, db
) -> None:
    _cohort, cls = await _class_now(client, auth, world)
    url = f"/api/v1/classes/{cls['id']}/check-in"
    right = checkin.current_code(settings.secret_key, cls["id"], utcnow())
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    assert (await client.post(url, json={"code": right}, headers=auth["trainee_a"])).status_code == 200
    for _ in range(MAX_CHECKIN_FAILURES):  # a right code did not count; every wrong one does
        refused = await client.post(url, json={"code": wrong}, headers=auth["trainee_a"])
        assert refused.status_code == 400
    locked = await client.post(url, json={"code": right}, headers=auth["trainee_a"])
    assert locked.status_code == 429
    assert f"{MAX_CHECKIN_FAILURES} wrong codes" in locked.json()["detail"]
    failures = await db.scalar(select(CheckInAttempt.failures).where(CheckInAttempt.class_id == cls["id"]))
    assert failures == MAX_CHECKIN_FAILURES
    # The page says so in Chinese, with the same count.
    await login_page_client(client, "trainee_a")
    page = await client.get(f"/training/classes/{cls['id']}/check-in")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    answer = await client.post(
        f"/training/classes/{cls['id']}/check-in", data={"code": right, "_csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 429
    assert "请书记" in answer.text
