"""The reminder outbox and the inbox.

A reminder is a row with a due time and a unique dedupe key. The scheduler claims due reminders with a
conditional update, delivers them, and marks them sent in the same transaction that writes the inbox
entry, so a crash, a retry or a second scheduler never puts a reminder in an inbox twice.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    WITHDRAWN = "withdrawn"


class RecipientKind(enum.StrEnum):
    USER = "user"
    HOUSEHOLD = "household"
    GUEST = "guest"  # guests have no account: only the configured external sender reaches them


class Reminder(BigIntAuditBase):
    __tablename__ = "reminder"

    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    recipient_kind: Mapped[str] = mapped_column(String(12))
    recipient_id: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[str] = mapped_column(String(12), default=ReminderStatus.PENDING.value)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    # What the message says: English msgids and their parameters, rendered in the reader's language.
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(500), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    link: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        CheckConstraint("status in ('pending', 'claimed', 'sent', 'withdrawn')", name="reminder_status_known"),
        CheckConstraint("recipient_kind in ('user', 'household', 'guest')", name="reminder_recipient_known"),
        Index("ix_reminder_due", "status", "due_at"),
        Index("ix_reminder_subject", "subject_type", "subject_id"),
    )


class Notification(BigIntAuditBase):
    """An entry in a user's or a household's inbox."""

    __tablename__ = "notification"

    recipient_kind: Mapped[str] = mapped_column(String(12))
    recipient_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(500), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    link: Mapped[str] = mapped_column(String(200), default="")
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # One inbox entry per reminder, whatever retries happen: the database refuses a second.
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder.id", ondelete="SET NULL"), unique=True, default=None
    )

    __table_args__ = (
        CheckConstraint("recipient_kind in ('user', 'household')", name="notification_recipient_known"),
        Index("ix_notification_inbox", "recipient_kind", "recipient_id", "created_at"),
    )
