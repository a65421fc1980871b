"""What a timed job is, as the domains declare it in their ``scheduled.py`` (the scheduler runs them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig

from shop.events import DomainEvents
from shop.settings import Settings


@dataclass(frozen=True)
class JobContext:
    alchemy: SQLAlchemyAsyncConfig
    settings: Settings
    now: datetime
    # The scheduler process's domain events: what a job changes is heard as it is from a page.
    events: DomainEvents


JobFunc = Callable[[JobContext], Awaitable[object]]


@dataclass(frozen=True)
class ScheduledJob:
    """A fixed job: an explicit id, what it calls, and when.

    ``every_seconds`` runs it on an interval; ``daily_at`` ("03:30", Beijing time) once a day.
    Jobs must be safe to run twice for the same ``now``: they claim their work in the database.
    """

    id: str
    func: JobFunc
    every_seconds: int | None = None
    daily_at: str | None = None
    sqlite_only: bool = False
