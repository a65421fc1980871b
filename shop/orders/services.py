"""The order lifecycle and order lookups.

placed → paid → shipped (courier, tracking number) → completed (buyer confirmed, or the village's
auto-confirm days after shipping); placed or paid → cancelled, which gives every unit back to the exact
lot it came from; completed → refunded. A completed order can also be refunded in part (some units of
some lines): it stays completed, and once every unit is refunded it becomes refunded. Every move is a
conditional update (two taps cannot both move an order) and is recorded with who made it, then announced
(``shop.orders.events``) to the process's listeners: the ledger credits and reverses in the same unit of
work, whoever made the move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.catalogue.models import Lot, Product
from shop.db import rows_matched
from shop.errors import N_, Conflict, InvalidInput, Label, NotFound
from shop.events import DomainEvents
from shop.orders.events import OrderCancelled, OrderCompleted, OrderRefunded, UnitsRefunded
from shop.orders.models import STATUS_LABELS, Allocation, Order, OrderLine, OrderStatus, StatusChange
from shop.paging import Paging
from shop.timeutil import utcnow

ALLOWED_MOVES: dict[str, set[str]] = {
    OrderStatus.PLACED.value: {OrderStatus.PAID.value, OrderStatus.SHIPPED.value, OrderStatus.CANCELLED.value},
    OrderStatus.PAID.value: {OrderStatus.SHIPPED.value, OrderStatus.CANCELLED.value},
    OrderStatus.SHIPPED.value: {OrderStatus.COMPLETED.value},
    OrderStatus.COMPLETED.value: {OrderStatus.REFUNDED.value},
    OrderStatus.CANCELLED.value: set(),
    OrderStatus.REFUNDED.value: set(),
}
TIMESTAMP = {
    OrderStatus.PAID.value: "paid_at",
    OrderStatus.SHIPPED.value: "shipped_at",
    OrderStatus.COMPLETED.value: "completed_at",
    OrderStatus.CANCELLED.value: "cancelled_at",
    OrderStatus.REFUNDED.value: "refunded_at",
}
DEFAULT_AUTO_COMPLETE_DAYS = 10


def _status_label(status: str) -> Label:
    """A status as people read it, in the page's language."""
    return Label(STATUS_LABELS.get(status, status))


def why_not(current: str, wanted: str) -> str:
    if current == OrderStatus.CANCELLED.value:
        return N_("The order was cancelled; it cannot become %(wanted)s.")
    if current == OrderStatus.REFUNDED.value:
        return N_("The order was refunded; it cannot become %(wanted)s.")
    if wanted == OrderStatus.CANCELLED.value:
        return N_("The order was already shipped; refund it after completion instead of cancelling.")
    if wanted == OrderStatus.REFUNDED.value:
        return N_("Only a completed order can be refunded; cancel it if it was not shipped.")
    return N_("An order that is %(current)s cannot become %(wanted)s.")


async def get_order(session: AsyncSession, actor: Principal, order_id: int) -> Order:
    order = await session.get(Order, order_id)
    if order is None or not actor.is_staff or not actor.can_reach_village(order.village_id):
        raise NotFound()
    return order


async def list_orders(
    session: AsyncSession,
    actor: Principal,
    paging: Paging,
    *,
    source: str | None = None,
    status: str | None = None,
    stream_id: int | None = None,
    external_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    search: str | None = None,
) -> tuple[list[Order], int]:
    actor.require_staff()
    conditions: list[Any] = []
    scope = actor.village_filter()
    if scope is not None:
        conditions.append(Order.village_id == scope)
    if source:
        conditions.append(Order.source == source)
    if status:
        conditions.append(Order.status == status)
    if stream_id is not None:
        conditions.append(Order.stream_id == stream_id)
    if external_id:
        conditions.append(Order.external_id == external_id)
    if since is not None:
        conditions.append(Order.placed_at >= since)
    if until is not None:
        conditions.append(Order.placed_at < until)
    if search:
        conditions.append(Order.buyer_name.ilike(f"%{search.strip()}%"))
    total = (await session.execute(select(func.count()).select_from(Order).where(*conditions))).scalar_one()
    rows = await session.execute(
        select(Order)
        .where(*conditions)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    )
    return list(rows.scalars()), int(total)


async def change_status(
    session: AsyncSession,
    actor: Principal | None,
    order_id: int,
    wanted: str,
    *,
    tracking_no: str | None = None,
    courier: str | None = None,
    now: datetime | None = None,
    note: str = "",
    events: DomainEvents,
) -> Order:
    """Move an order; ``actor`` None is the system (the scheduler's auto-confirmation, an import)."""
    moment = now or utcnow()
    if actor is not None:
        order = await get_order(session, actor, order_id)
    else:
        found = await session.get(Order, order_id)
        if found is None:
            raise NotFound()
        order = found
    current = order.status
    if wanted not in ALLOWED_MOVES:
        raise InvalidInput("status", N_("Unknown order status %(status)s."), status=wanted)
    if wanted == current:
        return order
    if wanted not in ALLOWED_MOVES[current]:
        raise Conflict(
            why_not(current, wanted),
            field="status",
            current=_status_label(current),
            wanted=_status_label(wanted),
            details={"current": current, "wanted": wanted},
        )
    values: dict[str, Any] = {"status": wanted, TIMESTAMP[wanted]: moment, "updated_at": moment}
    if wanted == OrderStatus.SHIPPED.value:
        values["tracking_no"] = (tracking_no or "").strip()[:40]
        values["courier"] = (courier or "").strip()[:30]
    moved = await session.execute(update(Order).where(Order.id == order.id, Order.status == current).values(**values))
    if not rows_matched(moved):
        raise Conflict(N_("The order changed meanwhile; reload and try again."))
    if wanted == OrderStatus.CANCELLED.value:
        await _return_units(session, order.id)
    if wanted == OrderStatus.REFUNDED.value:
        await session.execute(
            update(OrderLine).where(OrderLine.order_id == order.id).values(refunded_quantity=OrderLine.quantity)
        )
    session.add(
        StatusChange(
            order_id=order.id,
            village_id=order.village_id,
            from_status=current,
            to_status=wanted,
            actor_kind="user" if actor is not None else "system",
            actor_id=actor.user_id if actor is not None else None,
            at=moment,
            note=note[:200],
        )
    )
    await session.flush()
    await session.refresh(order)
    announced = _ANNOUNCED.get(wanted)
    if announced is not None:
        await events.announce(session, announced(order, actor, moment))
    return order


# The moves other domains hear of (paid and shipped concern nobody else yet).
_ANNOUNCED: dict[str, type[OrderCompleted | OrderCancelled | OrderRefunded]] = {
    OrderStatus.COMPLETED.value: OrderCompleted,
    OrderStatus.CANCELLED.value: OrderCancelled,
    OrderStatus.REFUNDED.value: OrderRefunded,
}


async def refund_units(
    session: AsyncSession,
    actor: Principal,
    order_id: int,
    units: dict[int, int],
    *,
    now: datetime | None = None,
    note: str = "",
    events: DomainEvents,
) -> Order:
    """Refund ``units`` (product id → units) of a completed order. Each product's units come off its lines
    in order; more than is left to refund is refused whole (409) and nothing moves. Refunding the last
    unit makes the order refunded."""
    moment = now or utcnow()
    order = await get_order(session, actor, order_id)
    if order.status != OrderStatus.COMPLETED.value:
        raise Conflict(
            N_("Only a completed order can be refunded; cancel it if it was not shipped."),
            field="status",
            details={"current": order.status},
        )
    wanted = {product_id: n for product_id, n in units.items() if n}
    if not wanted:
        raise InvalidInput("items", N_("Say how many units to refund."))
    await session.refresh(order, ["lines"])
    names = dict(
        (await session.execute(select(Product.id, Product.name).where(Product.id.in_(list(wanted))))).tuples().all()
    )
    plan = _refund_plan(order, wanted, names)
    await _take_back(session, plan)
    if all(li.refunded_quantity >= li.quantity for li in order.lines):
        return await change_status(
            session, actor, order.id, OrderStatus.REFUNDED.value, now=moment, note=note, events=events
        )
    refunded = {line.id for line, _ in plan}
    session.add(
        StatusChange(
            order_id=order.id,
            village_id=order.village_id,
            from_status=order.status,
            to_status=order.status,
            actor_kind="user",
            actor_id=actor.user_id,
            at=moment,
            # what was refunded, in any language: "1 × 朝阳小米 5kg装 · 一袋破损"
            note=" · ".join(
                [", ".join(f"{take} × {names.get(line.product_id, line.product_id)}" for line, take in plan), note]
            ).strip(" ·")[:200],
        )
    )
    for line in order.lines:
        if line.id in refunded:
            await events.announce(session, UnitsRefunded(order, line, actor, moment))
    await session.flush()
    return order


def _refund_plan(order: Order, wanted: dict[int, int], names: dict[int, str]) -> list[tuple[OrderLine, int]]:
    """How many units come off each line: a product's units off its lines in order. More than is left to
    refund, or a product the order does not hold, refuses the whole refund."""
    plan: list[tuple[OrderLine, int]] = []
    for product_id, count in sorted(wanted.items()):
        if count < 0:
            raise InvalidInput("quantity", N_("A quantity cannot be negative."))
        lines = [li for li in order.lines if li.product_id == product_id]
        if not lines:
            raise InvalidInput(
                "product_id",
                N_("%(product)s is not in this order."),
                product=names.get(product_id, f"#{product_id}"),
                details={"product_id": product_id},
            )
        left = sum(li.quantity - li.refunded_quantity for li in lines)
        if count > left:
            raise Conflict(
                N_("Only %(left)s of %(product)s can still be refunded."),
                field="quantity",
                left=left,
                product=names[product_id],
                details={"product_id": product_id, "refundable": left},
            )
        for line in lines:
            take = min(count, line.quantity - line.refunded_quantity)
            if take:
                plan.append((line, take))
                count -= take
    return plan


async def _take_back(session: AsyncSession, plan: list[tuple[OrderLine, int]]) -> None:
    """Each line's refunded units grow by a conditional update: two refunds at once cannot pass the line's units."""
    for line, take in plan:
        moved = await session.execute(
            update(OrderLine)
            .where(OrderLine.id == line.id, OrderLine.refunded_quantity + take <= OrderLine.quantity)
            .values(refunded_quantity=OrderLine.refunded_quantity + take)
        )
        if not rows_matched(moved):
            raise Conflict(N_("The order changed meanwhile; reload and try again."))
        await session.refresh(line, ["refunded_quantity"])


async def _return_units(session: AsyncSession, order_id: int) -> None:
    """A cancelled order gives each unit back to the lot it came from."""
    rows = await session.execute(
        select(Allocation.lot_id, func.sum(Allocation.quantity))
        .join(OrderLine, OrderLine.id == Allocation.line_id)
        .where(OrderLine.order_id == order_id)
        .group_by(Allocation.lot_id)
        .order_by(Allocation.lot_id)
    )
    for lot_id, quantity in rows.all():
        await session.execute(update(Lot).where(Lot.id == lot_id).values(remaining=Lot.remaining + quantity))


async def auto_complete_shipped(
    session: AsyncSession, now: datetime, days_for_village: dict[int, int] | None = None, *, events: DomainEvents
) -> int:
    """Shipped orders whose buyers did not confirm within the village's auto-confirm days are completed."""
    days = days_for_village or {}
    shortest = min([*days.values(), DEFAULT_AUTO_COMPLETE_DAYS])
    candidates = await session.execute(
        select(Order.id, Order.village_id, Order.shipped_at).where(
            Order.status == OrderStatus.SHIPPED.value, Order.shipped_at <= now - timedelta(days=shortest)
        )
    )
    done = 0
    for order_id, village_id, shipped_at in candidates.all():
        limit = timedelta(days=days.get(village_id, DEFAULT_AUTO_COMPLETE_DAYS))
        if shipped_at is not None and shipped_at <= now - limit:
            try:
                await change_status(
                    session, None, order_id, OrderStatus.COMPLETED.value, now=now, note="auto-confirmed", events=events
                )
            except Conflict:
                continue  # the buyer or a secretary moved it meanwhile
            done += 1
    return done


@dataclass(frozen=True)
class OrderDetail:
    """An order with what its page shows beside it: its products' names, its history and who made each move."""

    order: Order
    product_names: dict[int, str]
    history: Sequence[StatusChange]
    people: dict[int, str]


async def order_detail(session: AsyncSession, actor: Principal, order_id: int) -> OrderDetail:
    order = await get_order(session, actor, order_id)
    product_ids = [line.product_id for line in order.lines]
    names = await session.execute(select(Product.id, Product.name).where(Product.id.in_(product_ids)))
    history = await status_history(session, order.id)
    actor_ids = {change.actor_id for change in history if change.actor_id}
    users = await session.execute(select(User).where(User.id.in_(actor_ids)))
    return OrderDetail(order, dict(names.tuples().all()), history, {user.id: user.name for user in users.scalars()})


async def status_history(session: AsyncSession, order_id: int) -> Sequence[StatusChange]:
    rows = await session.execute(
        select(StatusChange).where(StatusChange.order_id == order_id).order_by(StatusChange.at, StatusChange.id)
    )
    return list(rows.scalars())
