"""Planning reminders, delivering them exactly once, and reading the inbox.

Planning: a domain (streams, classes) says which reminders a subject should have; ``sync_reminders``
moves unsent ones to their new times, adds missing ones and withdraws the rest.

Delivery: ``dispatch_due_reminders`` claims due reminders with a conditional update (a claim left by a
crashed process is taken over after ``claim_timeout``), then for each one writes the inbox entry, calls
the external sender, and marks it sent, all in one transaction. The inbox entry is unique per reminder,
so the inbox gets each reminder exactly once; an external sender (SMS, webhook) gets it at least once,
with the reminder's dedupe key as its idempotency key.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop import i18n
from shop.accounts.principal import Principal
from shop.db import rows_matched, unit_of_work
from shop.errors import NotFound
from shop.notifications.models import Notification, RecipientKind, Reminder, ReminderStatus
from shop.notifications.senders import OutboundMessage, Sender
from shop.paging import Paging
from shop.sms import notices as sms_notices
from shop.timeutil import utcnow

log = logging.getLogger("shop.notifications")

CLAIM_TIMEOUT = timedelta(minutes=5)
BATCH = 100


@dataclass(frozen=True)
class PlannedReminder:
    kind: str
    recipient_kind: RecipientKind
    recipient_id: int
    due_at: datetime
    title: str
    body: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    link: str = ""


def render(text: str, params: dict[str, Any]) -> str:
    """A stored msgid with its parameters, in the current request's language (a parameter that is
    itself a msgid, such as a payment method's name, is translated too)."""
    translated = i18n.translate(text)
    try:
        if not params:
            return translated
        return translated % {k: i18n.translate(v) if isinstance(v, str) else v for k, v in params.items()}
    except (KeyError, ValueError, TypeError):
        return translated


async def sync_reminders(
    session: AsyncSession,
    subject_type: str,
    subject_id: int,
    planned: Sequence[PlannedReminder],
    *,
    version: str,
    now: datetime | None = None,
) -> None:
    """Make the subject's unsent reminders match ``planned``.

    ``version`` names the plan (e.g. the stream's start time): a reminder already sent for the same
    version is not sent again; after a reschedule (a new version) the new times get their reminders.
    Reminders whose time has already passed are not planned at all.
    """
    now = now or utcnow()
    rows = await session.execute(
        select(Reminder).where(Reminder.subject_type == subject_type, Reminder.subject_id == subject_id)
    )
    existing = list(rows.scalars())
    pending = {
        (r.kind, r.recipient_kind, r.recipient_id): r for r in existing if r.status == ReminderStatus.PENDING.value
    }
    wanted: set[tuple[str, str, int]] = set()
    for plan in planned:
        slot = (plan.kind, plan.recipient_kind.value, plan.recipient_id)
        key = f"{subject_type}:{subject_id}:{plan.kind}:{plan.recipient_kind.value}:{plan.recipient_id}:{version}"
        if plan.due_at <= now:
            continue
        wanted.add(slot)
        current = pending.get(slot)
        if current is not None:
            # Move the unsent reminder; its key follows the plan's version.
            current.due_at = plan.due_at
            current.dedupe_key = key
            current.title, current.body, current.params, current.link = plan.title, plan.body, plan.params, plan.link
            continue
        if any(r.dedupe_key == key for r in existing):
            continue  # sent (or claimed) for this very plan already
        session.add(
            Reminder(
                dedupe_key=key,
                kind=plan.kind,
                subject_type=subject_type,
                subject_id=subject_id,
                recipient_kind=plan.recipient_kind.value,
                recipient_id=plan.recipient_id,
                due_at=plan.due_at,
                title=plan.title,
                body=plan.body,
                params=plan.params,
                link=plan.link,
            )
        )
    for slot, reminder in pending.items():
        if slot not in wanted:
            reminder.status = ReminderStatus.WITHDRAWN.value
    await session.flush()


async def withdraw_reminders(session: AsyncSession, subject_type: str, subject_id: int) -> int:
    result = await session.execute(
        update(Reminder)
        .where(
            Reminder.subject_type == subject_type,
            Reminder.subject_id == subject_id,
            Reminder.status == ReminderStatus.PENDING.value,
        )
        .values(status=ReminderStatus.WITHDRAWN.value)
    )
    return rows_matched(result)


async def claim_due(
    session: AsyncSession, holder: str, now: datetime, *, claim_timeout: timedelta = CLAIM_TIMEOUT, limit: int = BATCH
) -> list[int]:
    """Claim up to ``limit`` due reminders for ``holder``; a conditional update decides the winner."""
    claimable = or_(
        Reminder.status == ReminderStatus.PENDING.value,
        and_(Reminder.status == ReminderStatus.CLAIMED.value, Reminder.claimed_at < now - claim_timeout),
    )
    candidates = list(
        (
            await session.execute(
                select(Reminder.id).where(Reminder.due_at <= now, claimable).order_by(Reminder.due_at).limit(limit)
            )
        ).scalars()
    )
    if not candidates:
        return []
    result = await session.execute(
        update(Reminder)
        .where(Reminder.id.in_(candidates), claimable)
        .values(
            status=ReminderStatus.CLAIMED.value,
            claimed_at=now,
            claimed_by=holder,
            attempts=Reminder.attempts + 1,
        )
        .returning(Reminder.id)
    )
    return sorted(result.scalars())


async def _deliver_one(session: AsyncSession, reminder_id: int, holder: str, sender: Sender, now: datetime) -> bool:
    reminder = await session.get(Reminder, reminder_id)
    if reminder is None or reminder.status != ReminderStatus.CLAIMED.value or reminder.claimed_by != holder:
        return False  # someone took it over after our claim went stale
    if reminder.recipient_kind != RecipientKind.GUEST.value:
        exists = await session.execute(select(Notification.id).where(Notification.reminder_id == reminder.id))
        if exists.first() is None:
            session.add(
                Notification(
                    recipient_kind=reminder.recipient_kind,
                    recipient_id=reminder.recipient_id,
                    kind=reminder.kind,
                    title=reminder.title,
                    body=reminder.body,
                    params=reminder.params,
                    link=reminder.link,
                    reminder_id=reminder.id,
                )
            )
            await session.flush()
    # The same transaction queues its text message (guests' stream reminders, trainees' class
    # reminders, handlers' case deadlines): sent later by the SMS job, once.
    await sms_notices.reminder_delivered(session, reminder)
    await sender.send(
        OutboundMessage(
            idempotency_key=reminder.dedupe_key,
            recipient_kind=reminder.recipient_kind,
            recipient_id=reminder.recipient_id,
            title=reminder.title,
            body=reminder.body,
            params=dict(reminder.params),
            link=reminder.link,
        )
    )
    marked = await session.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder.id, Reminder.claimed_by == holder, Reminder.status == ReminderStatus.CLAIMED.value
        )
        .values(status=ReminderStatus.SENT.value, sent_at=now)
    )
    return bool(rows_matched(marked))


async def dispatch_due_reminders(
    alchemy: SQLAlchemyAsyncConfig,
    sender: Sender,
    holder: str,
    now: datetime | None = None,
    *,
    claim_timeout: timedelta = CLAIM_TIMEOUT,
) -> int:
    """Deliver every due reminder once; returns how many this call delivered."""
    delivered = 0
    while True:
        moment = now or utcnow()
        async with unit_of_work(alchemy) as session:
            claimed = await claim_due(session, holder, moment, claim_timeout=claim_timeout)
        if not claimed:
            return delivered
        for reminder_id in claimed:
            try:
                async with unit_of_work(alchemy) as session:
                    if await _deliver_one(session, reminder_id, holder, sender, moment):
                        delivered += 1
            except IntegrityError:
                # The inbox already holds it (a crashed run wrote it): the unique key kept it single.
                async with unit_of_work(alchemy) as session:
                    await session.execute(
                        update(Reminder)
                        .where(Reminder.id == reminder_id, Reminder.claimed_by == holder)
                        .values(status=ReminderStatus.SENT.value, sent_at=moment)
                    )
            except Exception as exc:
                # Left claimed: it becomes claimable again after ``claim_timeout``, a natural back-off.
                log.warning("reminder delivery failed", extra={"fields": {"reminder": reminder_id}})
                async with unit_of_work(alchemy) as session:
                    await session.execute(
                        update(Reminder)
                        .where(Reminder.id == reminder_id, Reminder.claimed_by == holder)
                        .values(last_error=type(exc).__name__[:300])
                    )


def _owner_filter(actor: Principal) -> Any:
    kind = RecipientKind.HOUSEHOLD.value if actor.kind == "household" else RecipientKind.USER.value
    return and_(Notification.recipient_kind == kind, Notification.recipient_id == actor.id)


async def inbox(session: AsyncSession, actor: Principal, paging: Paging) -> tuple[list[Notification], int]:
    total = (
        await session.execute(select(func.count()).select_from(Notification).where(_owner_filter(actor)))
    ).scalar_one()
    rows = await session.execute(
        select(Notification)
        .where(_owner_filter(actor))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    )
    return list(rows.scalars()), int(total)


async def mark_read(session: AsyncSession, actor: Principal, notification_id: int | None = None) -> int:
    stmt = update(Notification).where(_owner_filter(actor), Notification.read_at.is_(None))
    if notification_id is not None:
        owned = await session.execute(
            select(Notification.id).where(_owner_filter(actor), Notification.id == notification_id)
        )
        if owned.first() is None:
            raise NotFound()
        stmt = stmt.where(Notification.id == notification_id)
    result = await session.execute(stmt.values(read_at=utcnow()))
    return rows_matched(result)


async def notify_now(
    session: AsyncSession,
    recipient_kind: RecipientKind,
    recipient_id: int,
    kind: str,
    title: str,
    *,
    body: str = "",
    params: dict[str, Any] | None = None,
    link: str = "",
) -> Notification:
    """An inbox entry written as part of the caller's own transaction (e.g. 'you were paid ¥…')."""
    note = Notification(
        recipient_kind=recipient_kind.value,
        recipient_id=recipient_id,
        kind=kind,
        title=title,
        body=body,
        params=params or {},
        link=link,
    )
    session.add(note)
    await session.flush()
    return note
