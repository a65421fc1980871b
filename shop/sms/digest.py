"""The households' daily sales digest: one SMS per household per day at most, never one per sale.

The day of a digest ends at 20:00 Beijing time (before quiet hours) and starts 24 hours earlier; the
job queues, for each household credited in that window, its products, units, the credited amount and
its balance now. The (household, day) key makes a second run for the same day a no-op.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from sqlalchemy import select

from shop.catalogue.models import Product
from shop.db import unit_of_work
from shop.ledger.models import AccountKind, HouseholdBalance, LedgerEntry, LedgerTransaction, TransactionKind
from shop.money import format_fen
from shop.orders.models import OrderLine
from shop.sms.models import SmsKind
from shop.sms.services import queue_sms
from shop.timeutil import SHANGHAI, to_local

DAY_ENDS = time(20, 0)
MAX_PRODUCTS = 3


def digest_window(now: datetime) -> tuple[datetime, datetime]:
    """The latest 20:00 Beijing time at or before ``now``, and 24 hours before it (both UTC)."""
    local = to_local(now)
    end = datetime.combine(local.date(), DAY_ENDS, tzinfo=SHANGHAI)
    if local < end:
        end -= timedelta(days=1)
    return (end - timedelta(days=1)).astimezone(UTC), end.astimezone(UTC)


async def queue_daily_digests(alchemy: SQLAlchemyAsyncConfig, now: datetime) -> int:
    start, end = digest_window(now)
    day = to_local(end).strftime("%m-%d")
    queued = 0
    async with unit_of_work(alchemy) as session:
        rows = await session.execute(
            select(LedgerEntry.household_id, LedgerEntry.amount_fen, LedgerEntry.units, Product.name)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .join(OrderLine, OrderLine.id == LedgerTransaction.order_line_id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(
                LedgerTransaction.kind == TransactionKind.SALE_CREDIT.value,
                LedgerEntry.account_kind == AccountKind.HOUSEHOLD.value,
                LedgerEntry.posted_at >= start,
                LedgerEntry.posted_at < end,
            )
            .order_by(LedgerEntry.household_id, LedgerEntry.id)
        )
        amount: dict[int, int] = defaultdict(int)
        units: dict[int, int] = defaultdict(int)
        products: dict[int, list[str]] = defaultdict(list)
        for household_id, amount_fen, entry_units, product_name in rows:
            amount[household_id] += int(amount_fen)
            units[household_id] += int(entry_units)
            if product_name not in products[household_id]:
                products[household_id].append(product_name)
        for household_id in sorted(amount):
            balance = await session.get(HouseholdBalance, household_id)
            names = products[household_id]
            listed = "、".join(names[:MAX_PRODUCTS])[:30] + ("等" if len(names) > MAX_PRODUCTS else "")
            if await queue_sms(
                session,
                SmsKind.DAILY_SALES,
                subject_type="day",
                subject_id=int(to_local(end).strftime("%Y%m%d")),
                recipient_kind="household",
                recipient_id=household_id,
                params={
                    "date": day,
                    "products": listed,
                    "units": units[household_id],
                    "amount": format_fen(amount[household_id]),
                    "balance": format_fen(balance.balance_fen if balance else 0),
                },
            ):
                queued += 1
    return queued
