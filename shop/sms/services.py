"""Queueing text messages and sending each one once.

Queueing (``queue_sms``) happens inside the transaction of whatever caused the message (a payout, a new
case, a delivered reminder): one row per (kind, subject, recipient[, version]), and a second attempt to
queue the same message is dropped by the unique key. Nothing is sent from a web request.

Sending (``dispatch_due_sms``, the scheduler's job) claims due rows with a conditional update, decides
for each — quiet hours, the daily cap per phone, opt-out, a missing phone or template — and calls the
provider outside any transaction. The answer is written back only if the claim is still ours. A
provider's "not now" is retried with a growing delay; a "never" is marked failed with its code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shop import i18n
from shop.accounts.models import User
from shop.db import unit_of_work
from shop.errors import N_
from shop.privacy import mask_phone
from shop.settings import Settings
from shop.sms.models import SmsKind, SmsMessage, SmsStatus
from shop.sms.providers import SmsError, SmsProvider, SmsRequest
from shop.streams.models import Guest
from shop.timeutil import SHANGHAI, as_utc, local_day_bounds, to_local, utcnow
from shop.villages.models import Household

log = logging.getLogger("shop.sms")

CLAIM_TIMEOUT = timedelta(minutes=5)
BATCH = 50
MAX_ATTEMPTS = 8
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
REMINDER_KINDS = frozenset({SmsKind.STREAM_REMINDER.value, SmsKind.CLASS_REMINDER.value})

# What each kind says, with the template variables it carries (the provider's approved template must use
# the same names; docs/deploy.md lists them). Used for the log provider's line and the secretary's page.
TEXTS: dict[str, str] = {
    SmsKind.STREAM_REMINDER.value: N_("Livestream %(title)s starts %(time)s at %(place)s."),
    SmsKind.CLASS_REMINDER.value: N_("Class %(topic)s starts %(time)s at %(place)s."),
    SmsKind.PAYOUT.value: N_("You were paid %(amount)s by %(method)s."),
    SmsKind.DAILY_SALES.value: N_(
        "Sales of %(date)s: %(products)s, %(units)s units, %(amount)s credited. Balance %(balance)s."
    ),
    SmsKind.CASE_NEW.value: N_("New case #%(id)s from %(household)s, please answer by %(by)s."),
    SmsKind.CASE_UPDATE.value: N_("Your case #%(id)s: %(what)s."),
    SmsKind.CASE_DEADLINE.value: N_("Case #%(id)s is due tomorrow (%(by)s)."),
    SmsKind.TEST.value: N_("Test message for %(name)s: SMS works."),
}
VARIABLES: dict[str, tuple[str, ...]] = {
    SmsKind.STREAM_REMINDER.value: ("title", "time", "place"),
    SmsKind.CLASS_REMINDER.value: ("topic", "time", "place"),
    SmsKind.PAYOUT.value: ("amount", "method"),
    SmsKind.DAILY_SALES.value: ("date", "products", "units", "amount", "balance"),
    SmsKind.CASE_NEW.value: ("id", "household", "by"),
    SmsKind.CASE_UPDATE.value: ("id", "what"),
    SmsKind.CASE_DEADLINE.value: ("id", "by"),
    SmsKind.TEST.value: ("name",),
}
# Reasons a message was not sent on purpose (``error_code`` of a skipped row).
NO_PHONE = "no_phone"
OPTED_OUT = "opted_out"
NO_TEMPLATE = "no_template"
TOO_LATE = "too_late"
INACTIVE = "inactive"


def render_text(kind: str, params: dict[str, Any]) -> str:
    """The message in the current language (Chinese outside requests)."""
    template = i18n.translate(TEXTS.get(kind, kind))
    try:
        return template % {k: i18n.translate(v) if isinstance(v, str) else v for k, v in params.items()}
    except (KeyError, ValueError, TypeError):
        return template


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def _village_of(session: AsyncSession, recipient_kind: str, recipient_id: int) -> int | None:
    model: Any = {"household": Household, "user": User, "guest": Guest}[recipient_kind]
    found = await session.execute(select(model.village_id).where(model.id == recipient_id))
    value = found.scalar_one_or_none()
    return int(value) if value is not None else None


async def queue_sms(
    session: AsyncSession,
    kind: SmsKind,
    *,
    subject_type: str,
    subject_id: int,
    recipient_kind: str,
    recipient_id: int,
    params: dict[str, Any],
    version: str = "",
    event_at: datetime | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Add the message to the outbox in the caller's transaction; False if it was queued before."""
    key = f"{kind.value}:{subject_type}:{subject_id}:{recipient_kind}:{recipient_id}"
    if version:
        key = f"{key}:{version}"[:200]
    now = utcnow()
    values = {
        "dedupe_key": key,
        "kind": kind.value,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "recipient_kind": recipient_kind,
        "recipient_id": recipient_id,
        "village_id": await _village_of(session, recipient_kind, recipient_id),
        "params": {k: str(v) for k, v in params.items()},
        "event_at": event_at,
        "due_at": due_at or now,
        "status": SmsStatus.PENDING.value,
        "attempts": 0,
        "phone": "",
        "provider": "",
        "template_code": "",
        "request_id": "",
        "biz_id": "",
        "error_code": "",
        "error_message": "",
        "created_at": now,
        "updated_at": now,
    }
    statement = _insert(session)(SmsMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = cast(CursorResult[Any], await session.execute(statement))
    return bool(result.rowcount)


# --- deciding ---------------------------------------------------------------------------------------


def in_quiet_hours(now: datetime) -> bool:
    local = to_local(now).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def next_morning(now: datetime) -> datetime:
    """The next 08:00 Beijing time after ``now``."""
    local = to_local(now)
    morning = datetime.combine(local.date(), QUIET_UNTIL, tzinfo=SHANGHAI)
    if local >= morning:
        morning += timedelta(days=1)
    return morning.astimezone(UTC)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


@dataclass(frozen=True)
class Recipient:
    phone: str
    opted_out: bool
    active: bool
    name: str


async def _recipient(session: AsyncSession, message: SmsMessage) -> Recipient | None:
    if message.recipient_kind == "household":
        household = await session.get(Household, message.recipient_id)
        if household is None:
            return None
        return Recipient(household.phone, household.sms_opt_out, household.active, household.code)
    if message.recipient_kind == "user":
        user = await session.get(User, message.recipient_id)
        if user is None:
            return None
        return Recipient(user.phone, user.sms_opt_out, user.active, user.name)
    guest = await session.get(Guest, message.recipient_id)
    if guest is None:
        return None
    return Recipient(guest.phone, False, guest.active, guest.name)


async def number_opted_out(session: AsyncSession, phone: str) -> bool:
    """A number switched off by any household or user that has it is never texted, whoever the message
    is for (a guest who is also a villager, a shared family phone)."""
    for model in (Household, User):
        hit = await session.execute(select(model.id).where(model.phone == phone, model.sms_opt_out.is_(True)).limit(1))
        if hit.first() is not None:
            return True
    return False


async def sent_today(session: AsyncSession, phone: str, now: datetime) -> int:
    start, end = local_day_bounds(to_local(now).date())
    counted = await session.execute(
        select(SmsMessage.id).where(
            SmsMessage.phone == phone,
            SmsMessage.status == SmsStatus.SENT.value,
            SmsMessage.sent_at >= start,
            SmsMessage.sent_at < end,
        )
    )
    return len(counted.all())


@dataclass(frozen=True)
class Decision:
    """What to do with a claimed message: send ``request``, hold it until ``hold_until``, or skip it."""

    request: SmsRequest | None = None
    hold_until: datetime | None = None
    skip: str = ""


async def decide(session: AsyncSession, message: SmsMessage, settings: Settings, now: datetime) -> Decision:
    event_at = as_utc(message.event_at) if message.event_at is not None else None
    if event_at is not None and event_at <= now:
        return Decision(skip=TOO_LATE)
    template_code = settings.sms_templates.get(message.kind, "")
    if not template_code and settings.sms_provider != "log":
        return Decision(skip=NO_TEMPLATE)
    recipient = await _recipient(session, message)
    if recipient is None or not recipient.active:
        return Decision(skip=INACTIVE)
    if not recipient.phone:
        return Decision(skip=NO_PHONE)
    if recipient.opted_out or await number_opted_out(session, recipient.phone):
        return Decision(skip=OPTED_OUT)
    if in_quiet_hours(now):
        starting_soon = message.kind in REMINDER_KINDS and event_at is not None and event_at - now <= timedelta(hours=1)
        if not starting_soon:
            return Decision(hold_until=next_morning(now))
    if await sent_today(session, recipient.phone, now) >= settings.sms_daily_cap:
        return Decision(hold_until=next_morning(now))
    with i18n.using_locale(i18n.DEFAULT_PAGE_LOCALE):
        text = render_text(message.kind, message.params)
    return Decision(
        request=SmsRequest(
            phone=recipient.phone,
            template_code=template_code,
            params={k: str(v) for k, v in message.params.items()},
            sign_name=settings.sms_sign_name,
            out_id=str(message.id),
            text=text,
        )
    )


# --- sending ----------------------------------------------------------------------------------------


def _claimable(now: datetime, claim_timeout: timedelta) -> Any:
    return or_(
        SmsMessage.status == SmsStatus.PENDING.value,
        and_(SmsMessage.status == SmsStatus.CLAIMED.value, SmsMessage.claimed_at < now - claim_timeout),
    )


async def claim_due_sms(
    session: AsyncSession, holder: str, now: datetime, *, claim_timeout: timedelta = CLAIM_TIMEOUT, limit: int = BATCH
) -> list[int]:
    """Claim up to ``limit`` due messages; the conditional update decides between two schedulers."""
    claimable = _claimable(now, claim_timeout)
    candidates = list(
        (
            await session.execute(
                select(SmsMessage.id)
                .where(SmsMessage.due_at <= now, claimable)
                .order_by(SmsMessage.due_at, SmsMessage.id)
                .limit(limit)
            )
        ).scalars()
    )
    if not candidates:
        return []
    result = await session.execute(
        update(SmsMessage)
        .where(SmsMessage.id.in_(candidates), claimable)
        .values(status=SmsStatus.CLAIMED.value, claimed_at=now, claimed_by=holder)
        .returning(SmsMessage.id)
    )
    return sorted(result.scalars())


def _ours(message_id: int, holder: str) -> Any:
    return and_(
        SmsMessage.id == message_id,
        SmsMessage.claimed_by == holder,
        SmsMessage.status == SmsStatus.CLAIMED.value,
    )


async def _finish(alchemy: SQLAlchemyAsyncConfig, message_id: int, holder: str, **values: Any) -> bool:
    async with unit_of_work(alchemy) as session:
        result = await session.execute(update(SmsMessage).where(_ours(message_id, holder)).values(**values))
        return bool(cast(CursorResult[Any], result).rowcount)


async def send_one(
    alchemy: SQLAlchemyAsyncConfig,
    provider: SmsProvider,
    settings: Settings,
    message_id: int,
    holder: str,
    now: datetime,
) -> bool:
    """Decide and send one claimed message; True if the provider took it."""
    async with unit_of_work(alchemy) as session:
        message = await session.get(SmsMessage, message_id)
        if message is None or message.status != SmsStatus.CLAIMED.value or message.claimed_by != holder:
            return False
        decision = await decide(session, message, settings, now)
        kind = message.kind
        attempts = message.attempts
    fields = {"id": message_id, "kind": kind}
    if decision.skip:
        log.info("sms skipped", extra={"fields": {**fields, "reason": decision.skip}})
        await _finish(alchemy, message_id, holder, status=SmsStatus.SKIPPED.value, error_code=decision.skip)
        return False
    if decision.hold_until is not None:
        await _finish(
            alchemy, message_id, holder, status=SmsStatus.PENDING.value, due_at=decision.hold_until, claimed_by=None
        )
        return False
    request = decision.request
    assert request is not None
    fields["to"] = mask_phone(request.phone)
    attempts += 1
    common = {
        "attempts": attempts,
        "phone": request.phone,
        "provider": provider.name,
        "template_code": request.template_code,
    }
    try:
        receipt = await provider.send(request)
    except SmsError as exc:
        gave_up = not exc.transient or attempts >= MAX_ATTEMPTS
        log.warning(
            "sms refused",
            extra={"fields": {**fields, "code": exc.code, "transient": exc.transient, "attempts": attempts}},
        )
        await _finish(
            alchemy,
            message_id,
            holder,
            **common,
            status=SmsStatus.FAILED.value if gave_up else SmsStatus.PENDING.value,
            due_at=now + retry_delay(attempts),
            claimed_by=None if not gave_up else holder,
            error_code=exc.code[:100],
            error_message=exc.message[:300],
            request_id=exc.request_id[:100],
        )
        return False
    log.info("sms sent", extra={"fields": {**fields, "request_id": receipt.request_id, "biz_id": receipt.biz_id}})
    await _finish(
        alchemy,
        message_id,
        holder,
        **common,
        status=SmsStatus.SENT.value,
        sent_at=now,
        request_id=receipt.request_id[:100],
        biz_id=receipt.biz_id[:100],
        error_code="",
        error_message="",
    )
    return True


async def dispatch_due_sms(
    alchemy: SQLAlchemyAsyncConfig,
    provider: SmsProvider,
    settings: Settings,
    holder: str,
    now: datetime | None = None,
    *,
    claim_timeout: timedelta = CLAIM_TIMEOUT,
) -> int:
    """Send every due message once; returns how many the provider took in this call."""
    sent = 0
    seen: set[int] = set()
    while True:
        moment = now or utcnow()
        async with unit_of_work(alchemy) as session:
            claimed = [
                i for i in await claim_due_sms(session, holder, moment, claim_timeout=claim_timeout) if i not in seen
            ]
        if not claimed:
            return sent
        for message_id in claimed:
            seen.add(message_id)
            if await send_one(alchemy, provider, settings, message_id, holder, moment):
                sent += 1
