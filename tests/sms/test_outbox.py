"""The SMS outbox against a local stand-in of Aliyun's SendSms: exactly once, retries, permanent
errors, quiet hours, the daily cap, opt-out, and phones masked in the logs."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from shop.accounts.models import User
from shop.logs import JsonFormatter
from shop.settings import Settings
from shop.sms.models import SmsKind, SmsMessage
from shop.sms.providers import load_provider
from shop.sms.services import dispatch_due_sms, next_morning, queue_sms
from shop.streams.models import Guest
from shop.villages.models import Household
from tests.conftest import World
from tests.sms.standin import StandIn

pytestmark = pytest.mark.anyio

# 11:00 Beijing time: outside quiet hours.
DAYTIME = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
# 22:00 Beijing time.
NIGHT = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
PHONE_A1 = "13904210001"


async def _queue_payouts(db, household_id: int, count: int, at: datetime) -> None:
    async with db.write() as session:
        for n in range(count):
            await queue_sms(
                session,
                SmsKind.PAYOUT,
                subject_type="payout",
                subject_id=n + 1,
                recipient_kind="household",
                recipient_id=household_id,
                params={"amount": f"¥{n + 1}.00", "method": "Cash"},
                due_at=at,
            )


async def _messages(db) -> list[SmsMessage]:
    return await db.scalars(select(SmsMessage).order_by(SmsMessage.id))


async def _send(app, settings: Settings, now: datetime, holder: str = "one") -> int:
    return await dispatch_due_sms(app.state.alchemy_config, load_provider(settings), settings, holder, now)


async def test_the_same_message_is_queued_once(app, world: World, db) -> None:
    await _queue_payouts(db, world.households["a1"], 1, DAYTIME)
    await _queue_payouts(db, world.households["a1"], 1, DAYTIME)
    messages = await _messages(db)
    assert len(messages) == 1
    assert messages[0].village_id == world.villages["a"]


async def test_two_schedulers_send_each_message_exactly_once(
    app, world: World, db, aliyun_settings: Settings, standin: StandIn
) -> None:
    async with db.write() as session:
        for n in range(30):
            await queue_sms(
                session,
                SmsKind.PAYOUT,
                subject_type="payout",
                subject_id=n,
                recipient_kind="household",
                recipient_id=world.households["a1" if n % 2 else "b1"],
                params={"amount": "¥1.00", "method": "Cash"},
                due_at=DAYTIME,
            )
    capped = dataclasses.replace(aliyun_settings, sms_daily_cap=100)
    results = await asyncio.gather(_send(app, capped, DAYTIME, "one"), _send(app, capped, DAYTIME, "two"))
    assert sum(results) == 30
    assert len(standin.received) == 30
    assert len({r["OutId"] for r in standin.received}) == 30
    messages = await _messages(db)
    assert {m.status for m in messages} == {"sent"}
    assert all(m.request_id.startswith("REQ-") and m.biz_id.startswith("BIZ") for m in messages)
    # What the provider got: our sign name, the kind's template code, the variables as JSON.
    first = standin.received[0]
    assert first["SignName"] == "村播助农"
    assert first["TemplateCode"] == "SMS_1003"
    assert '"method": "Cash"' in first["TemplateParam"]
    # A second round (a restart) sends nothing again.
    assert await _send(app, capped, DAYTIME + timedelta(minutes=10)) == 0
    assert len(standin.received) == 30


async def test_a_provider_5xx_is_retried_later(app, world: World, db, aliyun_settings, standin: StandIn) -> None:
    await _queue_payouts(db, world.households["a1"], 1, DAYTIME)
    standin.script.append(503)
    assert await _send(app, aliyun_settings, DAYTIME) == 0
    [message] = await _messages(db)
    assert (message.status, message.attempts, message.error_code) == ("pending", 1, "ServiceUnavailable")
    assert message.due_at > DAYTIME
    # Not before its back-off …
    assert await _send(app, aliyun_settings, DAYTIME + timedelta(seconds=10)) == 0
    # … then it goes.
    assert await _send(app, aliyun_settings, DAYTIME + timedelta(minutes=5)) == 1
    [message] = await _messages(db)
    assert (message.status, message.attempts, message.error_code) == ("sent", 2, "")
    assert len(standin.received) == 2


async def test_throttling_is_retried_and_a_permanent_error_is_recorded_not_retried(
    app, world: World, db, aliyun_settings, standin: StandIn
) -> None:
    await _queue_payouts(db, world.households["a1"], 2, DAYTIME)
    standin.script.extend(["isv.MOBILE_NUMBER_ILLEGAL", "isv.BUSINESS_LIMIT_CONTROL"])
    await _send(app, aliyun_settings, DAYTIME)
    first, second = await _messages(db)
    assert (first.status, first.error_code) == ("failed", "isv.MOBILE_NUMBER_ILLEGAL")
    assert first.request_id == "REQ-0001"
    assert (second.status, second.error_code) == ("pending", "isv.BUSINESS_LIMIT_CONTROL")
    assert await _send(app, aliyun_settings, DAYTIME + timedelta(hours=1)) == 1
    assert len(standin.received) == 3  # the failed one was not tried again
    first, second = await _messages(db)
    assert first.status == "failed"
    assert second.status == "sent"


async def test_quiet_hours_hold_everything_but_a_reminder_for_within_the_hour(
    app, world: World, db, aliyun_settings, standin: StandIn
) -> None:
    guest_id = await _guest(db, world, "13904219999")
    async with db.write() as session:
        await queue_sms(
            session,
            SmsKind.PAYOUT,
            subject_type="payout",
            subject_id=1,
            recipient_kind="household",
            recipient_id=world.households["a1"],
            params={"amount": "¥1.00", "method": "Cash"},
            due_at=NIGHT,
        )
        for subject, starts in ((1, NIGHT + timedelta(minutes=50)), (2, NIGHT + timedelta(hours=24))):
            await queue_sms(
                session,
                SmsKind.STREAM_REMINDER,
                subject_type="stream",
                subject_id=subject,
                recipient_kind="guest",
                recipient_id=guest_id,
                params={"title": "剪纸", "time": "12-04 22:50", "place": "从家店村"},
                event_at=starts,
                due_at=NIGHT,
            )
    assert await _send(app, aliyun_settings, NIGHT) == 1
    payout, soon, tomorrow = await _messages(db)
    assert soon.status == "sent"
    morning = next_morning(NIGHT)
    assert morning == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)  # 08:00 Beijing time
    for held in (payout, tomorrow):
        assert held.status == "pending"
        assert held.due_at == morning
        assert held.attempts == 0
    assert await _send(app, aliyun_settings, morning - timedelta(minutes=1)) == 0
    assert await _send(app, aliyun_settings, morning) == 2
    assert len(standin.received) == 3


async def test_a_reminder_whose_event_has_begun_is_not_sent(app, world: World, db, aliyun_settings, standin) -> None:
    guest_id = await _guest(db, world, "13904219999")
    async with db.write() as session:
        await queue_sms(
            session,
            SmsKind.STREAM_REMINDER,
            subject_type="stream",
            subject_id=1,
            recipient_kind="guest",
            recipient_id=guest_id,
            params={"title": "剪纸", "time": "-", "place": "-"},
            event_at=DAYTIME - timedelta(minutes=1),
            due_at=DAYTIME - timedelta(hours=2),
        )
    assert await _send(app, aliyun_settings, DAYTIME) == 0
    [message] = await _messages(db)
    assert (message.status, message.error_code) == ("skipped", "too_late")
    assert standin.received == []


async def test_the_daily_cap_per_phone_holds_the_rest_until_tomorrow(
    app, world: World, db, aliyun_settings, standin: StandIn
) -> None:
    await _queue_payouts(db, world.households["a1"], 3, DAYTIME)
    capped = dataclasses.replace(aliyun_settings, sms_daily_cap=2)
    assert await _send(app, capped, DAYTIME) == 2
    held = [m for m in await _messages(db) if m.status == "pending"]
    assert len(held) == 1
    assert held[0].due_at == next_morning(DAYTIME)
    assert await _send(app, capped, next_morning(DAYTIME)) == 1
    assert len(standin.received) == 3


async def test_an_opted_out_number_gets_nothing_whoever_the_message_is_for(
    app, world: World, db, aliyun_settings, standin: StandIn
) -> None:
    async with db.write() as session:
        await session.execute(update(Household).where(Household.id == world.households["a1"]).values(sms_opt_out=True))
    guest_id = await _guest(db, world, PHONE_A1)  # the same family phone
    await _queue_payouts(db, world.households["a1"], 1, DAYTIME)
    async with db.write() as session:
        await queue_sms(
            session,
            SmsKind.STREAM_REMINDER,
            subject_type="stream",
            subject_id=1,
            recipient_kind="guest",
            recipient_id=guest_id,
            params={"title": "剪纸", "time": "-", "place": "-"},
            event_at=DAYTIME + timedelta(hours=5),
            due_at=DAYTIME,
        )
    assert await _send(app, aliyun_settings, DAYTIME) == 0
    assert {(m.status, m.error_code) for m in await _messages(db)} == {("skipped", "opted_out")}
    assert standin.received == []


async def test_no_phone_or_no_template_code_is_skipped_with_its_reason(
    app, world: World, db, aliyun_settings, standin
) -> None:
    async with db.write() as session:
        await queue_sms(
            session,
            SmsKind.CASE_NEW,
            subject_type="case",
            subject_id=1,
            recipient_kind="user",
            recipient_id=world.users["secretary_a"],
            params={"id": 1, "household": "CJD-001", "by": "12-05"},
            due_at=DAYTIME,
        )
    await _queue_payouts(db, world.households["a1"], 1, DAYTIME)
    no_payout_template = dataclasses.replace(
        aliyun_settings, sms_templates={k: v for k, v in aliyun_settings.sms_templates.items() if k != "payout"}
    )
    assert await _send(app, no_payout_template, DAYTIME) == 0
    case_new, payout = await _messages(db)
    assert (case_new.status, case_new.error_code) == ("skipped", "no_phone")
    assert (payout.status, payout.error_code) == ("skipped", "no_template")
    assert standin.received == []


async def test_the_log_default_sends_nothing_and_masks_the_phone(
    app, world: World, db, settings: Settings, standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    # The endpoint names the stand-in, yet the default provider must not reach it.
    default = dataclasses.replace(settings, sms_endpoint=standin.url)
    assert default.sms_provider == "log"
    await _queue_payouts(db, world.households["a1"], 1, DAYTIME)
    with caplog.at_level(logging.INFO, logger="shop.sms"):
        assert await _send(app, default, DAYTIME) == 1
    assert standin.received == []
    [message] = await _messages(db)
    assert message.provider == "log"
    assert message.request_id.startswith("log-")
    lines = [r for r in caplog.records if r.name.startswith("shop.sms")]
    assert any(getattr(r, "fields", {}).get("to") == "139****0001" for r in lines)
    assert any("¥1.00" in getattr(r, "fields", {}).get("text", "") for r in lines)
    _assert_no_full_phone(caplog, PHONE_A1)


async def test_phones_are_masked_in_every_log_line_of_the_aliyun_path(
    app, world: World, db, aliyun_settings, standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    await _queue_payouts(db, world.households["a1"], 2, DAYTIME)
    standin.script.extend(["isv.MOBILE_NUMBER_ILLEGAL"])
    with caplog.at_level(logging.DEBUG):
        await _send(app, aliyun_settings, DAYTIME)
    assert len(standin.received) == 2
    assert any(getattr(r, "fields", {}).get("to") == "139****0001" for r in caplog.records)
    _assert_no_full_phone(caplog, PHONE_A1)


def _assert_no_full_phone(caplog: pytest.LogCaptureFixture, phone: str) -> None:
    """Every line as the service writes it (the SDK's HTTP library logs its URL at debug level: the
    formatter's last guard masks it), and our own fields even before formatting."""
    formatter = JsonFormatter()
    assert caplog.records
    for record in caplog.records:
        assert phone not in formatter.format(record)
        assert phone not in repr(getattr(record, "fields", {}))


async def _guest(db, world: World, phone: str) -> int:
    async with db.write() as session:
        guest = Guest(village_id=world.villages["a"], name="王剪纸", phone=phone)
        session.add(guest)
        await session.flush()
        return int(guest.id)


async def test_a_user_who_switched_sms_off_gets_nothing(app, world: World, db, aliyun_settings, standin) -> None:
    async with db.write() as session:
        await session.execute(
            update(User).where(User.id == world.users["secretary_a"]).values(phone="13904218888", sms_opt_out=True)
        )
        await queue_sms(
            session,
            SmsKind.CASE_NEW,
            subject_type="case",
            subject_id=1,
            recipient_kind="user",
            recipient_id=world.users["secretary_a"],
            params={"id": 1, "household": "CJD-001", "by": "12-05"},
            due_at=DAYTIME,
        )
    await _send(app, aliyun_settings, DAYTIME)
    [message] = await _messages(db)
    assert (message.status, message.error_code) == ("skipped", "opted_out")
    assert standin.received == []
