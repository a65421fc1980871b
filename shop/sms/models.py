"""The SMS outbox: one row per (kind, subject, recipient), claimed with a conditional update, so two
schedulers or a restart never send it twice; the provider's ids and error code are kept on the row."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column


class SmsKind(enum.StrEnum):
    STREAM_REMINDER = "stream_reminder"
    CLASS_REMINDER = "class_reminder"
    PAYOUT = "payout"
    DAILY_SALES = "daily_sales"
    CASE_NEW = "case_new"
    CASE_UPDATE = "case_update"
    CASE_DEADLINE = "case_deadline"
    # The secretary's "send a test to my phone".
    TEST = "test"


class SmsStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    # The provider refused it for good (its code in ``error_code``), or retries ran out.
    FAILED = "failed"
    # Not sent on purpose: opted out, no phone, no template code, too late for a reminder.
    SKIPPED = "skipped"


class SmsMessage(BigIntAuditBase):
    __tablename__ = "sms_message"

    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    recipient_kind: Mapped[str] = mapped_column(String(12))
    recipient_id: Mapped[int]
    # Whose page lists it (the recipient's village; none for township and county officers).
    village_id: Mapped[int | None] = mapped_column(default=None, index=True)
    # The template's variables (strings; no buyer data).
    params: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    # For reminders: when the stream or class starts (the only messages quiet hours let through).
    event_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    due_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default=SmsStatus.PENDING.value)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # The number it went to (a villager's or a staff member's own; counted for the daily cap).
    phone: Mapped[str] = mapped_column(String(20), default="")
    provider: Mapped[str] = mapped_column(String(20), default="")
    template_code: Mapped[str] = mapped_column(String(40), default="")
    request_id: Mapped[str] = mapped_column(String(100), default="")
    biz_id: Mapped[str] = mapped_column(String(100), default="")
    error_code: Mapped[str] = mapped_column(String(100), default="")
    error_message: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (
        CheckConstraint(
            "status in ('pending', 'claimed', 'sent', 'failed', 'skipped')", name="sms_message_status_known"
        ),
        CheckConstraint("recipient_kind in ('user', 'household', 'guest')", name="sms_message_recipient_known"),
        Index("ix_sms_message_due", "status", "due_at"),
        Index("ix_sms_message_phone_sent", "phone", "sent_at"),
    )
