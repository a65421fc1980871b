"""Fee policies: the platform's, the operator's and the village collective's shares, in basis points.

Policies are versioned: setting one adds a row effective from that moment; a sale is credited with the
policy in force when it completed. Nothing is credited in a village that has no policy yet: its completed
sales wait (the villager sees them pending, the secretary's desk says the policy is missing), and the
village's first policy covers every sale completed before it. Later versions apply from their moment on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.errors import N_, InvalidInput
from shop.ledger.models import FeePolicy, LedgerTransaction, TransactionKind
from shop.money import BP_PER_WHOLE
from shop.orders.models import Order, OrderStatus
from shop.timeutil import utcnow

CHANNELS = ("douyin", "kuaishou", "weixin", "taobao", "other", "direct")
# Orders the village records itself pay no platform: they are charged at the "direct" rate.
SOURCE_CHANNEL = {"douyin": "douyin", "kuaishou": "kuaishou", "weixin": "weixin"}
DEFAULT_AUTO_COMPLETE_DAYS = 10


@dataclass(frozen=True)
class PolicyTerms:
    platform_bp: Mapping[str, int] = field(default_factory=dict)
    operator_bp: int = 0
    collective_bp: int = 0
    auto_complete_days: int = DEFAULT_AUTO_COMPLETE_DAYS
    policy_id: int | None = None

    @staticmethod
    def channel(source: str) -> str:
        """The platform an order's source sells through (its fee and its ledger account)."""
        return SOURCE_CHANNEL.get(source, "direct")

    def platform_rate(self, source: str) -> int:
        return int(self.platform_bp.get(self.channel(source), 0))


def terms_of(policy: FeePolicy | None) -> PolicyTerms:
    if policy is None:
        return PolicyTerms()
    return PolicyTerms(
        platform_bp={k: int(v) for k, v in (policy.platform_bp or {}).items()},
        operator_bp=policy.operator_bp,
        collective_bp=policy.collective_bp,
        auto_complete_days=policy.auto_complete_days,
        policy_id=policy.id,
    )


def check_rates(
    platform_bp: Mapping[str, Any], operator_bp: int, collective_bp: int, auto_complete_days: int
) -> dict[str, int]:
    rates: dict[str, int] = {}
    for channel, value in platform_bp.items():
        if channel not in CHANNELS:
            raise InvalidInput("platform_bp", N_("Unknown sales channel %(channel)s."), channel=channel)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BP_PER_WHOLE:
            raise InvalidInput("platform_bp", N_("Rates are whole basis points from 0 to 10000 (100%%)."))
        rates[channel] = value
    for name, value in (("operator_bp", operator_bp), ("collective_bp", collective_bp)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= BP_PER_WHOLE:
            raise InvalidInput(name, N_("Rates are whole basis points from 0 to 10000 (100%%)."))
    if max(rates.values(), default=0) + operator_bp + collective_bp > BP_PER_WHOLE:
        raise InvalidInput("collective_bp", N_("The shares add up to more than the whole sale."))
    if isinstance(auto_complete_days, bool) or not 1 <= auto_complete_days <= 60:
        raise InvalidInput("auto_complete_days", N_("Auto-confirmation takes between 1 and 60 days."))
    return rates


async def set_policy(
    session: AsyncSession,
    actor: Principal,
    village_id: int,
    *,
    platform_bp: Mapping[str, Any],
    operator_bp: int,
    collective_bp: int,
    auto_complete_days: int = DEFAULT_AUTO_COMPLETE_DAYS,
    now: datetime | None = None,
) -> FeePolicy:
    """A new policy for the village, in force from now on (sales completed earlier keep theirs; the first
    policy also covers the sales completed before it, which waited for one)."""
    actor.require_staff()
    actor.ensure_village(village_id)
    rates = check_rates(platform_bp, operator_bp, collective_bp, auto_complete_days)
    policy = FeePolicy(
        village_id=village_id,
        platform_bp=rates,
        operator_bp=operator_bp,
        collective_bp=collective_bp,
        auto_complete_days=auto_complete_days,
        effective_from=now or utcnow(),
        set_by=actor.user_id or None,
    )
    session.add(policy)
    await session.flush()
    return policy


async def policy_for_sale(session: AsyncSession, village_id: int, completed_at: datetime) -> PolicyTerms | None:
    """The policy a sale that completed at ``completed_at`` is credited under: the version in force then, or,
    for a sale completed before the village had any policy, its first. None while the village has none:
    the sale is not credited yet."""
    in_force = await _latest_policy(session, village_id, completed_at)
    if in_force is not None:
        return terms_of(in_force)
    first = (
        await session.execute(
            select(FeePolicy)
            .where(FeePolicy.village_id == village_id)
            .order_by(FeePolicy.effective_from, FeePolicy.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    return terms_of(first) if first is not None else None


async def has_policy(session: AsyncSession, village_id: int) -> bool:
    found = await session.execute(select(FeePolicy.id).where(FeePolicy.village_id == village_id).limit(1))
    return found.first() is not None


async def sales_awaiting_policy(session: AsyncSession, village_id: int) -> int:
    """Completed orders of a village without a fee policy, none of whose lines is credited: what its first
    policy will cover."""
    credited = select(LedgerTransaction.order_id).where(
        LedgerTransaction.kind == TransactionKind.SALE_CREDIT.value, LedgerTransaction.village_id == village_id
    )
    count = await session.execute(
        select(func.count()).where(
            Order.village_id == village_id,
            Order.status == OrderStatus.COMPLETED.value,
            Order.id.not_in(credited),
        )
    )
    return int(count.scalar_one())


async def _latest_policy(session: AsyncSession, village_id: int, moment: datetime) -> FeePolicy | None:
    return (
        await session.execute(
            select(FeePolicy)
            .where(FeePolicy.village_id == village_id, FeePolicy.effective_from <= moment)
            .order_by(FeePolicy.effective_from.desc(), FeePolicy.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def policy_at(session: AsyncSession, village_id: int, moment: datetime) -> PolicyTerms:
    """The version in force at ``moment``, to show and to estimate with (no fees where there is none yet)."""
    return terms_of(await _latest_policy(session, village_id, moment))


async def policy_history(session: AsyncSession, village_id: int) -> list[FeePolicy]:
    rows = await session.execute(
        select(FeePolicy).where(FeePolicy.village_id == village_id).order_by(FeePolicy.effective_from.desc())
    )
    return list(rows.scalars())


async def auto_complete_days_by_village(session: AsyncSession) -> dict[int, int]:
    """Each village's auto-confirm days under its current policy."""
    latest = (
        select(FeePolicy.village_id, func.max(FeePolicy.effective_from).label("latest"))
        .where(FeePolicy.effective_from <= utcnow())
        .group_by(FeePolicy.village_id)
        .subquery()
    )
    rows = await session.execute(
        select(FeePolicy.village_id, FeePolicy.auto_complete_days).join(
            latest, (FeePolicy.village_id == latest.c.village_id) & (FeePolicy.effective_from == latest.c.latest)
        )
    )
    return dict(rows.tuples().all())
