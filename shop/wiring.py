"""How the domains reach each other without importing each other: the orders domain adds to the live
board, the ledger hears about order status changes, training adds classes to calendar feeds.

Called by every process that runs domain code: the web app (shop.app) and the scheduler.
"""

from __future__ import annotations

from typing import Any

CALENDAR_PROVIDERS: list[Any] = []


def connect_domains() -> None:
    from shop.ledger.hooks import on_order_status, on_partial_refund
    from shop.orders import live as orders_live
    from shop.orders import services as orders_services
    from shop.streams import live as streams_live
    from shop.training.classes import class_events_for_user

    streams_live.SALES_PROVIDERS[:] = [orders_live.board_sales]
    streams_live.CAP_PROVIDERS[:] = [orders_live.sold_under_cap]
    orders_services.STATUS_HOOKS[:] = [on_order_status]
    orders_services.REFUND_HOOKS[:] = [on_partial_refund]
    CALENDAR_PROVIDERS[:] = [class_events_for_user]
