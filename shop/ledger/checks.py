"""The ledger's own checks: completed sales not yet credited (imports, crashes) are credited, and every
household balance and month row and every village month row is recomputed from the entries nightly,
alerting the county admins when one disagrees.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import Role, User
from shop.errors import N_
from shop.ledger.models import (
    AccountKind,
    FeePolicy,
    HouseholdBalance,
    HouseholdMonth,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from shop.ledger.posting import credit_order, reverse_order
from shop.ledger.reading import month_of
from shop.ledger.summary import check_village_months
from shop.notifications.models import RecipientKind
from shop.notifications.services import notify_now
from shop.orders.models import Allocation, Order, OrderLine, OrderStatus

log = logging.getLogger("shop.ledger")

# Orders the crediting job takes per run, oldest first.
CREDIT_BATCH = 500


async def missed_orders(session: AsyncSession, limit: int = CREDIT_BATCH) -> list[int]:
    """Completed orders with a line not yet credited (imported, a crash between, or waiting for their village's
    first fee policy) and refunded ones not yet reversed: their ids, oldest first. A read: the search takes
    no write lock, so the order path never waits on it."""
    credited = (
        select(LedgerTransaction.id)
        .where(
            LedgerTransaction.order_line_id == OrderLine.id,
            LedgerTransaction.kind == TransactionKind.SALE_CREDIT.value,
        )
        .exists()
    )
    allocated = select(Allocation.id).where(Allocation.line_id == OrderLine.id).exists()
    missing = await session.execute(
        select(Order.id)
        .where(
            Order.status.in_([OrderStatus.COMPLETED.value, OrderStatus.REFUNDED.value]),
            # a village without a fee policy credits nothing yet; its sales must not crowd out the rest
            Order.village_id.in_(select(FeePolicy.village_id)),
            # a backorder line with no units from lots yet waits; it must not crowd out the rest
            select(OrderLine.id).where(OrderLine.order_id == Order.id, ~credited, allocated).exists(),
        )
        .order_by(Order.id)
        .limit(limit)
    )
    return list(missing.scalars())


async def credit_missed(session: AsyncSession, now: datetime, order_ids: list[int] | None = None) -> int:
    """Credit (and, for refunded ones, reverse) the orders ``missed_orders`` finds, or ``order_ids``. Posting
    is idempotent, so running this twice, or beside the listeners, changes nothing."""
    done = 0
    ids = await missed_orders(session) if order_ids is None else order_ids
    if not ids:
        return 0
    orders = await session.execute(select(Order).where(Order.id.in_(ids)).order_by(Order.id))
    for order in orders.scalars():
        done += await credit_order(session, order, actor=None, now=now)
        if order.status == OrderStatus.REFUNDED.value:
            done += await reverse_order(session, order, actor=None, now=now)
    return done


async def check_balances(session: AsyncSession, village_id: int | None = None) -> list[str]:
    """Recompute every household's figures and every village month (of one village, or all) from the
    entries; a problem for each that disagrees, and for each transaction that does not sum to zero."""
    computed: dict[int, dict[str, int]] = defaultdict(lambda: {"credited": 0, "paid": 0, "owed": 0})
    rows = await session.execute(
        select(
            LedgerEntry.household_id, LedgerEntry.account_kind, LedgerTransaction.kind, func.sum(LedgerEntry.amount_fen)
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(
            LedgerEntry.household_id.is_not(None),
            *([LedgerEntry.village_id == village_id] if village_id is not None else []),
        )
        .group_by(LedgerEntry.household_id, LedgerEntry.account_kind, LedgerTransaction.kind)
    )
    for household_id, account, kind, amount in rows.all():
        figures = computed[household_id]
        if account == AccountKind.RECOVERY.value:
            figures["owed"] -= int(amount)
        elif kind == TransactionKind.PAYOUT.value:
            figures["paid"] -= int(amount)
        else:
            figures["credited"] += int(amount)
    problems = []
    balances = select(HouseholdBalance)
    if village_id is not None:
        balances = balances.where(HouseholdBalance.village_id == village_id)
    stored = {b.household_id: b for b in (await session.execute(balances)).scalars()}
    for household_id in sorted(set(computed) | set(stored)):
        figures = computed.get(household_id, {"credited": 0, "paid": 0, "owed": 0})
        row = stored.get(household_id)
        have = (row.credited_fen, row.paid_out_fen, row.owed_fen, row.balance_fen) if row else (0, 0, 0, 0)
        want = (figures["credited"], figures["paid"], figures["owed"], figures["credited"] - figures["paid"])
        if have != want:
            problems.append(f"household {household_id}: stored {have}, entries say {want}")
    unbalanced = await session.execute(
        select(LedgerEntry.transaction_id)
        .where(*([LedgerEntry.village_id == village_id] if village_id is not None else []))
        .group_by(LedgerEntry.transaction_id)
        .having(func.sum(LedgerEntry.amount_fen) != 0)
    )
    problems.extend(f"transaction {t} does not sum to zero" for t in unbalanced.scalars())
    problems.extend(await _check_months(session, village_id))
    problems.extend(await check_village_months(session, village_id))
    return problems


async def _check_months(session: AsyncSession, village_id: int | None) -> list[str]:
    """The month rows behind the villagers' charts, recomputed from the entries."""
    month = month_of(session, LedgerEntry.posted_at)
    scope = [LedgerEntry.village_id == village_id] if village_id is not None else []
    rows = await session.execute(
        select(LedgerEntry.household_id, month, func.sum(LedgerEntry.amount_fen), func.sum(LedgerEntry.units))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.household_id.is_not(None), LedgerTransaction.kind != TransactionKind.PAYOUT.value, *scope)
        .group_by(LedgerEntry.household_id, month)
    )
    want = {(h, m): (int(a), int(u)) for h, m, a, u in rows.all()}
    stored_rows = select(HouseholdMonth)
    if village_id is not None:
        stored_rows = stored_rows.where(HouseholdMonth.village_id == village_id)
    stored = (await session.execute(stored_rows)).scalars()
    have = {(r.household_id, r.month): (r.credited_fen, r.units) for r in stored}
    return [
        f"household {h} month {m}: stored {have.get((h, m), (0, 0))}, entries say {want.get((h, m), (0, 0))}"
        for h, m in sorted(set(want) | set(have))
        if have.get((h, m), (0, 0)) != want.get((h, m), (0, 0))
    ]


async def alert_admins(session: AsyncSession, problems: list[str]) -> int:
    admins = (
        await session.execute(select(User.id).where(User.role == Role.ADMIN.value, User.active.is_(True)))
    ).scalars()
    count = 0
    for admin_id in admins:
        await notify_now(
            session,
            RecipientKind.USER,
            admin_id,
            "ledger.check",
            N_("Ledger check: %(n)s problem(s) found"),
            body="; ".join(problems)[:480],
            params={"n": str(len(problems))},
            link="/admin/villages",
        )
        count += 1
    log.error("ledger check found problems", extra={"fields": {"problems": len(problems)}})
    return count
