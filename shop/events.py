"""Domain events: what one domain announces and others act on, without importing each other.

A domain announces a fact (an order was completed) with ``DomainEvents.announce``; whoever listens acts on
it inside the announcer's unit of work, so what a listener writes commits or rolls back with the change it
heard of. Each process builds its own registry when it starts (``shop.wiring.link_domains``: the web app,
the scheduler, the command line) and hands it to the code that changes things; nothing is registered when
a module is imported, and a process that built no registry cannot announce by accident.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

E = TypeVar("E")
Listener = Callable[[AsyncSession, E], Awaitable[None]]


class DomainEvents:
    """One process's listeners, by the type of event they hear."""

    def __init__(self) -> None:
        self._listeners: dict[type[Any], list[Listener[Any]]] = {}

    def listen(self, event_type: type[E], listener: Listener[E]) -> None:
        self._listeners.setdefault(event_type, []).append(listener)

    def listeners(self, event_type: type[Any]) -> tuple[Listener[Any], ...]:
        return tuple(self._listeners.get(event_type, ()))

    async def announce(self, session: AsyncSession, event: object) -> None:
        """Every listener of the event's type, in the order they were registered, in ``session``'s unit of
        work; a listener's error is the announcer's (the change it heard of does not commit without it)."""
        for listener in self._listeners.get(type(event), ()):
            await listener(session, event)
