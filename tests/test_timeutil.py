"""Time (shop.timeutil): stored in UTC, shown and typed in Beijing time, days cut at Beijing midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shop.timeutil import (
    SHANGHAI,
    as_utc,
    local_day_bounds,
    local_to_utc,
    local_today,
    sqlite_utc_text,
    to_local,
    utcnow,
)


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_as_utc_takes_naive_as_utc_and_converts_aware() -> None:
    assert as_utc(datetime(2026, 12, 3, 12, 0)) == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    beijing = datetime(2026, 12, 3, 20, 0, tzinfo=SHANGHAI)
    assert as_utc(beijing) == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert as_utc(beijing).tzinfo is UTC


def test_local_and_back() -> None:
    typed = datetime(2026, 10, 18, 20, 5)  # a secretary's 20:05, Beijing
    stored = local_to_utc(typed)
    assert stored == datetime(2026, 10, 18, 12, 5, tzinfo=UTC)
    assert to_local(stored).replace(tzinfo=None) == typed
    assert local_to_utc(datetime(2026, 10, 18, 12, 5, tzinfo=UTC)) == stored  # an aware time stays the instant


def test_the_beijing_day_starts_at_16_utc() -> None:
    assert local_today(datetime(2026, 12, 3, 15, 59, tzinfo=UTC)) == date(2026, 12, 3)
    assert local_today(datetime(2026, 12, 3, 16, 0, tzinfo=UTC)) == date(2026, 12, 4)
    start, end = local_day_bounds(date(2026, 12, 4))
    assert start == datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)


def test_sqlite_text_matches_what_sqlalchemy_writes() -> None:
    assert sqlite_utc_text(datetime(2026, 12, 3, 20, 0, tzinfo=SHANGHAI)) == "2026-12-03 12:00:00.000000"
    assert sqlite_utc_text(datetime(2026, 12, 3, 12, 0, 0, 5)) == "2026-12-03 12:00:00.000005"
