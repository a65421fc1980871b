"""The secretary's village desk: today's figures at a glance and every task one tap away.

A read model: it reads from several domains (orders, the ledger, streams, imports) and owns none of them,
so it lives here at the edge rather than in one of them, and its queries are its own; it changes nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.response import Redirect, Template
from sqlalchemy import func, select

from shop.cases.models import Case, CaseStatus
from shop.ledger.models import HouseholdBalance
from shop.ledger.policy import has_policy, sales_awaiting_policy
from shop.orders.imports.services import count_held_orders
from shop.orders.models import Order, OrderStatus
from shop.streams.models import Stream, StreamStatus
from shop.timeutil import local_day_bounds, local_today, utcnow
from shop.villages.services import HouseholdService, VillageService
from shop.web.auth import requires_staff
from shop.web.deps import Actor, DbSession


async def desk_figures(db_session: DbSession, village_id: int) -> dict[str, Any]:
    start, end = local_day_bounds(local_today())
    today = (
        await db_session.execute(
            select(func.count(), func.coalesce(func.sum(Order.total_fen), 0)).where(
                Order.village_id == village_id,
                Order.placed_at >= start,
                Order.placed_at < end,
                Order.status != OrderStatus.CANCELLED.value,
            )
        )
    ).one()
    by_status = dict(
        (
            await db_session.execute(
                select(Order.status, func.count())
                .where(
                    Order.village_id == village_id,
                    Order.status.in_([OrderStatus.PLACED.value, OrderStatus.PAID.value, OrderStatus.SHIPPED.value]),
                )
                .group_by(Order.status)
            )
        )
        .tuples()
        .all()
    )
    owed = (
        await db_session.execute(
            select(func.coalesce(func.sum(HouseholdBalance.balance_fen), 0)).where(
                HouseholdBalance.village_id == village_id
            )
        )
    ).scalar_one()
    next_stream = (
        await db_session.execute(
            select(Stream)
            .where(
                Stream.village_id == village_id,
                Stream.status.in_([StreamStatus.PLANNED.value, StreamStatus.LIVE.value]),
                Stream.ends_at > utcnow(),
            )
            .order_by(Stream.status != StreamStatus.LIVE.value, Stream.starts_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    open_cases = (
        await db_session.execute(
            select(func.count())
            .select_from(Case)
            .where(Case.village_id == village_id, Case.status == CaseStatus.OPEN.value)
        )
    ).scalar_one()
    fee_policy_missing = not await has_policy(db_session, village_id)
    return {
        "open_cases": open_cases,
        "fee_policy_missing": fee_policy_missing,
        "sales_awaiting_policy": await sales_awaiting_policy(db_session, village_id) if fee_policy_missing else 0,
        "orders_today": today[0],
        "takings_today": today[1],
        "to_ship": by_status.get(OrderStatus.PLACED.value, 0) + by_status.get(OrderStatus.PAID.value, 0),
        "on_the_way": by_status.get(OrderStatus.SHIPPED.value, 0),
        "owed_to_households": owed,
        "next_stream": next_stream,
    }


@get("/village", guards=[requires_staff], name="village_desk")
async def village_desk(actor: Actor, db_session: DbSession) -> Template | Redirect:
    if actor.is_admin:
        return Redirect("/admin/villages", status_code=303)
    assert actor.village_id is not None
    village = await VillageService(session=db_session).get_for(actor, actor.village_id)
    return Template(
        "villages/desk.html",
        context={
            "village": village,
            "household_count": await HouseholdService(session=db_session).count_in_village(village.id),
            "held": await count_held_orders(db_session, actor),
            **await desk_figures(db_session, village.id),
            "user": actor,
        },
    )


ROUTES = [village_desk]
