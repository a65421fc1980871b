"""JSON shapes for fee policies, earnings, payouts and the transparency board."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from shop.cases.schemas import CaseMonthOut
from shop.web.params import DbId

Bp = Annotated[int, msgspec.Meta(ge=0, le=10_000, description="basis points: 100 = 1%")]


class FeePolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    platform_bp: dict[Literal["douyin", "kuaishou", "weixin", "taobao", "other", "direct"], Bp]
    operator_bp: Bp
    collective_bp: Bp
    auto_complete_days: Annotated[int, msgspec.Meta(ge=1, le=60)] = 10


class FeePolicyOut(msgspec.Struct):
    id: int | None
    village_id: int
    platform_bp: dict[str, int]
    operator_bp: int
    collective_bp: int
    auto_complete_days: int
    effective_from: datetime | None


class EarningsEntry(msgspec.Struct):
    posted_at: datetime
    kind: str
    product: str
    units: int
    amount_fen: int
    stream: str | None
    order_id: int | None


class PayoutOut(msgspec.Struct):
    id: int
    household_id: int
    amount_fen: int
    method: str
    reference: str
    paid_at: datetime


class EarningsOut(msgspec.Struct):
    household_id: int
    pending_fen: int
    credited_fen: int
    paid_out_fen: int
    balance_fen: int
    owed_fen: int
    entries: list[EarningsEntry]
    payouts: list[PayoutOut]


class PayoutIn(msgspec.Struct, forbid_unknown_fields=True):
    household_id: DbId
    amount_fen: Annotated[int, msgspec.Meta(ge=1, le=10**12)]
    method: Literal["cash", "wechat", "alipay", "bank"]
    reference: Annotated[str, msgspec.Meta(max_length=100)] = ""


class TransparencyMonth(msgspec.Struct):
    month: str
    collective_income_fen: int
    credited_to_households_fen: int
    paid_to_households_fen: int
    households_benefited: int
    households: list[dict[str, object]] | None = None


class TransparencyOut(msgspec.Struct):
    village_id: int
    village: str
    months: list[TransparencyMonth]
    # Villagers' questions per month received: counts only (shop.cases.counts says what each means).
    cases: list[CaseMonthOut] = msgspec.field(default_factory=list)
