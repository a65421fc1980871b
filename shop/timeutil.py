"""Time: stored in UTC (timezone-aware), shown and entered in Beijing time (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A naive value is taken to be UTC already (that is how SQLite hands timestamps back)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def sqlite_utc_text(value: datetime) -> str:
    """Exactly what SQLAlchemy's SQLite DATETIME writes for our UTC columns (always with microseconds), for
    rows written straight to the driver that must compare and read back like the ORM's."""
    return as_utc(value).isoformat(" ", "microseconds")[:26]


def to_local(value: datetime) -> datetime:
    return as_utc(value).astimezone(SHANGHAI)


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time typed by a secretary (Beijing time, no zone) to UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC)


def local_today(now: datetime | None = None) -> date:
    return to_local(now or utcnow()).date()


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants that start and end a Beijing calendar day."""
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
