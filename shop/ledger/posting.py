"""Posting to the ledger: crediting a completed sale, reversing a refund, paying a household out.

A completed order line becomes one balanced transaction (DESIGN.md, "Crediting"):

    sales clearing   −gross
    platform fee     +gross × platform_bp  (half up to the fen)
    operator fee     +gross × operator_bp
    collective       +gross × collective_bp
    each household   +its share of the rest, in proportion to the units it contributed to the lots
                      the line consumed (largest remainder; ties to the lower household id)

A refund posts the reverse of the refunded units' share: after r of n units are refunded every account
holds what a sale of the n − r kept units would have given it, so a full refund, in one step or several,
reverses the original to the fen. Each posting carries a unique ``dedupe_key``, so retries, restarts and
two schedulers post it once. A household's balance never goes below zero: when a refund arrives after the
household was paid, what it cannot take back is booked as owed ("recovery") and settled from the
household's next sales. Every posting moves, in its own transaction, the household balance and month rows
and the village's month row (``shop.ledger.summary``) that the pages read instead of the entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.db import rows_matched
from shop.errors import N_, Conflict, InvalidInput
from shop.ledger.models import (
    METHOD_LABELS,
    AccountKind,
    FeePolicy,
    HouseholdBalance,
    HouseholdMonth,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutMethod,
    TransactionKind,
)
from shop.ledger.policy import PolicyTerms, policy_for_sale, terms_of
from shop.ledger.summary import add_to_village_month, hold_village_month, month_label
from shop.money import fee_fen, format_fen
from shop.notifications.models import RecipientKind
from shop.notifications.services import notify_now
from shop.orders.models import Order, OrderLine
from shop.orders.suppliers import supplier_weights, units_by_household
from shop.sms import notices as sms_notices
from shop.split import split_by_largest_remainder
from shop.timeutil import utcnow
from shop.villages.models import Household


@dataclass(frozen=True)
class Share:
    household_id: int
    units: int
    amount_fen: int


@dataclass(frozen=True)
class LineSplit:
    gross_fen: int
    platform_fen: int
    operator_fen: int
    collective_fen: int
    channel: str
    shares: list[Share]


async def _weights(session: AsyncSession, line_id: int) -> dict[int, int]:
    """The line's households and their weights (``shop.orders.suppliers``: the reports count by the same)."""
    return (await supplier_weights(session, [line_id])).get(line_id, {})


def split_sale(
    gross_fen: int,
    units: int,
    channel_rate: int,
    operator_bp: int,
    collective_bp: int,
    weights: dict[int, int],
    channel: str,
) -> LineSplit:
    """The pure arithmetic of crediting one line (tested against DESIGN.md's worked example)."""
    platform = fee_fen(gross_fen, channel_rate)
    operator = fee_fen(gross_fen, operator_bp)
    collective = fee_fen(gross_fen, collective_bp)
    rest = gross_fen - platform - operator - collective
    # Rounding each fee up at half a fen can leave a tiny sale short by a fen or two: the collective,
    # then the operator, then the platform give way, never the households below zero.
    short = max(0, -rest)
    give = min(short, collective)
    collective, short = collective - give, short - give
    give = min(short, operator)
    operator, short = operator - give, short - give
    platform -= min(short, platform)
    rest = gross_fen - platform - operator - collective
    amounts = split_by_largest_remainder(rest, weights)
    unit_split = units_by_household(weights, units)
    shares = [Share(h, unit_split.get(h, 0), amounts[h]) for h in sorted(weights)]
    return LineSplit(gross_fen, platform, operator, collective, channel, shares)


def split_under(terms: PolicyTerms, source: str, gross_fen: int, units: int, weights: dict[int, int]) -> LineSplit:
    """``split_sale`` with the rates of a fee policy for an order from ``source``."""
    return split_sale(
        gross_fen,
        units,
        terms.platform_rate(source),
        terms.operator_bp,
        terms.collective_bp,
        weights,
        terms.channel(source),
    )


async def _ensure_balance_rows(session: AsyncSession, village_id: int, household_ids: list[int]) -> None:
    if not household_ids:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(HouseholdBalance)
        .values([{"household_id": h, "village_id": village_id} for h in household_ids])
        .on_conflict_do_nothing(index_elements=["household_id"])
    )


async def _post(
    session: AsyncSession,
    *,
    village_id: int,
    kind: TransactionKind,
    dedupe_key: str,
    entries: list[dict[str, Any]],
    now: datetime,
    actor: Principal | None,
    **fields: object,
) -> LedgerTransaction:
    assert sum(e["amount_fen"] for e in entries) == 0, "a transaction must balance"
    transaction = LedgerTransaction(
        village_id=village_id,
        kind=kind.value,
        dedupe_key=dedupe_key,
        actor_kind="user" if actor is not None and actor.user_id else "system",
        actor_id=actor.user_id if actor is not None else None,
        posted_at=now,
        **fields,
    )
    session.add(transaction)
    await session.flush()
    months: dict[int, list[int]] = {}
    for entry in entries:
        if entry["amount_fen"] == 0 and not entry.get("units"):
            continue
        session.add(LedgerEntry(transaction_id=transaction.id, village_id=village_id, posted_at=now, **entry))
        if entry.get("household_id") and kind != TransactionKind.PAYOUT:
            figures = months.setdefault(entry["household_id"], [0, 0])
            figures[0] += entry["amount_fen"]
            figures[1] += entry.get("units", 0)
    await session.flush()
    if months:
        await _add_to_months(session, village_id, month_label(now), months)
    await add_to_village_month(session, village_id, now, kind, entries)
    return transaction


async def _add_to_months(session: AsyncSession, village_id: int, month: str, moves: dict[int, list[int]]) -> None:
    """Move each household's month row (the 12-month chart) with its entries, in the same transaction."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for household_id, (amount, units) in sorted(moves.items()):
        statement = insert(HouseholdMonth).values(
            household_id=household_id, month=month, village_id=village_id, credited_fen=amount, units=units
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["household_id", "month"],
                set_={
                    "credited_fen": HouseholdMonth.credited_fen + statement.excluded.credited_fen,
                    "units": HouseholdMonth.units + statement.excluded.units,
                },
            )
        )


async def _existing(session: AsyncSession, dedupe_key: str) -> bool:
    row = await session.execute(select(LedgerTransaction.id).where(LedgerTransaction.dedupe_key == dedupe_key))
    return row.first() is not None


async def _owed(session: AsyncSession, household_ids: list[int]) -> dict[int, int]:
    rows = await session.execute(
        select(HouseholdBalance.household_id, HouseholdBalance.owed_fen, HouseholdBalance.balance_fen).where(
            HouseholdBalance.household_id.in_(household_ids)
        )
    )
    return {h: owed for h, owed, _ in rows.all()}


async def credit_line(
    session: AsyncSession, order: Order, line: OrderLine, *, actor: Principal | None, now: datetime | None = None
) -> LedgerTransaction | None:
    """Credit one line of a completed order, once. A line with no units from lots (a backorder) waits, and so
    does every sale of a village without a fee policy yet (its first policy will cover it)."""
    key = f"credit:line:{line.id}"
    if await _existing(session, key):
        return None
    weights = await _weights(session, line.id)
    if not weights or sum(weights.values()) == 0:
        return None
    moment = now or utcnow()
    terms = await policy_for_sale(session, order.village_id, order.completed_at or moment)
    if terms is None:
        return None
    split = split_under(
        terms, order.source, line.quantity * line.unit_price_fen, line.quantity - line.short_quantity, weights
    )
    channel = split.channel
    households = [s.household_id for s in split.shares]
    await hold_village_month(session, order.village_id, moment)
    await _ensure_balance_rows(session, order.village_id, households)
    owed = await _owed(session, households)
    entries: list[dict[str, Any]] = [
        {"account_kind": AccountKind.SALES_CLEARING.value, "amount_fen": -split.gross_fen},
        {"account_kind": AccountKind.PLATFORM.value, "account_ref": channel, "amount_fen": split.platform_fen},
        {"account_kind": AccountKind.OPERATOR.value, "amount_fen": split.operator_fen},
        {"account_kind": AccountKind.COLLECTIVE.value, "amount_fen": split.collective_fen},
    ]
    for share in split.shares:
        settle = min(share.amount_fen, owed.get(share.household_id, 0)) if share.amount_fen > 0 else 0
        entries.append(
            {
                "account_kind": AccountKind.HOUSEHOLD.value,
                "household_id": share.household_id,
                "amount_fen": share.amount_fen - settle,
                "units": share.units,
            }
        )
        if settle:
            entries.append(
                {"account_kind": AccountKind.RECOVERY.value, "household_id": share.household_id, "amount_fen": settle}
            )
        await _move_balance(session, share.household_id, credited=share.amount_fen - settle, owed=-settle)
    return await _post(
        session,
        village_id=order.village_id,
        kind=TransactionKind.SALE_CREDIT,
        dedupe_key=key,
        entries=entries,
        now=moment,
        actor=actor,
        order_id=order.id,
        order_line_id=line.id,
        policy_id=terms.policy_id,
        quantity=line.quantity,
    )


async def _move_balance(
    session: AsyncSession, household_id: int, *, credited: int = 0, owed: int = 0, paid: int = 0
) -> None:
    await session.execute(
        update(HouseholdBalance)
        .where(HouseholdBalance.household_id == household_id)
        .values(
            credited_fen=HouseholdBalance.credited_fen + credited,
            paid_out_fen=HouseholdBalance.paid_out_fen + paid,
            balance_fen=HouseholdBalance.balance_fen + credited - paid,
            owed_fen=HouseholdBalance.owed_fen + owed,
        )
    )


async def _split_of_units(
    session: AsyncSession, order: Order, line: OrderLine, credit: LedgerTransaction, units: int
) -> LineSplit:
    """What crediting ``units`` of the line would have posted, with the policy its credit used."""
    policy = await session.get(FeePolicy, credit.policy_id) if credit.policy_id else None
    terms = terms_of(policy)
    weights = await _weights(session, line.id)
    return split_under(terms, order.source, units * line.unit_price_fen, max(units - line.short_quantity, 0), weights)


async def reverse_line(
    session: AsyncSession,
    order: Order,
    line: OrderLine,
    refunded_units: int,
    *,
    actor: Principal | None,
    now: datetime | None = None,
) -> LedgerTransaction | None:
    """Take back the share of the units refunded since the last reversal (``refunded_units`` is the
    line's refunded units so far, in all).

    After r of n units are refunded, every account holds exactly what crediting the n − r units that were
    kept would have given it (same policy, same households): each reversal takes the difference. So
    refunding one unit and then the rest gives back the original to the fen, like refunding all at once.
    """
    credit = (
        await session.execute(select(LedgerTransaction).where(LedgerTransaction.dedupe_key == f"credit:line:{line.id}"))
    ).scalar_one_or_none()
    if credit is None:
        return None
    # The reversals so far: how many, and how many units they took back.
    count, already = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(LedgerTransaction.quantity), 0)).where(
                LedgerTransaction.order_line_id == line.id,
                LedgerTransaction.kind == TransactionKind.SALE_REVERSAL.value,
            )
        )
    ).one()
    already = int(already)
    refunded_units = min(refunded_units, line.quantity)
    if refunded_units <= already:
        return None
    moment = now or utcnow()
    await hold_village_month(session, order.village_id, moment)
    before = await _split_of_units(session, order, line, credit, line.quantity - already)
    after = await _split_of_units(session, order, line, credit, line.quantity - refunded_units)
    entries = _fees_given_back(before, after) + await _households_give_back(session, before, after)
    return await _post(
        session,
        village_id=order.village_id,
        kind=TransactionKind.SALE_REVERSAL,
        dedupe_key=f"reverse:line:{line.id}:{refunded_units}",
        entries=entries,
        now=moment,
        actor=actor,
        order_id=order.id,
        order_line_id=line.id,
        reverses_id=credit.id,
        quantity=refunded_units - already,
        memo=f"refund #{count + 1}",
    )


def _fees_given_back(before: LineSplit, after: LineSplit) -> list[dict[str, Any]]:
    """A reversal's clearing and fee entries: each takes the difference between the split of the units
    kept before this refund and after it."""
    return [
        {"account_kind": AccountKind.SALES_CLEARING.value, "amount_fen": before.gross_fen - after.gross_fen},
        {
            "account_kind": AccountKind.PLATFORM.value,
            "account_ref": before.channel,
            "amount_fen": after.platform_fen - before.platform_fen,
        },
        {"account_kind": AccountKind.OPERATOR.value, "amount_fen": after.operator_fen - before.operator_fen},
        {"account_kind": AccountKind.COLLECTIVE.value, "amount_fen": after.collective_fen - before.collective_fen},
    ]


async def _households_give_back(session: AsyncSession, before: LineSplit, after: LineSplit) -> list[dict[str, Any]]:
    """A reversal's household entries: each household gives back the difference of its share, from its
    balance as far as it reaches, and owes the rest (recovery); its balance row moves with it."""
    entries: list[dict[str, Any]] = []
    kept = {share.household_id: share for share in after.shares}
    household_ids = [share.household_id for share in before.shares]
    balances = dict(
        (
            await session.execute(
                select(HouseholdBalance.household_id, HouseholdBalance.balance_fen).where(
                    HouseholdBalance.household_id.in_(household_ids)
                )
            )
        )
        .tuples()
        .all()
    )
    for share in before.shares:
        take = share.amount_fen - kept[share.household_id].amount_fen
        units_back = share.units - kept[share.household_id].units
        from_balance = min(take, balances.get(share.household_id, 0))
        entries.append(
            {
                "account_kind": AccountKind.HOUSEHOLD.value,
                "household_id": share.household_id,
                "amount_fen": -from_balance,
                "units": -units_back,
            }
        )
        if take - from_balance:
            entries.append(
                {
                    "account_kind": AccountKind.RECOVERY.value,
                    "household_id": share.household_id,
                    "amount_fen": -(take - from_balance),
                }
            )
        await _move_balance(session, share.household_id, credited=-from_balance, owed=take - from_balance)
    return entries


async def credit_order(
    session: AsyncSession, order: Order, *, actor: Principal | None, now: datetime | None = None
) -> int:
    """Credit every line not yet credited; a line credited late (a backorder) whose units were refunded
    meanwhile is reversed for them at once."""
    posted = 0
    for line in order.lines:
        if await credit_line(session, order, line, actor=actor, now=now) is not None:
            posted += 1
            if line.refunded_quantity:
                await reverse_line(session, order, line, line.refunded_quantity, actor=actor, now=now)
    return posted


async def reverse_order(
    session: AsyncSession, order: Order, *, actor: Principal | None, now: datetime | None = None
) -> int:
    posted = 0
    for line in order.lines:
        if await reverse_line(session, order, line, line.quantity, actor=actor, now=now) is not None:
            posted += 1
    return posted


async def pay_out(
    session: AsyncSession,
    actor: Principal,
    household_id: int,
    amount_fen: int,
    method: str,
    reference: str = "",
    *,
    batch_id: int | None = None,
    now: datetime | None = None,
) -> Payout:
    """Pay a household from its balance; above the balance is a ``Conflict`` and nothing moves."""
    household, method = await _payable(session, actor, household_id, amount_fen, method)
    moment = now or utcnow()
    await hold_village_month(session, household.village_id, moment)
    await _take_from_balance(session, household, amount_fen)
    payout = Payout(
        village_id=household.village_id,
        household_id=household_id,
        amount_fen=amount_fen,
        method=method,
        reference=(reference or "").strip()[:100],
        batch_id=batch_id,
        paid_by=actor.user_id or None,
        paid_at=moment,
    )
    session.add(payout)
    await session.flush()
    await _post(
        session,
        village_id=household.village_id,
        kind=TransactionKind.PAYOUT,
        dedupe_key=f"payout:{payout.id}",
        entries=[
            {"account_kind": AccountKind.HOUSEHOLD.value, "household_id": household_id, "amount_fen": -amount_fen},
            {"account_kind": AccountKind.PAYOUTS.value, "account_ref": method, "amount_fen": amount_fen},
        ],
        now=moment,
        actor=actor,
        payout_id=payout.id,
        memo=payout.reference,
    )
    await _tell_paid(session, payout)
    return payout


async def _payable(
    session: AsyncSession, actor: Principal, household_id: int, amount_fen: int, method: str
) -> tuple[Household, str]:
    """The household of the caller's village to pay, and the method as stored; bad input names its field."""
    actor.require_staff()
    household = await session.get(Household, household_id)
    if household is None:
        raise InvalidInput("household_id", N_("There is no such household."))
    actor.ensure_village(household.village_id)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInput("amount_fen", N_("The amount must be a whole number of fen above 0."))
    try:
        return household, PayoutMethod(method).value
    except ValueError as exc:
        raise InvalidInput("method", N_("The method must be cash, wechat, alipay or bank.")) from exc


async def _take_from_balance(session: AsyncSession, household: Household, amount_fen: int) -> None:
    """Move the amount from the household's balance to what it was paid, or refuse naming the balance."""
    await _ensure_balance_rows(session, household.village_id, [household.id])
    # The conditional update is the guard: concurrent payouts cannot together exceed the balance.
    taken = await session.execute(
        update(HouseholdBalance)
        .where(HouseholdBalance.household_id == household.id, HouseholdBalance.balance_fen >= amount_fen)
        .values(
            paid_out_fen=HouseholdBalance.paid_out_fen + amount_fen,
            balance_fen=HouseholdBalance.balance_fen - amount_fen,
        )
    )
    if rows_matched(taken):
        return
    balance = (
        await session.execute(select(HouseholdBalance.balance_fen).where(HouseholdBalance.household_id == household.id))
    ).scalar_one()
    raise Conflict(
        N_("%(amount)s is more than %(name)s's balance of %(balance)s."),
        field="amount_fen",
        amount=format_fen(amount_fen),
        name=household.head_name,
        balance=format_fen(balance),
        details={"balance_fen": balance},
    )


async def _tell_paid(session: AsyncSession, payout: Payout) -> None:
    await notify_now(
        session,
        RecipientKind.HOUSEHOLD,
        payout.household_id,
        "payout",
        N_("You were paid %(amount)s"),
        body=N_("By %(method)s. Reference: %(reference)s."),
        params={
            "amount": format_fen(payout.amount_fen),
            "method": METHOD_LABELS[PayoutMethod(payout.method)],
            "reference": payout.reference or "—",
        },
        link="/household",
    )
    await sms_notices.payout_made(
        session, payout.id, payout.household_id, payout.amount_fen, METHOD_LABELS[PayoutMethod(payout.method)]
    )
