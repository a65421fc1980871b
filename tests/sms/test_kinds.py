"""Who gets which text message: a guest's stream reminder, a villager's payout notice and daily sales
digest, a case to its handlers and its answer to the villager; all through the outbox to the stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from shop.accounts.models import User
from shop.notifications.senders import RecordingSender
from shop.notifications.services import dispatch_due_reminders
from shop.sms.digest import queue_daily_digests
from shop.sms.models import SmsMessage
from shop.sms.providers import load_provider
from shop.sms.services import dispatch_due_sms
from shop.timeutil import utcnow
from tests.conftest import World
from tests.ledger.test_crediting import _move, _policy, _sale
from tests.sms.standin import StandIn

pytestmark = pytest.mark.anyio


async def _by_kind(db, kind: str) -> list[SmsMessage]:
    return await db.scalars(select(SmsMessage).where(SmsMessage.kind == kind).order_by(SmsMessage.id))


async def _send(app, settings, now: datetime) -> int:
    return await dispatch_due_sms(app.state.alchemy_config, load_provider(settings), settings, "t", now)


async def test_sales_make_one_digest_per_household_and_a_payout_its_own_message(
    app, client, world: World, auth, db, aliyun_settings, standin: StandIn
) -> None:
    await _policy(client, auth, world)
    for external in ("6930000000000000101", "6930000000000000102"):
        order = await _sale(client, auth, world, external=external)
        await _move(client, auth, order["id"], "shipped", "completed")
    later = utcnow() + timedelta(days=1)
    assert await queue_daily_digests(app.state.alchemy_config, later) == 2
    assert await queue_daily_digests(app.state.alchemy_config, later) == 0  # a second run adds nothing
    digests = {m.recipient_id: m for m in await _by_kind(db, "daily_sales")}
    a1 = digests[world.households["a1"]]
    assert a1.params["products"] == "朝阳小米"
    assert a1.params["units"] == "4"
    assert a1.params["amount"] == a1.params["balance"] == "¥130.86"
    response = await client.post(
        "/api/v1/payouts",
        json={"household_id": world.households["a1"], "amount_fen": 1000, "method": "wechat"},
        headers=auth["secretary_a"],
    )
    assert response.status_code == 201, response.text
    [payout] = await _by_kind(db, "payout")
    assert payout.params == {"amount": "¥10.00", "method": "微信"}
    assert payout.status == "pending"  # queued by the request, sent by the scheduler's job
    assert standin.received == []
    daytime = datetime.combine(later.date(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)
    assert await _send(app, aliyun_settings, daytime) == 3
    sent = {r["TemplateCode"]: json.loads(r["TemplateParam"]) for r in standin.received if r["PhoneNumbers"]}
    assert sent["SMS_1003"] == {"amount": "¥10.00", "method": "微信"}
    assert sent["SMS_1004"]["products"] == "朝阳小米"


async def test_a_guest_without_a_login_gets_the_stream_reminders(
    app, client, world: World, auth, db, aliyun_settings, standin: StandIn
) -> None:
    guest = await client.post(
        "/api/v1/guests",
        json={"name": "孟凤兰", "title": "市级非遗剪纸项目传承人", "phone": "13904217777"},
        headers=auth["secretary_a"],
    )
    assert guest.status_code == 201, guest.text
    starts = datetime(2031, 12, 1, 3, 30, tzinfo=UTC)  # 11:30 Beijing time
    response = await client.post(
        "/api/v1/streams",
        json={
            "title": "新米节",
            "platform": "douyin",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "guest_ids": [guest.json()["id"]],
        },
        headers=auth["secretary_a"],
    )
    assert response.status_code == 201, response.text
    alchemy = app.state.alchemy_config
    for before in (timedelta(hours=24), timedelta(hours=1)):
        await dispatch_due_reminders(alchemy, RecordingSender(), "r", starts - before)
        await _send(app, aliyun_settings, starts - before)
    reminders = await _by_kind(db, "stream_reminder")
    assert [m.status for m in reminders] == ["sent", "sent"]
    assert [m.recipient_kind for m in reminders] == ["guest", "guest"]
    assert len(standin.received) == 2
    params = json.loads(standin.received[0]["TemplateParam"])
    assert params == {"title": "新米节", "time": "12-01 11:30", "place": "从家店村"}
    assert standin.received[0]["PhoneNumbers"] == "13904217777"


async def test_a_new_case_texts_the_secretary_and_the_answer_texts_the_villager(
    app, client, world: World, auth, db, aliyun_settings, standin: StandIn
) -> None:
    async with db.write() as session:
        await session.execute(update(User).where(User.id == world.users["secretary_a"]).values(phone="13904218888"))
    raised = await client.post("/api/v1/cases", json={"topic": "other", "text": "秤不准"}, headers=auth["household_a1"])
    assert raised.status_code == 201, raised.text
    case_id = raised.json()["id"]
    [new] = await _by_kind(db, "case_new")
    assert (new.recipient_kind, new.recipient_id) == ("user", world.users["secretary_a"])
    assert new.params["household"] == "CJD-001"
    reply = await client.post(f"/api/v1/cases/{case_id}/replies", json={"text": "已复称"}, headers=auth["secretary_a"])
    assert reply.status_code in (200, 201), reply.text
    resolve = await client.post(
        f"/api/v1/cases/{case_id}/resolve", json={"outcome": "upheld", "text": "秤是准的"}, headers=auth["secretary_a"]
    )
    assert resolve.status_code in (200, 201), resolve.text
    updates = await _by_kind(db, "case_update")
    assert {m.recipient_id for m in updates} == {world.households["a1"]}
    assert updates[-1].params["what"] == "已答复，请评价"
    daytime = datetime.combine(utcnow().date(), datetime.min.time(), tzinfo=UTC) + timedelta(days=1, hours=3)
    assert await _send(app, aliyun_settings, daytime) == 1 + len(updates)
    phones = sorted(r["PhoneNumbers"] for r in standin.received)
    assert phones[-1] == "13904218888"
