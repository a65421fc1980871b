"""Reading the ledger: a household's earnings (pending, credited, paid out, each sale, the 12-month chart),
monthly statements, the village transparency board (阳光三务) and the audit trail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import Role, User
from shop.accounts.principal import Principal
from shop.catalogue.models import Contribution, Product
from shop.errors import N_, InvalidInput, Label, NotFound
from shop.ledger.models import (
    METHOD_LABELS,
    AccountKind,
    FeePolicy,
    HouseholdBalance,
    HouseholdMonth,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    TransactionKind,
    VillageMonth,
)
from shop.ledger.policy import has_policy, policy_at
from shop.ledger.posting import split_under
from shop.ledger.summary import month_sql
from shop.orders.models import STATUS_LABELS, Allocation, Order, OrderLine, OrderStatus, StatusChange
from shop.orders.suppliers import supplier_weights
from shop.paging import Paging
from shop.streams.models import Stream
from shop.timeutil import local_day_bounds, to_local, utcnow
from shop.villages.models import Household, Village

OPEN = (OrderStatus.PLACED.value, OrderStatus.PAID.value, OrderStatus.SHIPPED.value)
HOUSEHOLD_KINDS = (AccountKind.HOUSEHOLD.value, AccountKind.RECOVERY.value)


def month_of(session: AsyncSession, column: Any) -> Any:
    """The Beijing calendar month of a UTC timestamp column, as 'YYYY-MM', in the session's SQL."""
    return month_sql(session.get_bind().dialect.name, column)


def window_start(months: int, now: datetime | None = None) -> str:
    """The first Beijing month of a window of ``months`` ending with this one, as the month rows name it."""
    local = to_local(now or utcnow())
    year, month = divmod(local.year * 12 + local.month - 1 - (months - 1), 12)
    return f"{year:04d}-{month + 1:02d}"


@dataclass
class SaleRow:
    posted_at: datetime
    kind: str
    product: str
    units: int
    amount_fen: int
    stream: str | None
    order_id: int | None
    # Which posting and which of the household's entries (a villager's question about a sale names it).
    transaction_id: int = 0
    entry_id: int = 0


@dataclass
class Earnings:
    household: Household
    pending_fen: int
    credited_fen: int
    paid_out_fen: int
    balance_fen: int
    owed_fen: int
    sales: list[SaleRow] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)
    monthly: list[tuple[str, int]] = field(default_factory=list)
    village: Village | None = None
    # The village has no fee policy yet: its completed sales are pending, not credited, until it has one.
    awaiting_policy: bool = False


async def reachable_household(session: AsyncSession, actor: Principal, household_id: int) -> Household:
    """A villager reaches only their own household, staff their village's; anything else is 404."""
    return _reachable(actor, await session.get(Household, household_id))


async def _household_for_page(
    session: AsyncSession, actor: Principal, household_id: int
) -> tuple[Household, HouseholdBalance | None, Village]:
    """``reachable_household`` with its balance row and its village, in one statement (members by selectin)."""
    found = (
        await session.execute(
            select(Household, HouseholdBalance, Village)
            .join(Village, Village.id == Household.village_id)
            .outerjoin(HouseholdBalance, HouseholdBalance.household_id == Household.id)
            .where(Household.id == household_id)
        )
    ).first()
    household = _reachable(actor, found[0] if found else None)
    assert found is not None  # _reachable refused a missing household
    return household, found[1], found[2]


def _reachable(actor: Principal, household: Household | None) -> Household:
    if household is None:
        raise NotFound()
    if actor.kind == "household":
        if actor.id != household.id:
            raise NotFound()
    elif not actor.is_staff or not actor.can_reach_village(household.village_id):
        raise NotFound()
    return household


async def pending_fen(
    session: AsyncSession,
    household_id: int,
    now: datetime,
    village_id: int | None = None,
    *,
    awaiting_policy: bool = False,
) -> int:
    """What the household would get from sales not credited yet, under today's policy (预计收入): orders not
    completed, and, while the village has no fee policy (``awaiting_policy``), completed sales too, which
    wait for it (counted before fees: none are known yet).

    Starts from the village's open orders (few, and indexed by status), keeps the lines that took units
    from the household's lots, and weighs them all in two queries."""
    if village_id is None:
        village_id = (await session.execute(select(Household.village_id).where(Household.id == household_id))).scalar()
    if village_id is None:
        return 0
    theirs = (
        select(Allocation.id)
        .join(Contribution, Contribution.lot_id == Allocation.lot_id)
        .where(Allocation.line_id == OrderLine.id, Contribution.household_id == household_id)
    )
    conditions = [Order.village_id == village_id, Order.status.in_(OPEN), theirs.exists()]
    if awaiting_policy:
        credited = select(LedgerTransaction.id).where(
            LedgerTransaction.order_line_id == OrderLine.id,
            LedgerTransaction.kind == TransactionKind.SALE_CREDIT.value,
        )
        conditions[1] = Order.status.in_((*OPEN, OrderStatus.COMPLETED.value))
        conditions.append(~credited.exists())
    lines = (
        await session.execute(
            select(OrderLine.id, OrderLine.quantity, OrderLine.unit_price_fen, Order.source)
            .join(Order, Order.id == OrderLine.order_id)
            .where(*conditions)
        )
    ).all()
    if not lines:
        return 0
    terms = await policy_at(session, village_id, now)
    weights = await supplier_weights(session, [line_id for line_id, _, _, _ in lines])
    total = 0
    for line_id, quantity, unit_price_fen, source in lines:
        line_weights = weights.get(line_id, {})
        if household_id not in line_weights:
            continue
        split = split_under(terms, source, quantity * unit_price_fen, quantity, line_weights)
        total += next(s.amount_fen for s in split.shares if s.household_id == household_id)
    return total


async def monthly_credits(
    session: AsyncSession, household_id: int, now: datetime, months: int = 12
) -> list[tuple[str, int]]:
    local = to_local(now)
    first = date(local.year, local.month, 1)
    labels = []
    year, month = first.year, first.month
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    labels.reverse()
    rows = await session.execute(
        select(HouseholdMonth.month, HouseholdMonth.credited_fen).where(
            HouseholdMonth.household_id == household_id, HouseholdMonth.month >= labels[0]
        )
    )
    totals = dict(rows.tuples().all())
    return [(label, int(totals.get(label, 0) or 0)) for label in labels]


async def sale_rows(
    session: AsyncSession,
    household_id: int,
    *,
    limit: int = 30,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[SaleRow]:
    """Each sale (and refund) of the household's goods, newest first: date, product, its units, its amount,
    the stream. Walks the household's entries newest first through their index and stops at ``limit``
    (a household with years of sales costs the same as a new one)."""
    stmt = (
        select(
            LedgerEntry.transaction_id,
            LedgerEntry.id,
            LedgerEntry.posted_at,
            LedgerTransaction.kind,
            Product.name,
            LedgerEntry.units,
            LedgerEntry.amount_fen,
            Stream.title,
            LedgerTransaction.order_id,
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(OrderLine, OrderLine.id == LedgerTransaction.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Stream, Stream.id == Order.stream_id)
        .where(LedgerEntry.household_id == household_id, LedgerEntry.account_kind.in_(HOUSEHOLD_KINDS))
        .order_by(LedgerEntry.posted_at.desc(), LedgerEntry.id.desc())
    )
    if since is not None:
        stmt = stmt.where(LedgerEntry.posted_at >= since)
    if until is not None:
        stmt = stmt.where(LedgerEntry.posted_at < until)
    # A sale that settles a debt has two entries (balance and recovery): fetch enough rows, show one per sale.
    rows = await session.execute(stmt.limit(limit * 2))
    out: dict[int, SaleRow] = {}
    for transaction_id, entry_id, posted_at, kind, product, units, amount, stream, order_id in rows.all():
        if transaction_id in out:
            out[transaction_id].units += units
            out[transaction_id].amount_fen += int(amount)
        elif len(out) < limit:
            out[transaction_id] = SaleRow(
                posted_at, kind, product, units, int(amount), stream, order_id, transaction_id, entry_id
            )
    return list(out.values())


async def earnings(
    session: AsyncSession, actor: Principal, household_id: int, *, now: datetime | None = None, limit: int = 30
) -> Earnings:
    moment = now or utcnow()
    household, balance, village = await _household_for_page(session, actor, household_id)
    payouts = list(
        (
            await session.execute(
                select(Payout).where(Payout.household_id == household_id).order_by(Payout.paid_at.desc()).limit(limit)
            )
        ).scalars()
    )
    awaiting_policy = not await has_policy(session, household.village_id)
    return Earnings(
        household=household,
        pending_fen=await pending_fen(
            session, household_id, moment, household.village_id, awaiting_policy=awaiting_policy
        ),
        credited_fen=balance.credited_fen if balance else 0,
        paid_out_fen=balance.paid_out_fen if balance else 0,
        balance_fen=balance.balance_fen if balance else 0,
        owed_fen=balance.owed_fen if balance else 0,
        sales=await sale_rows(session, household_id, limit=limit),
        payouts=payouts,
        monthly=await monthly_credits(session, household_id, moment),
        village=village,
        awaiting_policy=awaiting_policy,
    )


@dataclass
class Statement:
    household: Household
    month: str
    opening_fen: int
    closing_fen: int
    credited_fen: int
    paid_out_fen: int
    sales: list[SaleRow]
    payouts: list[Payout]
    village: Village | None = None


async def statement(session: AsyncSession, actor: Principal, household_id: int, month: str) -> Statement:
    """One month of a household's account, with its opening and closing balance, to print."""
    try:
        first = date(int(month[:4]), int(month[5:7]), 1)
    except (ValueError, IndexError) as exc:
        raise InvalidInput("month", N_("The month must look like 2026-11.")) from exc
    household, _balance, village = await _household_for_page(session, actor, household_id)
    since, _ = local_day_bounds(first)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    until, _ = local_day_bounds(following)
    sales = await sale_rows(session, household_id, limit=1000, since=since, until=until)
    payouts = list(
        (
            await session.execute(
                select(Payout)
                .where(Payout.household_id == household_id, Payout.paid_at >= since, Payout.paid_at < until)
                .order_by(Payout.paid_at)
            )
        ).scalars()
    )
    # The balance when the month opened and when it closed, in one pass over the entries before its end.
    opening, closing = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((LedgerEntry.posted_at < since, LedgerEntry.amount_fen), else_=0)), 0),
                func.coalesce(func.sum(LedgerEntry.amount_fen), 0),
            ).where(
                LedgerEntry.household_id == household_id,
                LedgerEntry.account_kind == AccountKind.HOUSEHOLD.value,
                LedgerEntry.posted_at < until,
            )
        )
    ).one()
    opening, closing = int(opening), int(closing)
    paid = sum(p.amount_fen for p in payouts)
    return Statement(
        household,
        first.strftime("%Y-%m"),
        opening,
        closing,
        closing - opening + paid,
        paid,
        list(reversed(sales)),
        payouts,
        village,
    )


@dataclass
class MonthRow:
    month: str
    collective_fen: int = 0
    credited_fen: int = 0
    paid_fen: int = 0
    households: int = 0
    named: list[tuple[str, int]] = field(default_factory=list)


async def transparency(session: AsyncSession, village_id: int, months: int = 12) -> tuple[Village, list[MonthRow]]:
    """阳光三务: per month, the collective's income, what households were credited and paid, and how
    many households benefited. Households are named only when the village chose to."""
    village = await session.get(Village, village_id)
    if village is None:
        raise NotFound()
    # A bounded window: the board's months only, whatever the years behind them, read from the month rows
    # kept with the entries (checked against them nightly): the village's for the collective's income and
    # the payouts, the households' for who was credited what.
    since_label = window_start(months)
    rows = await session.execute(
        select(VillageMonth.month, VillageMonth.collective_fen, VillageMonth.paid_out_fen).where(
            VillageMonth.village_id == village_id, VillageMonth.month >= since_label
        )
    )
    table: dict[str, MonthRow] = {}
    for label, collective, paid in rows.all():
        table[label] = MonthRow(label, collective_fen=int(collective), paid_fen=int(paid))
    benefited = await session.execute(
        select(HouseholdMonth.month, HouseholdMonth.household_id, HouseholdMonth.credited_fen).where(
            HouseholdMonth.village_id == village_id, HouseholdMonth.month >= since_label
        )
    )
    per_household: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for label, household_id, amount in benefited.all():
        row = table.setdefault(label, MonthRow(label))
        row.credited_fen += int(amount)
        if amount > 0:
            row.households += 1
            per_household[label].append((household_id, int(amount)))
    if village.show_household_names and per_household:
        ids = {h for values in per_household.values() for h, _ in values}
        names = dict(
            (await session.execute(select(Household.id, Household.head_name).where(Household.id.in_(ids))))
            .tuples()
            .all()
        )
        for label, values in per_household.items():
            table[label].named = sorted(((names[h], amount) for h, amount in values), key=lambda x: -x[1])
    ordered = sorted(table.values(), key=lambda r: r.month, reverse=True)[:months]
    return village, ordered


async def set_show_names(session: AsyncSession, actor: Principal, village_id: int, show: bool) -> Village:
    actor.require_staff()
    actor.ensure_village(village_id)
    village = await session.get(Village, village_id)
    if village is None:
        raise NotFound()
    village.show_household_names = show
    await session.flush()
    return village


@dataclass(frozen=True)
class LedgerLine:
    """One transaction of the ledger page, named in words: a msgid and its parameters (``Label``s are msgids)."""

    transaction: LedgerTransaction
    message: str
    params: dict[str, Any]


def describe_transaction(t: LedgerTransaction, products: dict[int, str], households: dict[int, str]) -> LedgerLine:
    """ "Order 12 · millet credited", "refund taken back", "paid to …": what a transaction did, never its key."""
    if t.kind == TransactionKind.PAYOUT.value:
        paid = next((e for e in t.entries if e.account_kind == AccountKind.PAYOUTS.value), None)
        household = next((e.household_id for e in t.entries if e.household_id), None)
        params: dict[str, Any] = {
            "household": households.get(household, f"#{household}") if household else "—",
            "method": Label(METHOD_LABELS.get(paid.account_ref, paid.account_ref) if paid else "—"),
        }
        if t.reverses_id:
            return LedgerLine(t, N_("Payment to %(household)s by %(method)s reversed: it never arrived"), params)
        return LedgerLine(t, N_("Paid %(household)s by %(method)s"), params)
    params = {"order": t.order_id, "product": products.get(t.order_line_id or 0, "—")}
    if t.dedupe_key.startswith("case:"):  # a sale split again for a villager's case (shop.cases.corrections)
        return LedgerLine(
            t, N_("Sale %(order)s split again for case #%(case)s"), {**params, "case": t.dedupe_key.split(":")[1]}
        )
    if t.kind == TransactionKind.SALE_CREDIT.value:
        return LedgerLine(t, N_("Order %(order)s · %(product)s credited"), params)
    return LedgerLine(t, N_("Order %(order)s · %(product)s refund taken back"), params)


async def ledger_transactions(
    session: AsyncSession, actor: Principal, village_id: int, paging: Paging
) -> list[LedgerLine]:
    """The village's ledger, newest transaction first, a page at a time (each with its entries), in words."""
    actor.require_staff()
    actor.ensure_village(village_id)
    rows = await session.execute(
        select(LedgerTransaction)
        .where(LedgerTransaction.village_id == village_id)
        .order_by(LedgerTransaction.posted_at.desc(), LedgerTransaction.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    )
    transactions = list(rows.scalars())
    line_ids = [t.order_line_id for t in transactions if t.order_line_id]
    products = dict(
        (
            await session.execute(
                select(OrderLine.id, Product.name)
                .join(Product, Product.id == OrderLine.product_id)
                .where(OrderLine.id.in_(line_ids or [0]))
            )
        )
        .tuples()
        .all()
    )
    in_village = select(Household.id, Household.head_name).where(Household.village_id == village_id)
    households = dict((await session.execute(in_village)).tuples().all())
    return [describe_transaction(t, products, households) for t in transactions]


async def ledger_entries(
    session: AsyncSession, actor: Principal, village_id: int
) -> list[tuple[LedgerEntry, LedgerTransaction]]:
    """Every entry of the village's ledger with its transaction, oldest first (for the export)."""
    actor.require_staff()
    actor.ensure_village(village_id)
    rows = await session.execute(
        select(LedgerEntry, LedgerTransaction)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.village_id == village_id)
        .order_by(LedgerEntry.id)
    )
    return [(entry, transaction) for entry, transaction in rows.all()]


@dataclass
class AuditRow:
    """One action, described by a msgid and its parameters (``Label`` values are msgids too)."""

    at: datetime
    actor: str
    message: str
    params: dict[str, Any]
    amount_fen: int | None = None
    link: str = ""


async def audit_trail(session: AsyncSession, actor: Principal, village_id: int, limit: int = 200) -> list[AuditRow]:
    """Every action that moved money or an order's status, newest first: who, what, when."""
    actor.require_staff()
    actor.ensure_village(village_id)
    who = await _Actors.of(session, village_id)
    rows = [
        *await _money_rows(session, village_id, who, limit),
        *await _order_rows(session, village_id, who, limit),
        *await _policy_rows(session, village_id, who, limit),
    ]
    rows.sort(key=lambda r: r.at, reverse=True)
    return rows[:limit]


@dataclass(frozen=True)
class _Actors:
    """Who did something, as the audit trail names them: the village's staff and the county admins by name,
    an import and the system by what they are."""

    people: dict[int, str]

    @classmethod
    async def of(cls, session: AsyncSession, village_id: int) -> _Actors:
        rows = await session.execute(
            select(User.id, User.display_name, User.username).where(
                (User.village_id == village_id) | (User.role == Role.ADMIN.value)
            )
        )
        return cls({user_id: display or username for user_id, display, username in rows.all()})

    def __call__(self, kind: str, user_id: int | None) -> str:
        if user_id:
            return self.people.get(user_id, f"#{user_id}")
        return N_("platform export") if kind == "import" else N_("automatic")


async def _money_rows(session: AsyncSession, village_id: int, who: _Actors, limit: int) -> list[AuditRow]:
    """The ledger's transactions: payouts to a household, sales credited and refunds taken back."""
    in_village = select(Household.id, Household.head_name).where(Household.village_id == village_id)
    households = dict((await session.execute(in_village)).tuples().all())
    # Plain rows, not ORM objects: the page names 200 transactions and their thousand entries, and building
    # the objects was most of its time.
    transactions = (
        await session.execute(
            select(
                LedgerTransaction.id,
                LedgerTransaction.kind,
                LedgerTransaction.actor_kind,
                LedgerTransaction.actor_id,
                LedgerTransaction.posted_at,
                LedgerTransaction.reverses_id,
                LedgerTransaction.order_id,
                LedgerTransaction.quantity,
                LedgerTransaction.dedupe_key,
            )
            .where(LedgerTransaction.village_id == village_id)
            .order_by(LedgerTransaction.posted_at.desc(), LedgerTransaction.id.desc())
            .limit(limit)
        )
    ).all()
    entries_of: dict[int, list[Any]] = defaultdict(list)
    entries = await session.execute(
        select(
            LedgerEntry.transaction_id,
            LedgerEntry.account_kind,
            LedgerEntry.account_ref,
            LedgerEntry.household_id,
            LedgerEntry.amount_fen,
        )
        .where(LedgerEntry.transaction_id.in_([t.id for t in transactions] or [0]))
        .order_by(LedgerEntry.id)
    )
    for entry in entries.all():
        entries_of[entry.transaction_id].append(entry)
    rows: list[AuditRow] = []
    for t in transactions:
        by = who(t.actor_kind, t.actor_id)
        if t.kind == TransactionKind.PAYOUT.value:
            paid = next((e for e in entries_of[t.id] if e.account_kind == AccountKind.PAYOUTS.value), None)
            household = next((e.household_id for e in entries_of[t.id] if e.household_id), None)
            rows.append(
                AuditRow(
                    t.posted_at,
                    by,
                    # A payment that never arrived is reversed for a villager's case (shop.cases.corrections).
                    N_("Payment to %(household)s by %(method)s reversed: it never arrived")
                    if t.reverses_id
                    else N_("Paid %(household)s by %(method)s"),
                    {
                        "household": households.get(household, "—") if household else "—",
                        "method": Label(METHOD_LABELS.get(paid.account_ref, paid.account_ref) if paid else "—"),
                    },
                    paid.amount_fen if paid else None,
                    f"/households/{household}" if household else "",
                )
            )
            continue
        gross = -sum(e.amount_fen for e in entries_of[t.id] if e.account_kind == AccountKind.SALES_CLEARING.value)
        message = (
            N_("Sale credited to households: order %(order)s, %(units)s units")
            if t.kind == TransactionKind.SALE_CREDIT.value
            else N_("Refund taken back from households: order %(order)s, %(units)s units")
        )
        params: dict[str, Any] = {"order": t.order_id, "units": t.quantity}
        link = f"/orders/{t.order_id}"
        if t.dedupe_key.startswith("case:"):  # a sale split again for a villager's case (shop.cases.corrections)
            case_id = t.dedupe_key.split(":")[1]
            message, params, link = (
                N_("Sale %(order)s split again for case #%(case)s"),
                {**params, "case": case_id},
                f"/cases/{case_id}",
            )
        rows.append(AuditRow(t.posted_at, by, message, params, gross, link))
    return rows


async def _order_rows(session: AsyncSession, village_id: int, who: _Actors, limit: int) -> list[AuditRow]:
    """The orders' status changes: taken, moved, partly refunded."""
    changes = await session.execute(
        select(StatusChange)
        .where(StatusChange.village_id == village_id)
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
        .limit(limit)
    )
    rows: list[AuditRow] = []
    for change in changes.scalars():
        params: dict[str, Any]
        if change.from_status == change.to_status:
            message, params = N_("Order %(order)s: partial refund (%(what)s)"), {"what": change.note}
        elif change.from_status is None:
            message, params = N_("Order %(order)s taken"), {}
        else:
            message = N_("Order %(order)s: %(before)s → %(after)s")
            params = {
                "before": Label(STATUS_LABELS.get(change.from_status, change.from_status)),
                "after": Label(STATUS_LABELS.get(change.to_status, change.to_status)),
            }
        rows.append(
            AuditRow(
                change.at,
                who(change.actor_kind, change.actor_id),
                message,
                {"order": change.order_id, **params},
                None,
                f"/orders/{change.order_id}",
            )
        )
    return rows


async def _policy_rows(session: AsyncSession, village_id: int, who: _Actors, limit: int) -> list[AuditRow]:
    """Each fee policy the village set."""
    policies = await session.execute(
        select(FeePolicy)
        .where(FeePolicy.village_id == village_id)
        .order_by(FeePolicy.effective_from.desc())
        .limit(limit)
    )
    return [
        AuditRow(
            policy.effective_from,
            who("user", policy.set_by),
            N_("Fee policy set: operator %(operator)s bp, collective %(collective)s bp"),
            {"operator": policy.operator_bp, "collective": policy.collective_bp},
            None,
            "/village/fees",
        )
        for policy in policies.scalars()
    ]
