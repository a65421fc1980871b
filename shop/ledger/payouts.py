"""Paying households out in a batch: every household whose balance reached a threshold is paid its whole
balance (each payout through ``posting.pay_out``), and the balances the payouts page lists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.errors import N_, InvalidInput, NotFound
from shop.ledger.models import (
    HouseholdBalance,
    Payout,
    PayoutBatch,
    PayoutMethod,
)
from shop.ledger.posting import pay_out
from shop.timeutil import utcnow
from shop.villages.models import Household


async def balances(session: AsyncSession, actor: Principal, village_id: int) -> list[tuple[Household, int, int]]:
    """(household, balance, owed) for every household of the village, largest balance first."""
    actor.require_staff()
    actor.ensure_village(village_id)
    rows = await session.execute(
        select(Household, func.coalesce(HouseholdBalance.balance_fen, 0), func.coalesce(HouseholdBalance.owed_fen, 0))
        .outerjoin(HouseholdBalance, HouseholdBalance.household_id == Household.id)
        .where(Household.village_id == village_id)
        .order_by(func.coalesce(HouseholdBalance.balance_fen, 0).desc(), Household.code)
    )
    return [(h, int(b), int(o)) for h, b, o in rows.all()]


async def pay_batch(
    session: AsyncSession,
    actor: Principal,
    village_id: int,
    *,
    min_balance_fen: int,
    method: str,
    reference: str = "",
    now: datetime | None = None,
) -> tuple[PayoutBatch | None, list[Payout]]:
    """Pay every household whose balance is at least ``min_balance_fen`` its whole balance (no batch is
    recorded when no household has that much)."""
    actor.require_staff()
    actor.ensure_village(village_id)
    if isinstance(min_balance_fen, bool) or not isinstance(min_balance_fen, int) or min_balance_fen < 1:
        raise InvalidInput("min_balance_fen", N_("The threshold must be at least ¥0.01."))
    try:
        method = PayoutMethod(method).value
    except ValueError as exc:
        raise InvalidInput("method", N_("The method must be cash, wechat, alipay or bank.")) from exc
    due = (
        await session.execute(
            select(HouseholdBalance.household_id, HouseholdBalance.balance_fen)
            .where(HouseholdBalance.village_id == village_id, HouseholdBalance.balance_fen >= min_balance_fen)
            .order_by(HouseholdBalance.household_id)
        )
    ).all()
    if not due:
        return None, []
    moment = now or utcnow()
    batch = PayoutBatch(
        village_id=village_id,
        min_balance_fen=min_balance_fen,
        method=method,
        reference=(reference or "")[:100],
        paid_by=actor.user_id or None,
        paid_at=moment,
    )
    session.add(batch)
    await session.flush()
    payouts = [
        await pay_out(session, actor, household_id, amount, method, reference, batch_id=batch.id, now=moment)
        for household_id, amount in due
    ]
    return batch, payouts


async def batch_payouts(
    session: AsyncSession, actor: Principal, batch_id: int
) -> tuple[PayoutBatch, list[tuple[Payout, Household]]]:
    batch = await session.get(PayoutBatch, batch_id)
    if batch is None or not actor.is_staff or not actor.can_reach_village(batch.village_id):
        raise NotFound()
    rows = await session.execute(
        select(Payout, Household)
        .join(Household, Household.id == Payout.household_id)
        .where(Payout.batch_id == batch_id)
        .order_by(Household.code)
    )
    return batch, [(p, h) for p, h in rows.all()]
