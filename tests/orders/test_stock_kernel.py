"""The stock kernel (shop.orders.stock) on its own: FIFO takes over lots, the conditional write that notices a
lot changed under it, the driver's SQL text on each database, and the time text SQLite is given."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from shop.orders.stock import Driver, StockBook, StockChangedError, _numbered, driver_times, load_stock
from shop.timeutil import sqlite_utc_text

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _book(*lots: tuple[int, int], product: int = 7) -> StockBook:
    book = StockBook()
    book.lots[product] = [[lot_id, remaining] for lot_id, remaining in lots]
    return book


def test_take_goes_oldest_first_and_says_what_is_short() -> None:
    book = _book((1, 2), (2, 0), (3, 5))
    assert book.available(7) == 7
    assert book.take(7, 4) == ([(1, 2), (3, 2)], 0)
    assert book.available(7) == 3
    assert book.take(7, 5) == ([(3, 3)], 2)
    assert dict(book.taken) == {1: 2, 3: 5}
    assert book.take(8, 1) == ([], 1)  # a product with no lots


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=6), st.lists(st.integers(1, 12), max_size=6))
def test_takes_never_oversell_and_add_up(remaining: list[int], orders: list[int]) -> None:
    book = _book(*enumerate(remaining, start=1))
    before = sum(remaining)
    given_out = 0
    for quantity in orders:
        takes, short = book.take(7, quantity)
        assert sum(units for _, units in takes) + short == quantity
        assert all(units > 0 for _, units in takes)
        given_out += quantity - short
    assert given_out == sum(book.taken.values()) <= before
    assert book.available(7) == before - given_out
    assert all(left >= 0 for _, left in book.lots[7])


LOTS = (  # id, product, received on, remaining
    (1, 7, "2026-11-02", 4),
    (2, 7, "2026-11-01", 3),
    (3, 7, "2026-11-03", 0),
    (4, 8, "2026-11-01", 9),
)


@pytest.fixture
def conn():
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        columns = "id INTEGER PRIMARY KEY, product_id INT, received_on DATE, remaining INT, updated_at TEXT"
        connection.execute(text(f"CREATE TABLE lot ({columns})"))
        for lot in LOTS:
            connection.execute(
                text("INSERT INTO lot VALUES (:id, :product, :received, :left, NULL)"),
                dict(zip(("id", "product", "received", "left"), lot, strict=True)),
            )
        yield connection
    engine.dispose()


def test_load_keeps_lots_with_units_oldest_received_first(conn) -> None:
    book = load_stock(Driver(conn, NOW), [7])
    assert book.lots == {7: [[2, 3], [1, 4]]}
    assert load_stock(Driver(conn, NOW), []).lots == {}


def test_write_takes_units_off_and_refuses_a_lot_that_changed(conn) -> None:
    driver = Driver(conn, NOW)
    book = load_stock(driver, [7, 8])
    book.take(7, 5)
    book.write(driver)
    left = dict(conn.execute(text("SELECT id, remaining FROM lot")).tuples().all())
    assert left == {1: 2, 2: 0, 3: 0, 4: 9}
    stamp = conn.execute(text("SELECT updated_at FROM lot WHERE id = 1")).scalar_one()
    assert stamp == sqlite_utc_text(NOW)

    stale = load_stock(driver, [8])
    conn.execute(text("UPDATE lot SET remaining = 1 WHERE id = 4"))  # another writer took units meanwhile
    stale.take(8, 5)
    with pytest.raises(StockChangedError):
        stale.write(driver)


def test_the_driver_numbers_marks_for_asyncpg() -> None:
    assert _numbered("UPDATE lot SET remaining = ? WHERE id = ? AND remaining >= ?") == (
        "UPDATE lot SET remaining = $1 WHERE id = $2 AND remaining >= $3"
    )


def test_sqlite_times_match_sqlalchemys_text() -> None:
    as_text = driver_times()
    for moment in (
        NOW,
        NOW + timedelta(seconds=59, minutes=59, hours=11),
        NOW + timedelta(microseconds=5),
        datetime(2026, 12, 3, 20, 0),  # naive: already UTC
        datetime.combine(date(1999, 12, 31), datetime.min.time(), tzinfo=UTC),
    ):
        assert as_text(moment) == sqlite_utc_text(moment)
    assert as_text(None) is None
