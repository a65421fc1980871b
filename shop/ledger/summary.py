"""The village-month summary (``VillageMonth``): how a posting's entries move a village's month row, in the
same transaction; the row taken before any household row, so that a village's postings queue in one order;
and the same figures recomputed from the entries, for the nightly check (and for loading them in bulk).

Which entries move which figure:

    sales clearing   sales_fen        minus the entry (a sale posts −gross to the clearing account)
    platform         platform_fen     the entry
    operator         operator_fen     the entry
    collective       collective_fen   the entry
    household        credited_fen     the entry, except in a payout (the payouts entry says it)
    recovery         owed_fen         minus the entry (a refund past a payout books −owed)
    payouts          paid_out_fen     the entry
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shop.ledger.models import AccountKind, LedgerEntry, LedgerTransaction, TransactionKind, VillageMonth
from shop.timeutil import to_local

FIGURES = (
    "sales_fen",
    "platform_fen",
    "operator_fen",
    "collective_fen",
    "credited_fen",
    "owed_fen",
    "paid_out_fen",
)
# account → (figure, sign)
_MOVES: dict[str, tuple[str, int]] = {
    AccountKind.SALES_CLEARING.value: ("sales_fen", -1),
    AccountKind.PLATFORM.value: ("platform_fen", 1),
    AccountKind.OPERATOR.value: ("operator_fen", 1),
    AccountKind.COLLECTIVE.value: ("collective_fen", 1),
    AccountKind.HOUSEHOLD.value: ("credited_fen", 1),
    AccountKind.RECOVERY.value: ("owed_fen", -1),
    AccountKind.PAYOUTS.value: ("paid_out_fen", 1),
}


def month_label(moment: datetime) -> str:
    """The Beijing calendar month of a moment, as the month rows name it: '2026-11'."""
    return to_local(moment).strftime("%Y-%m")


def month_sql(dialect: str, column: Any) -> Any:
    """The Beijing calendar month of a UTC timestamp column, as 'YYYY-MM', in the dialect's SQL."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, literal_column("'+8 hours'"))


def moves_of(kind: TransactionKind, entries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """What one posting's entries move on its village's month row, figure by figure."""
    moves = dict.fromkeys(FIGURES, 0)
    for entry in entries:
        account = entry["account_kind"]
        if account == AccountKind.HOUSEHOLD.value and kind == TransactionKind.PAYOUT:
            continue  # a payout's household entry mirrors its payouts entry
        figure, sign = _MOVES[account]
        moves[figure] += sign * int(entry["amount_fen"])
    return moves


async def _add(session: AsyncSession, village_id: int, month: str, moves: Mapping[str, int]) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(VillageMonth).values(village_id=village_id, month=month, **moves)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["village_id", "month"],
            set_={f: getattr(VillageMonth, f) + getattr(statement.excluded, f) for f in FIGURES},
        )
    )


async def hold_village_month(session: AsyncSession, village_id: int, moment: datetime) -> None:
    """Take the village's month row (made if need be) before a posting moves any household row.

    Every posting of a village takes this row first, so two postings of one village queue on it instead of
    taking household rows in opposite orders, which PostgreSQL would end as a deadlock."""
    await _add(session, village_id, month_label(moment), dict.fromkeys(FIGURES, 0))


async def add_to_village_month(
    session: AsyncSession, village_id: int, moment: datetime, kind: TransactionKind, entries: list[dict[str, Any]]
) -> None:
    """Move the village's month row by one posting's entries, in the posting's transaction."""
    await _add(session, village_id, month_label(moment), moves_of(kind, entries))


def figures_from_entries(dialect: str, village_id: int | None = None) -> Select[Any]:
    """Every village month recomputed from the entries: (village_id, month, *FIGURES), by SQL alone."""
    amount, account = LedgerEntry.amount_fen, LedgerEntry.account_kind

    def total(condition: ColumnElement[bool], sign: int) -> Any:
        return func.coalesce(func.sum(case((condition, amount if sign > 0 else -amount), else_=0)), 0)

    columns = []
    for figure in FIGURES:
        kind, sign = next((k, s) for k, (f, s) in _MOVES.items() if f == figure)
        condition = account == kind
        if kind == AccountKind.HOUSEHOLD.value:
            condition = and_(condition, LedgerTransaction.kind != TransactionKind.PAYOUT.value)
        columns.append(total(condition, sign).label(figure))
    month = month_sql(dialect, LedgerEntry.posted_at)
    return (
        select(LedgerEntry.village_id, month.label("month"), *columns)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(*([LedgerEntry.village_id == village_id] if village_id is not None else []))
        .group_by(LedgerEntry.village_id, month)
    )


async def check_village_months(session: AsyncSession, village_id: int | None = None) -> list[str]:
    """A problem for each village month whose stored row disagrees with its entries (a missing row counts
    as all zeros, and so does a row with no entries behind it)."""
    dialect = session.get_bind().dialect.name
    want = {
        (row.village_id, row.month): tuple(int(getattr(row, f)) for f in FIGURES)
        for row in (await session.execute(figures_from_entries(dialect, village_id))).all()
    }
    stored = select(VillageMonth)
    if village_id is not None:
        stored = stored.where(VillageMonth.village_id == village_id)
    have = {
        (r.village_id, r.month): tuple(int(getattr(r, f)) for f in FIGURES)
        for r in (await session.execute(stored)).scalars()
    }
    zero = (0,) * len(FIGURES)
    return [
        f"village {v} month {m}: stored {have.get((v, m), zero)}, entries say {want.get((v, m), zero)}"
        for v, m in sorted(set(want) | set(have))
        if have.get((v, m), zero) != want.get((v, m), zero)
    ]
