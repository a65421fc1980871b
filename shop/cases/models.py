"""Villagers' questions and disputes (诉求): the case, its append-only event log, its photos, and the
corrections of the books made for it (with the ledger transactions each correction posted)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from shop.errors import N_


class Topic(enum.StrEnum):
    WEIGHT = "weight"
    PRICE = "price"
    PAYOUT = "payout"
    OTHER = "other"


TOPIC_LABELS = {
    Topic.WEIGHT: N_("Weight"),
    Topic.PRICE: N_("Price"),
    Topic.PAYOUT: N_("Payout"),
    Topic.OTHER: N_("Other question"),
}


class CaseStatus(enum.StrEnum):
    OPEN = "open"  # with a handler
    ANSWERED = "answered"  # resolved by a handler, waiting for the villager's rating
    CLOSED = "closed"


class Level(enum.StrEnum):
    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"

    @property
    def rank(self) -> int:
        return LEVELS.index(self)

    def up(self) -> Level:
        return LEVELS[min(self.rank + 1, len(LEVELS) - 1)]


LEVELS = (Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY)
LEVEL_LABELS = {Level.VILLAGE: N_("village"), Level.TOWNSHIP: N_("township"), Level.COUNTY: N_("county")}


class Outcome(enum.StrEnum):
    CORRECTED = "corrected"  # the books were corrected (a correction of this case exists)
    UPHELD = "upheld"  # the record was right
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"


OUTCOME_LABELS = {
    Outcome.CORRECTED: N_("Corrected"),
    Outcome.UPHELD: N_("The record was right"),
    Outcome.DUPLICATE: N_("Already answered in another case"),
    Outcome.WITHDRAWN: N_("Withdrawn by the villager"),
}


class Satisfaction(enum.StrEnum):
    SATISFIED = "satisfied"  # 满意
    FAIR = "fair"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意


SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: N_("Satisfied"),
    Satisfaction.FAIR: N_("Mostly satisfied"),
    Satisfaction.DISSATISFIED: N_("Not satisfied"),
}


class Case(BigIntAuditBase):
    """One villager's question or dispute, from raising to closing.

    ``level`` is who holds it now (it only ever goes up); ``floor_level`` the lowest level that may
    still resolve it (a missed deadline lifts ``level`` and the village stays responsible; a bad rating
    lifts both). The clocks are instants: ``respond_by`` the current level's, ``resolve_by``.
    """

    __tablename__ = "villager_case"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="RESTRICT"), index=True)
    topic: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    # What it is about: at most one of these (or none: a blank question).
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution.id", ondelete="SET NULL"), default=None
    )
    ledger_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entry.id", ondelete="RESTRICT"), default=None
    )
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payout.id", ondelete="RESTRICT"), default=None)
    # "contribution:12", "entry:55", "payout:7": one open case per household per earning.
    subject_key: Mapped[str | None] = mapped_column(String(40), default=None)
    # The lot of a weigh-in: the cases of several households about one lot are answered together.
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), default=None, index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id", ondelete="RESTRICT"), default=None)
    # What the books said when the case was raised, and what the villager says it should be.
    recorded: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    claimed: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(10), default=CaseStatus.OPEN.value)
    level: Mapped[str] = mapped_column(String(10), default=Level.VILLAGE.value)
    floor_level: Mapped[str] = mapped_column(String(10), default=Level.VILLAGE.value)
    opened_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    level_since: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    respond_by: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    resolve_by: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # A handler answered since the current level got it (stops the response clock).
    responded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # The very first answer, and whether it came in time (the public 响应率).
    first_responded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    responded_in_time: Mapped[bool | None] = mapped_column(default=None)
    # Waiting for the villager to add something: the clocks stand still.
    paused_since: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    outcome: Mapped[str | None] = mapped_column(String(12), default=None)
    # The villager's rating of the latest answer: 解决了吗 and 满意吗 (each recorded on its own tap).
    solved: Mapped[bool | None] = mapped_column(default=None)
    satisfaction: Mapped[str | None] = mapped_column(String(12), default=None)
    rated_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # The latest complete rating, kept when a bad one reopens the case (the public 解决率 and 满意率).
    last_solved: Mapped[bool | None] = mapped_column(default=None)
    last_satisfaction: Mapped[str | None] = mapped_column(String(12), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # The 7 days to rate an answer passed without a rating: 未评价, never counted as satisfied. The case
    # stays answered (it closes only when the villager is satisfied) and the villager may still rate it.
    unrated: Mapped[bool] = mapped_column(default=False)
    # A county close: its written reason (counted as not satisfied).
    close_reason: Mapped[str] = mapped_column(Text, default="")
    reopen_count: Mapped[int] = mapped_column(default=0)
    # A new case about an old one closed more than 30 days ago.
    previous_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("villager_case.id", ondelete="RESTRICT"), default=None
    )

    __table_args__ = (
        CheckConstraint("topic in ('weight', 'price', 'payout', 'other')", name="case_topic_known"),
        CheckConstraint("status in ('open', 'answered', 'closed')", name="case_status_known"),
        CheckConstraint("level in ('village', 'township', 'county')", name="case_level_known"),
        CheckConstraint("floor_level in ('village', 'township', 'county')", name="case_floor_known"),
        CheckConstraint(
            "outcome is null or outcome in ('corrected', 'upheld', 'duplicate', 'withdrawn')",
            name="case_outcome_known",
        ),
        CheckConstraint(
            "satisfaction is null or satisfaction in ('satisfied', 'fair', 'dissatisfied')",
            name="case_satisfaction_known",
        ),
        CheckConstraint(
            "(case when contribution_id is null then 0 else 1 end) + (case when ledger_entry_id is null then 0 else 1"
            " end) + (case when payout_id is null then 0 else 1 end) <= 1",
            name="case_about_one_thing",
        ),
        # One case at a time per household and earning (a closed one may be followed by a new one).
        Index(
            "uq_case_open_per_earning",
            "household_id",
            "subject_key",
            unique=True,
            sqlite_where=sql_text("status <> 'closed'"),
            postgresql_where=sql_text("status <> 'closed'"),
        ),
        Index("ix_case_village_status", "village_id", "status", "opened_at"),
        Index("ix_case_clock", "status", "respond_by"),
    )

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    @property
    def rating_complete(self) -> bool:
        return self.solved is not None and self.satisfaction is not None


class EventKind(enum.StrEnum):
    RAISED = "raised"
    REPLY = "reply"  # a handler answers
    ASKED = "asked"  # a handler asks the villager for more: the clock pauses
    INFO = "info"  # the villager adds something: the clock runs again
    CORRECTED = "corrected"  # the books were corrected
    RESOLVED = "resolved"
    RATED = "rated"
    RATING_CHANGED = "rating_changed"
    CLOSED = "closed"  # the villager is satisfied
    UNRATED = "unrated"  # 7 days passed without a rating
    CLOSED_BY_COUNTY = "closed_by_county"
    REOPENED = "reopened"
    ESCALATED = "escalated"


EVENT_LABELS = {
    EventKind.RAISED.value: N_("raised the case"),
    EventKind.REPLY.value: N_("answered"),
    EventKind.ASKED.value: N_("asked for more (clock paused)"),
    EventKind.INFO.value: N_("added information"),
    EventKind.CORRECTED.value: N_("corrected the books"),
    EventKind.RESOLVED.value: N_("resolved it"),
    EventKind.RATED.value: N_("rated the answer"),
    EventKind.RATING_CHANGED.value: N_("changed the rating"),
    EventKind.CLOSED.value: N_("closed: the villager is satisfied"),
    EventKind.UNRATED.value: N_("not rated within 7 days (未评价)"),
    EventKind.CLOSED_BY_COUNTY.value: N_("closed by the county with a reason"),
    EventKind.REOPENED.value: N_("reopened one level up"),
    EventKind.ESCALATED.value: N_("moved up: a deadline was missed"),
}


class CaseEvent(BigIntAuditBase):
    """One step of a case: who (and in what role, at what level), what, before and after, when.

    Append-only: the database refuses UPDATE and DELETE (triggers, migration ``0008_cases``)."""

    __tablename__ = "case_event"

    case_id: Mapped[int] = mapped_column(ForeignKey("villager_case.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    actor_kind: Mapped[str] = mapped_column(String(12))  # household, user, system
    actor_id: Mapped[int | None] = mapped_column(default=None)
    actor_role: Mapped[str] = mapped_column(String(12))  # household, secretary, township, county, admin, system
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    level: Mapped[str] = mapped_column(String(10))  # the case's level when it happened
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)

    __table_args__ = (Index("ix_case_event_case_at", "case_id", "at", "id"),)


class CasePhoto(BigIntAuditBase):
    """A photo the villager attached (a scale slip, a transfer screenshot), decoded and stripped like
    product photos but stored outside the public media folder: only those who reach the case see it."""

    __tablename__ = "case_photo"

    case_id: Mapped[int] = mapped_column(ForeignKey("villager_case.id", ondelete="RESTRICT"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("case_event.id", ondelete="RESTRICT"))
    display_path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]


class CorrectionKind(enum.StrEnum):
    WEIGHTS = "weights"  # a lot's contributions, and every sale credited from it split again
    PRICE = "price"  # a sale's unit price, and the sale split again
    PAYOUT = "payout"  # a payout that never arrived, reversed (and paid again)


class CaseCorrection(BigIntAuditBase):
    """A correction of the books made for a case: what the record said and says now, and the balanced
    ledger transactions it posted (``CaseLedgerLink``)."""

    __tablename__ = "case_correction"

    case_id: Mapped[int] = mapped_column(ForeignKey("villager_case.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), default=None, index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id", ondelete="RESTRICT"), default=None)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payout.id", ondelete="RESTRICT"), default=None)
    before: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    made_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    made_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))

    __table_args__ = (CheckConstraint("kind in ('weights', 'price', 'payout')", name="case_correction_kind_known"),)


class CaseLedgerLink(BigIntAuditBase):
    """A ledger transaction posted by a correction, linked to the case it was made for."""

    __tablename__ = "case_ledger_link"

    correction_id: Mapped[int] = mapped_column(ForeignKey("case_correction.id", ondelete="RESTRICT"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("villager_case.id", ondelete="RESTRICT"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transaction.id", ondelete="RESTRICT"), unique=True)
