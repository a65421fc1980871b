"""JSON shapes of a case, its replies and rating, the steps of its log, and the corrections made for it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from shop.cases.models import Case, CaseCorrection, CaseEvent, EventKind
from shop.web.params import DbId

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
# What a villager sees of the log: the words people wrote (not the before/after of corrections).
REPLY_KINDS = (
    EventKind.REPLY.value,
    EventKind.ASKED.value,
    EventKind.INFO.value,
    EventKind.RESOLVED.value,
    EventKind.CLOSED_BY_COUNTY.value,
)


class CaseIn(msgspec.Struct, forbid_unknown_fields=True):
    topic: Literal["weight", "price", "payout", "other"]
    text: Text
    contribution_id: DbId | None = None
    ledger_entry_id: DbId | None = None
    payout_id: DbId | None = None
    # What the villager says it should be ("30", "¥45", "not received").
    claimed: Annotated[str, msgspec.Meta(max_length=50)] = ""
    # A new case about an old one closed more than 30 days ago.
    previous_case_id: DbId | None = None


class ReplyIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Text
    # A handler asks the villager for more: the clocks pause until the villager adds something.
    needs_info: bool = False


class ResolveIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Literal["corrected", "upheld", "duplicate", "withdrawn"]
    text: Text


class RatingIn(msgspec.Struct, forbid_unknown_fields=True):
    solved: bool
    satisfaction: Literal["satisfied", "fair", "dissatisfied"]


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Text


class ContributionQuantity(msgspec.Struct, forbid_unknown_fields=True):
    household_id: DbId
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class CorrectionIn(msgspec.Struct, forbid_unknown_fields=True):
    """``weights``: the lot's contributions as they should be (``lot_id`` when a sale took from several
    lots); ``price``: the sale's unit price; ``payout``: reverse the payout, and pay again by
    ``repay_method`` when given."""

    kind: Literal["weights", "price", "payout"]
    lot_id: DbId | None = None
    contributions: list[ContributionQuantity] | None = None
    unit_price_fen: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)] | None = None
    repay_method: Literal["cash", "wechat", "alipay", "bank"] | None = None
    reference: Annotated[str, msgspec.Meta(max_length=100)] = ""


class ReplyOut(msgspec.Struct):
    id: int
    kind: str
    at: datetime
    by_role: str
    by_name: str
    level: str
    text: str

    @classmethod
    def of(cls, event: CaseEvent) -> ReplyOut:
        return cls(event.id, event.kind, event.at, event.actor_role, event.actor_name, event.level, event.text)


class EventOut(msgspec.Struct):
    id: int
    kind: str
    at: datetime
    actor_kind: str
    actor_id: int | None
    actor_role: str
    actor_name: str
    level: str
    text: str
    before: dict[str, Any]
    after: dict[str, Any]

    @classmethod
    def of(cls, e: CaseEvent) -> EventOut:
        return cls(
            e.id, e.kind, e.at, e.actor_kind, e.actor_id, e.actor_role, e.actor_name, e.level, e.text, e.before, e.after
        )


class RatingOut(msgspec.Struct):
    solved: bool | None
    satisfaction: str | None
    rated_at: datetime | None


class CorrectionOut(msgspec.Struct):
    id: int
    case_id: int
    kind: str
    before: dict[str, Any]
    after: dict[str, Any]
    made_at: datetime
    transaction_ids: list[int]

    @classmethod
    def of(cls, correction: CaseCorrection, transaction_ids: list[int]) -> CorrectionOut:
        return cls(
            correction.id,
            correction.case_id,
            correction.kind,
            correction.before,
            correction.after,
            correction.made_at,
            transaction_ids,
        )


class CaseMonthOut(msgspec.Struct):
    """Counts only, for the public board: no text, no household, no name. Rates are whole percentages, or
    null when there is nothing to divide by."""

    month: str
    received: int
    responded_in_time: int
    resolved: int
    rated: int
    satisfied: int
    response_rate: int | None
    resolve_rate: int | None
    satisfied_rate: int | None
    rated_rate: int | None
    median_days_to_respond: float | None
    median_days_to_resolve: float | None

    @classmethod
    def of(cls, f: Any) -> CaseMonthOut:
        return cls(
            f.label,
            f.received,
            f.responded_in_time,
            f.resolved,
            f.rated,
            f.satisfied,
            f.response_rate,
            f.resolve_rate,
            f.satisfied_rate,
            f.rated_rate,
            f.median_days_to_respond,
            f.median_days_to_resolve,
        )


class CaseOut(msgspec.Struct):
    id: int
    status: str
    level: str
    floor_level: str
    topic: str
    text: str
    household_id: int
    village_id: int
    contribution_id: int | None
    ledger_entry_id: int | None
    payout_id: int | None
    recorded: dict[str, Any]
    claimed: str
    opened_at: datetime
    respond_by: datetime
    resolve_by: datetime
    paused: bool
    responded_at: datetime | None
    answered_at: datetime | None
    outcome: str | None
    rating: RatingOut | None
    closed_at: datetime | None
    unrated: bool
    close_reason: str
    previous_case_id: int | None
    replies: list[ReplyOut]
    photo_ids: list[int]
    # The whole log, for handlers only (a villager sees the replies).
    events: list[EventOut] | None = None

    @classmethod
    def of(cls, case: Case, events: list[CaseEvent], photo_ids: list[int], *, with_log: bool) -> CaseOut:
        rating = (
            RatingOut(case.solved, case.satisfaction, case.rated_at)
            if case.solved is not None or case.satisfaction is not None
            else None
        )
        return cls(
            id=case.id,
            status=case.status,
            level=case.level,
            floor_level=case.floor_level,
            topic=case.topic,
            text=case.text,
            household_id=case.household_id,
            village_id=case.village_id,
            contribution_id=case.contribution_id,
            ledger_entry_id=case.ledger_entry_id,
            payout_id=case.payout_id,
            recorded=case.recorded,
            claimed=case.claimed,
            opened_at=case.opened_at,
            respond_by=case.respond_by,
            resolve_by=case.resolve_by,
            paused=case.paused_since is not None,
            responded_at=case.responded_at,
            answered_at=case.answered_at,
            outcome=case.outcome,
            rating=rating,
            closed_at=case.closed_at,
            unrated=case.unrated,
            close_reason=case.close_reason,
            previous_case_id=case.previous_case_id,
            replies=[ReplyOut.of(e) for e in events if e.kind in REPLY_KINDS],
            photo_ids=photo_ids,
            events=[EventOut.of(e) for e in events] if with_log else None,
        )
