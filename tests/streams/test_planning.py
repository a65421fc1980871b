"""Planning rules without the web: overlap edges, time zones, the run-of-show clock, where a live stream is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from shop.streams.services import current_block, overlaps, run_of_show
from shop.timeutil import SHANGHAI

BJ = SHANGHAI


@pytest.mark.parametrize(
    ("a", "b", "clash"),
    [
        ((19, 21), (21, 23), False),  # touching: one ends as the other starts
        ((19, 21), (17, 19), False),
        ((19, 21), (20, 22), True),
        ((19, 21), (19, 21), True),
        ((19, 21), (19.5, 20), True),  # inside
        ((19, 21), (18, 22), True),  # around
    ],
)
def test_overlap_edges(a, b, clash) -> None:
    def at(hour: float) -> datetime:
        return datetime(2026, 12, 1, tzinfo=BJ) + timedelta(hours=hour)

    assert overlaps(at(a[0]), at(a[1]), at(b[0]), at(b[1])) is clash
    assert overlaps(at(b[0]), at(b[1]), at(a[0]), at(a[1])) is clash


def test_overlap_compares_instants_not_wall_clocks() -> None:
    beijing = (datetime(2026, 12, 1, 19, 0, tzinfo=BJ), datetime(2026, 12, 1, 21, 0, tzinfo=BJ))
    utc_same_evening = (datetime(2026, 12, 1, 12, 0, tzinfo=UTC), datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    utc_touching = (datetime(2026, 12, 1, 13, 0, tzinfo=UTC), datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    assert overlaps(*beijing, *utc_same_evening)
    assert not overlaps(*beijing, *utc_touching)


def _stream(status: str = "planned", went_live_at: datetime | None = None) -> SimpleNamespace:
    product = SimpleNamespace(name="朝阳小米")
    starts = datetime(2026, 12, 1, 19, 30, tzinfo=BJ)
    return SimpleNamespace(
        starts_at=starts,
        opening_minutes=5,
        closing_minutes=5,
        guests=[SimpleNamespace(planned_minutes=20, guest=SimpleNamespace(name="孟凤兰"))],
        lineup=[
            SimpleNamespace(planned_minutes=15, product=product),
            SimpleNamespace(planned_minutes=10, product=product),
        ],
        status=status,
        went_live_at=went_live_at,
    )


def test_run_of_show_has_clock_times_in_order() -> None:
    blocks = run_of_show(_stream())
    assert [b.kind for b in blocks] == ["opening", "guest", "product", "product", "closing"]
    assert [b.starts_at.astimezone(BJ).strftime("%H:%M") for b in blocks] == [
        "19:30",
        "19:35",
        "19:55",
        "20:10",
        "20:20",
    ]
    assert blocks[-1].ends_at.astimezone(BJ).strftime("%H:%M") == "20:25"


def test_live_position_follows_the_real_start_time() -> None:
    late_start = datetime(2026, 12, 1, 19, 40, tzinfo=BJ)
    stream = _stream("live", went_live_at=late_start)
    assert current_block(stream, late_start + timedelta(minutes=2)).kind == "opening"
    assert current_block(stream, late_start + timedelta(minutes=6)).kind == "guest"
    assert current_block(stream, late_start + timedelta(minutes=26)).kind == "product"
    assert current_block(_stream("planned"), late_start) is None
