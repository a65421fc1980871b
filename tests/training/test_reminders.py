"""Class reminders: planned 24 h and 1 h before for every enrolled trainee, moved with the class, withdrawn
when it is cancelled or the trainee leaves the cohort."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.accounts.principal import Principal
from shop.accounts.services import UserService
from shop.notifications.models import Reminder
from tests.conftest import World
from tests.training.helpers import enroll, hours_from_now, schedule, trained_world

pytestmark = pytest.mark.anyio


async def _reminders(db, class_id: int) -> list[Reminder]:
    return await db.scalars(
        select(Reminder)
        .where(Reminder.subject_type == "class", Reminder.subject_id == class_id)
        .order_by(Reminder.recipient_id, Reminder.due_at)
    )


async def test_a_scheduled_class_plans_reminders_a_day_and_an_hour_before(client, world: World, auth, db) -> None:
    _course, cohort = await trained_world(client, auth, world)
    starts = hours_from_now(72)
    cls = await schedule(client, auth, cohort["id"], starts, topic="拍好产品")
    rows = await _reminders(db, cls["id"])
    assert [(r.kind, r.recipient_id, r.status) for r in rows] == [
        ("class.24h", world.users["trainee_a"], "pending"),
        ("class.1h", world.users["trainee_a"], "pending"),
    ]
    assert [r.due_at for r in rows] == [starts - timedelta(hours=24), starts - timedelta(hours=1)]
    assert rows[0].params["topic"] == "拍好产品"
    assert rows[0].params["place"] == "村委会会议室"
    assert rows[0].link == f"/training/classes/{cls['id']}"


async def test_moving_a_class_moves_its_reminders(client, world: World, auth, db) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], hours_from_now(72))
    later = hours_from_now(120)
    moved = await client.patch(
        f"/api/v1/classes/{cls['id']}",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()},
        headers=auth["secretary_a"],
    )
    assert moved.status_code == 200, moved.text
    pending = [r for r in await _reminders(db, cls["id"]) if r.status == "pending"]
    assert sorted(r.due_at for r in pending) == [later - timedelta(hours=24), later - timedelta(hours=1)]


async def test_moving_only_the_start_keeps_the_length_of_the_class(client, world: World, auth) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], hours_from_now(72), minutes=90)
    later = hours_from_now(96)
    moved = await client.patch(
        f"/api/v1/classes/{cls['id']}", json={"starts_at": later.isoformat()}, headers=auth["secretary_a"]
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["ends_at"] == (later + timedelta(minutes=90)).isoformat().replace("+00:00", "Z")


async def test_cancelling_a_class_withdraws_its_reminders(client, world: World, auth, db) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], hours_from_now(72))
    cancelled = await client.post(f"/api/v1/classes/{cls['id']}/cancel", headers=auth["secretary_a"])
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled"] is True
    assert {r.status for r in await _reminders(db, cls["id"])} == {"withdrawn"}


async def test_enrolment_changes_add_and_withdraw_a_trainees_reminders(app, client, world: World, auth, db) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], hours_from_now(72))
    async with db.write() as session:
        newcomer = await UserService(session=session).create_user(
            Principal.system(),
            app.state.hasher,
            username="13904219999",
            password="xueyuan-2026",
            role="trainee",
            village_id=world.villages["a"],
        )
    await enroll(client, auth, cohort["id"], newcomer.id)
    recipients = {r.recipient_id for r in await _reminders(db, cls["id"]) if r.status == "pending"}
    assert recipients == {world.users["trainee_a"], newcomer.id}
    removed = await client.delete(
        f"/api/v1/cohorts/{cohort['id']}/enrollments/{world.users['trainee_a']}", headers=auth["secretary_a"]
    )
    assert removed.status_code == 204
    pending = {r.recipient_id for r in await _reminders(db, cls["id"]) if r.status == "pending"}
    assert pending == {newcomer.id}


async def test_a_class_less_than_a_day_away_gets_only_the_one_hour_reminder(client, world: World, auth, db) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], hours_from_now(5))
    assert [r.kind for r in await _reminders(db, cls["id"])] == ["class.1h"]
