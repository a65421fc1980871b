"""What the orders domain announces (see ``shop.events``): an order completed, cancelled or refunded, and part
of a completed order refunded. The ledger credits and reverses on them; the live board wakes its watchers.

Each is announced by ``shop.orders.services`` once the change is written, in the same unit of work, whatever
made it: a page, the API, an import, the command line or a scheduled job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shop.accounts.principal import Principal
from shop.orders.models import Order, OrderLine


@dataclass(frozen=True, slots=True)
class OrderCompleted:
    """The buyer confirmed receipt, or the auto-confirm days passed: the sale stands."""

    order: Order
    actor: Principal | None  # None: the system (the scheduler, an import)
    at: datetime


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    """Cancelled before shipping: every unit went back to the lot it came from."""

    order: Order
    actor: Principal | None
    at: datetime


@dataclass(frozen=True, slots=True)
class OrderRefunded:
    """Every unit of a completed order was refunded."""

    order: Order
    actor: Principal | None
    at: datetime


@dataclass(frozen=True, slots=True)
class UnitsRefunded:
    """More units of one line of a completed order were refunded; ``line.refunded_quantity`` says how many
    in all. The order stays completed (it becomes refunded, and says so, only when every unit is)."""

    order: Order
    line: OrderLine
    actor: Principal | None
    at: datetime
