"""Reminders are delivered to the inbox exactly once: concurrent dispatchers, crashes and retries."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from shop.notifications.models import Notification, RecipientKind, Reminder
from shop.notifications.senders import RecordingSender
from shop.notifications.services import PlannedReminder, claim_due, dispatch_due_reminders, sync_reminders
from shop.timeutil import utcnow
from tests.conftest import World

pytestmark = pytest.mark.anyio


async def _due_reminders(db, world: World, count: int) -> None:
    now = utcnow()
    async with db.write() as session:
        plans = [
            PlannedReminder(
                kind=f"test.{n}",
                recipient_kind=RecipientKind.USER if n % 2 else RecipientKind.HOUSEHOLD,
                recipient_id=world.users["secretary_a"] if n % 2 else world.households["a1"],
                due_at=now + timedelta(seconds=1),
                title="In one hour: %(title)s",
                params={"title": f"直播{n}"},
            )
            for n in range(count)
        ]
        await sync_reminders(session, "test", 1, plans, version="v1", now=now)
    # Make them due now (they were planned a second ahead, as the planner refuses past times).
    async with db.write() as session:
        await session.execute(update(Reminder).values(due_at=now - timedelta(seconds=5)))


async def test_two_dispatchers_at_once_deliver_each_reminder_once(app, world: World, db) -> None:
    await _due_reminders(db, world, 100)
    sender = RecordingSender()
    alchemy = app.state.alchemy_config
    results = await asyncio.gather(
        dispatch_due_reminders(alchemy, sender, "one"), dispatch_due_reminders(alchemy, sender, "two")
    )
    assert sum(results) == 100
    assert len(sender.sent) == 100
    assert len({m.idempotency_key for m in sender.sent}) == 100
    assert await db.scalar(select(func.count()).select_from(Notification)) == 100
    counts = await db.rows(select(Notification.reminder_id, func.count()).group_by(Notification.reminder_id))
    assert all(n == 1 for _, n in counts)
    assert await db.scalar(select(func.count()).select_from(Reminder).where(Reminder.status != "sent")) == 0


async def test_a_claim_left_by_a_crash_is_retried_after_the_timeout_and_not_duplicated(app, world: World, db) -> None:
    await _due_reminders(db, world, 3)
    now = utcnow()
    async with db.write() as session:
        claimed = await claim_due(session, "crashed-process", now)
    assert len(claimed) == 3
    sender = RecordingSender()
    # Before the timeout the claims are respected …
    assert await dispatch_due_reminders(app.state.alchemy_config, sender, "survivor", now) == 0
    # … after it, the survivor takes them over.
    later = now + timedelta(minutes=6)
    assert await dispatch_due_reminders(app.state.alchemy_config, sender, "survivor", later) == 3
    assert await db.scalar(select(func.count()).select_from(Notification)) == 3


async def test_inbox_entry_written_before_a_crash_is_not_written_twice(app, world: World, db) -> None:
    await _due_reminders(db, world, 1)
    now = utcnow()
    async with db.write() as session:
        [reminder_id] = await claim_due(session, "crashed", now)
        reminder = await session.get(Reminder, reminder_id)
        session.add(
            Notification(
                recipient_kind=reminder.recipient_kind,
                recipient_id=reminder.recipient_id,
                kind=reminder.kind,
                title=reminder.title,
                reminder_id=reminder.id,
            )
        )
    delivered = await dispatch_due_reminders(
        app.state.alchemy_config, RecordingSender(), "survivor", now + timedelta(minutes=6)
    )
    assert delivered == 1
    assert await db.scalar(select(func.count()).select_from(Notification)) == 1


async def test_inbox_api_shows_the_callers_reminders_in_their_language(client, app, world: World, auth, db) -> None:
    await _due_reminders(db, world, 4)
    await dispatch_due_reminders(app.state.alchemy_config, RecordingSender(), "one")
    mine = (await client.get("/api/v1/notifications", headers=auth["secretary_a"])).json()
    assert mine["total"] == 2
    assert mine["items"][0]["title"].startswith("In one hour: 直播")
    zh = await client.get("/api/v1/notifications", headers={**auth["secretary_a"], "Accept-Language": "zh-CN"})
    assert zh.json()["items"][0]["title"].startswith("还有一小时：直播")
    household = (await client.get("/api/v1/notifications", headers=auth["household_a1"])).json()
    assert household["total"] == 2
    other = (await client.get("/api/v1/notifications", headers=auth["secretary_b"])).json()
    assert other["total"] == 0
    first = mine["items"][0]["id"]
    assert (await client.post(f"/api/v1/notifications/{first}/read", headers=auth["secretary_b"])).status_code == 404
    assert (await client.post(f"/api/v1/notifications/{first}/read", headers=auth["secretary_a"])).status_code == 204


async def test_two_scheduler_processes_deliver_once_and_the_survivor_finishes(
    settings, app, world: World, db, tmp_path
):
    """Two `shop scheduler` processes on one database with 100 due reminders: the lease lets one work;
    kill -9 it mid-run and the other takes over and finishes, every reminder in an inbox exactly once."""
    await _due_reminders(db, world, 100)
    sent_log = tmp_path / "sent.log"
    env = {
        **os.environ,
        "SHOP_DATABASE_URL": settings.database_url,
        "SHOP_VAR_DIR": str(settings.var_dir),
        "SHOP_SECRET_KEY": settings.secret_key,
        "SHOP_REMINDER_SENDER": "tests.notifications.slow_sender:SlowRecordingSender",
        "SHOP_TEST_SENT_LOG": str(sent_log),
        "SHOP_SCHEDULER_LEASE_SECONDS": "3",
        "SHOP_REMINDER_CLAIM_SECONDS": "1",
        "SHOP_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    command = [sys.executable, "-m", "shop", "scheduler"]
    first = subprocess.Popen(command, env=env)
    second = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + 60
        while (not sent_log.exists() or len(sent_log.read_text().splitlines()) < 20) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        lines = sent_log.read_text().splitlines()
        working = {int(line.split()[0]) for line in lines}
        assert len(working) == 1, "only the lease holder works"
        victim = first if first.pid in working else second
        survivor = second if victim is first else first
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        while time.monotonic() < deadline:
            if await db.scalar(select(func.count()).select_from(Reminder).where(Reminder.status != "sent")) == 0:
                break
            await asyncio.sleep(0.2)
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
    assert await db.scalar(select(func.count()).select_from(Reminder).where(Reminder.status != "sent")) == 0
    assert await db.scalar(select(func.count()).select_from(Notification)) == 100
    per_reminder = await db.rows(select(Notification.reminder_id, func.count()).group_by(Notification.reminder_id))
    assert len(per_reminder) == 100
    assert all(n == 1 for _, n in per_reminder)
    senders = {int(line.split()[0]) for line in sent_log.read_text().splitlines()}
    assert survivor.pid in senders, "the survivor finished the rest"
    # External sends are at-least-once: a message killed mid-send may go out again, never lost.
    assert len({line.split()[1] for line in sent_log.read_text().splitlines()}) == 100
