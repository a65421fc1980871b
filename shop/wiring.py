"""How the domains reach each other in one process, without importing each other: what each announces and
who listens (the ledger hears of completed and refunded orders, the live board of every order change on
a stream), what the orders domain adds to a stream's live board, and whose events fill a calendar feed.

Each process builds its own ``DomainLinks`` once when it starts (``shop.app.create_app``, the scheduler's
``make_runner``, each ``shop`` command that changes orders) and hands it on; nothing is registered when a
module is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from shop.calendar_feed import CalendarSource
from shop.events import DomainEvents
from shop.streams.live import BoardSources, LiveHub


@dataclass(frozen=True)
class DomainLinks:
    events: DomainEvents
    board: BoardSources
    calendars: tuple[CalendarSource, ...]


def link_domains(live_hub: LiveHub | None = None) -> DomainLinks:
    """The process's links; ``live_hub`` is the web process's hub (other processes have no watchers: the
    boards look at the database every few seconds, so changes made there reach them too)."""
    from shop.ledger.hooks import listen_to_orders
    from shop.orders.board import BOARD_SALES, wake_the_board
    from shop.training.classes import class_events_for_user

    events = DomainEvents()
    listen_to_orders(events)
    if live_hub is not None:
        wake_the_board(events, live_hub)
    return DomainLinks(events=events, board=BOARD_SALES, calendars=(class_events_for_user,))
