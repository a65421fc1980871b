"""Which events become a text message, and with which variables. Each function queues into the SMS
outbox inside the caller's transaction, beside the inbox entry the domain already writes.

The variables are what the approved templates print (docs/deploy.md lists them): short strings in
Chinese, never a buyer's name, phone or address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop import i18n
from shop.errors import N_
from shop.money import format_fen
from shop.sms.models import SmsKind
from shop.sms.services import queue_sms
from shop.timeutil import to_local, utcnow

# Reminder kinds (shop.notifications) that also go out by SMS, and to whom.
STREAM_REMINDERS = frozenset({"stream.24h", "stream.1h"})
CLASS_REMINDERS = frozenset({"class.24h", "class.1h"})
CASE_DEADLINE = "case_deadline"


def zh(text: str, **params: Any) -> str:
    """A msgid in Chinese, whatever language the request that caused the message used."""
    with i18n.using_locale(i18n.DEFAULT_PAGE_LOCALE):
        return i18n.gettext_(text, **params)


async def reminder_delivered(session: AsyncSession, reminder: Any) -> bool:
    """A reminder the outbox just delivered: a guest's stream reminder, a trainee's class reminder or a
    handler's case deadline is also queued as SMS (one per reminder)."""
    from shop.streams.models import Stream
    from shop.training.models import TrainingClass
    from shop.villages.models import Village

    kind: SmsKind
    event_at: datetime | None = None
    if reminder.kind in STREAM_REMINDERS and reminder.recipient_kind == "guest":
        stream = await session.get(Stream, reminder.subject_id)
        if stream is None:
            return False
        village = await session.get(Village, stream.village_id)
        kind, event_at = SmsKind.STREAM_REMINDER, stream.starts_at
        params = {
            "title": stream.title[:30],
            "time": to_local(stream.starts_at).strftime("%m-%d %H:%M"),
            "place": village.name if village else "",
        }
    elif reminder.kind in CLASS_REMINDERS and reminder.recipient_kind == "user":
        training_class = await session.get(TrainingClass, reminder.subject_id)
        if training_class is None:
            return False
        kind, event_at = SmsKind.CLASS_REMINDER, training_class.starts_at
        params = {
            "topic": training_class.topic[:30],
            "time": to_local(training_class.starts_at).strftime("%m-%d %H:%M"),
            "place": training_class.place[:30],
        }
    elif reminder.kind == CASE_DEADLINE and reminder.recipient_kind == "user":
        kind = SmsKind.CASE_DEADLINE
        params = {"id": reminder.params.get("id", reminder.subject_id), "by": reminder.params.get("by", "")}
    else:
        return False
    return await queue_sms(
        session,
        kind,
        subject_type=reminder.subject_type,
        subject_id=reminder.subject_id,
        recipient_kind=reminder.recipient_kind,
        recipient_id=reminder.recipient_id,
        params=params,
        version=f"{reminder.kind}:{reminder.id}",
        event_at=event_at,
    )


async def payout_made(
    session: AsyncSession, payout_id: int, household_id: int, amount_fen: int, method_label: str
) -> bool:
    """``method_label``: the payment method's msgid (shop.ledger.models.METHOD_LABELS)."""
    return await queue_sms(
        session,
        SmsKind.PAYOUT,
        subject_type="payout",
        subject_id=payout_id,
        recipient_kind="household",
        recipient_id=household_id,
        params={"amount": format_fen(amount_fen), "method": zh(method_label)},
    )


async def case_new(session: AsyncSession, case: Any, user_ids: list[int], household_code: str, by: str) -> None:
    """A case that is new to these handlers (raised in their village, or just arrived at their level)."""
    for user_id in sorted(set(user_ids)):
        await queue_sms(
            session,
            SmsKind.CASE_NEW,
            subject_type="case",
            subject_id=case.id,
            recipient_kind="user",
            recipient_id=user_id,
            params={"id": case.id, "household": household_code, "by": by},
            version=case.level,
        )


async def case_update(session: AsyncSession, case: Any) -> bool:
    """The villager hears that their case was answered, passed up, or closed."""
    from shop.cases.models import LEVEL_LABELS, CaseStatus, Level

    if case.status == CaseStatus.ANSWERED.value:
        what = zh(N_("answered, please rate it"))
    elif case.status == CaseStatus.CLOSED.value:
        what = zh(N_("closed"))
    elif case.level != Level.VILLAGE.value:
        what = zh(N_("passed up to the %(level)s"), level=zh(LEVEL_LABELS[Level(case.level)]))
    else:
        what = zh(N_("has a question for you"))
    return await queue_sms(
        session,
        SmsKind.CASE_UPDATE,
        subject_type="case",
        subject_id=case.id,
        recipient_kind="household",
        recipient_id=case.household_id,
        params={"id": case.id, "what": what},
        version=f"{case.level}:{case.status}:{int(utcnow().timestamp())}",
    )


async def household_code(session: AsyncSession, household_id: int) -> str:
    from shop.villages.models import Household

    found = await session.execute(select(Household.code).where(Household.id == household_id))
    return str(found.scalar_one_or_none() or "")
