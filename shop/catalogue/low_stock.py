"""The low-stock rule: when a product's lots run down to its threshold, the village's secretaries hear of it
in their inbox, once, and again only after new stock came in and ran down again."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import Role, User
from shop.catalogue.models import Lot, Product
from shop.errors import N_
from shop.notifications.models import Notification, RecipientKind
from shop.notifications.services import notify_now

KIND = "catalogue.low_stock"


async def low_stock_alerts(session: AsyncSession) -> int:
    """Alert each village's secretaries about products at or below their low-stock threshold."""
    stock = (
        select(
            Lot.product_id,
            func.sum(Lot.remaining).label("left"),
            func.max(Lot.created_at).label("restocked_at"),
        )
        .group_by(Lot.product_id)
        .subquery()
    )
    low = await session.execute(
        select(Product.id, Product.village_id, Product.name, Product.unit, stock.c.left, stock.c.restocked_at)
        .join(stock, stock.c.product_id == Product.id)
        .where(
            Product.active.is_(True),
            Product.low_stock_threshold > 0,
            stock.c.left <= Product.low_stock_threshold,
        )
        .order_by(Product.id)
    )
    sent = 0
    for product_id, village_id, name, unit, left, restocked_at in low.all():
        link = f"/catalogue/{product_id}"
        told = await session.execute(
            select(Notification.id)
            .where(Notification.kind == KIND, Notification.link == link, Notification.created_at >= restocked_at)
            .limit(1)
        )
        if told.first() is not None:
            continue
        secretaries = await session.execute(
            select(User.id).where(
                User.village_id == village_id, User.role == Role.SECRETARY.value, User.active.is_(True)
            )
        )
        for user_id in secretaries.scalars():
            await notify_now(
                session,
                RecipientKind.USER,
                user_id,
                KIND,
                N_("%(product)s is running low: %(left)s %(unit)s left"),
                params={"product": name, "left": str(int(left)), "unit": unit},
                link=link,
            )
            sent += 1
    return sent
