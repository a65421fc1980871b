"""The stock kernel: how an order's units come out of lots and its rows go in, for the live write path
(``shop.orders.placing``) and the export import (``shop.orders.imports.chunks``) alike.

- ``load_stock``: the products' lots with units left, in one statement, locked in id order on PostgreSQL
  (``SELECT … FOR UPDATE``, so two writers never deadlock) and used oldest first (received_on, then id);
- ``StockBook.take``: units first in, first out, counted per lot as the batch goes;
- ``StockBook.write``: one conditional update per lot touched (``remaining >= n``) under the transaction's
  write lock; a mismatch means another writer changed the stock under us (``StockChangedError``) and the
  caller retries the batch;
- ``reserve_id_ranges`` then ``insert_rows``: ids for every new row in one statement, then each table's
  rows in one statement (or a few), straight to the driver.

Synchronous Core over a ``Connection``: on SQLite the callers run it in their own thread with a plain
sqlite3 connection, on PostgreSQL through ``AsyncConnection.run_sync``. Statements are fixed SQL text with
plain values (the driver's statement cache keeps them prepared): SQLAlchemy's compilation and per-value
processing cost more than the database's work at these sizes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import chain
from typing import Any, cast

from sqlalchemy import String, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shop.orders.models import Allocation, Order, OrderLine, StatusChange
from shop.timeutil import sqlite_utc_text

# The tables both write paths fill.
ORDERS = cast(Table, Order.__table__)
LINES = cast(Table, OrderLine.__table__)
ALLOCATIONS = cast(Table, Allocation.__table__)
STATUS_CHANGES = cast(Table, StatusChange.__table__)


def _width(column: str) -> int:
    kind = ORDERS.c[column].type
    assert isinstance(kind, String), column
    assert kind.length is not None, column
    return kind.length


# The widths of the buyer's fields on an order: what a page, the API or an export gives is cut to them.
BUYER_NAME_MAX = _width("buyer_name")
BUYER_PHONE_MAX = _width("buyer_phone")
ADDRESS_MAX = _width("address")
NOTE_MAX = _width("note")
TRACKING_NO_MAX = _width("tracking_no")


class StockChangedError(RuntimeError):
    """A lot's remaining changed between our read and our update (another writer without the lock)."""


class Driver:
    """Fixed SQL text straight to the driver, written with ``?`` marks (numbered for asyncpg).

    A list of values goes in as ``IN (?, ?, …)`` on SQLite and as one array (``= ANY(?)``) on PostgreSQL,
    so the text, and so the prepared statement, stays the same whatever the list's length there.
    """

    __slots__ = ("at", "conn", "now", "postgres", "time")

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn = conn
        self.at = now  # the batch's moment, as a time
        self.postgres = conn.dialect.name == "postgresql"
        # What the driver is given for a time column: SQLite stores SQLAlchemy's text form of UTC.
        self.time: Callable[[datetime | None], Any] = _as_is if self.postgres else driver_times()
        self.now: Any = self.time(now)  # the batch's moment, as the driver takes it

    def among(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        if self.postgres:
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(self.conn.exec_driver_sql(self._text(sql), tuple(params)).all())

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> Any:
        return self.conn.exec_driver_sql(self._text(sql), rows) if rows else None

    def flag(self, value: bool) -> Any:
        """A boolean as the driver takes it (SQLite stores 0/1)."""
        return value if self.postgres else int(value)

    def _text(self, sql: str) -> str:
        return _numbered(sql) if self.postgres else sql


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    count = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


def _as_is(value: datetime | None) -> datetime | None:
    return value


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = _EPOCH.date()
# 'HH:MM:' for each minute of a day and 'SS.000000' for each second of a minute.
_HOURS_MINUTES = [f"{minute // 60:02d}:{minute % 60:02d}:" for minute in range(24 * 60)]
_WHOLE_SECONDS = [f"{second:02d}.000000" for second in range(60)]


class _Days(dict[int, str]):
    """Days since 1970-01-01 → 'YYYY-MM-DD ', each computed once."""

    def __missing__(self, days: int) -> str:
        text = self[days] = (_EPOCH_DAY + timedelta(days=days)).isoformat() + " "
        return text


def driver_times() -> Callable[[datetime | None], str | None]:
    """``sqlite_utc_text`` (None stays None) for the many times of a batch: a whole second (every time an
    export gives) is the day's text and two table lookups, about five times as fast as ``isoformat``."""
    days = _Days()
    minutes, seconds = _HOURS_MINUTES, _WHOLE_SECONDS

    def text(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return sqlite_utc_text(value)
        since = value - _EPOCH
        if since.microseconds:
            return sqlite_utc_text(value)
        second = since.seconds
        return days[since.days] + minutes[second // 60] + seconds[second % 60]

    return text


# --- lots ------------------------------------------------------------------------------------------------


class StockBook:
    """The lots of a batch's products with units left, oldest first, as the batch takes from them."""

    __slots__ = ("lots", "taken")

    def __init__(self) -> None:
        self.lots: dict[int, list[list[int]]] = defaultdict(list)  # product id → [[lot id, remaining], …]
        self.taken: dict[int, int] = defaultdict(int)  # lot id → units this batch took

    def available(self, product_id: int) -> int:
        return sum(remaining for _, remaining in self.lots.get(product_id, ()))

    def take(self, product_id: int, quantity: int) -> tuple[list[tuple[int, int]], int]:
        """Up to ``quantity`` units from the product's oldest lots: ``([(lot id, units), …], units short)``.
        The caller checks ``available`` first when an order must take all its units or none."""
        takes: list[tuple[int, int]] = []
        need = quantity
        taken = self.taken
        for entry in self.lots.get(product_id, ()):
            left = entry[1]
            if left <= 0:
                continue
            take = left if left < need else need
            entry[1] = left - take
            takes.append((entry[0], take))
            taken[entry[0]] += take
            need -= take
            if not need:
                break
        return takes, need

    def write(self, driver: Driver) -> None:
        """Take the batch's units off its lots: one conditional update per lot touched, in one statement."""
        if not self.taken:
            return
        result = driver.many(
            "UPDATE lot SET remaining = remaining - ?, updated_at = ? WHERE id = ? AND remaining >= ?",
            [(taken, driver.now, lot_id, taken) for lot_id, taken in self.taken.items()],
        )
        if result.rowcount not in (-1, None) and result.rowcount != len(self.taken):
            raise StockChangedError


def load_stock(driver: Driver, product_ids: Sequence[int]) -> StockBook:
    """The products' lots with units left, locked in id order on PostgreSQL and kept oldest first."""
    book = StockBook()
    if not product_ids:
        return book
    where, params = driver.among("product_id", product_ids)
    lock = " FOR UPDATE" if driver.postgres else ""
    rows = driver.rows(
        f"SELECT id, product_id, received_on, remaining FROM lot WHERE {where} AND remaining > 0 "  # noqa: S608
        f"ORDER BY id{lock}",
        params,
    )
    lots = book.lots
    for lot_id, product_id, _received_on, remaining in sorted(rows, key=lambda row: (row[2], row[0])):
        lots[product_id].append([lot_id, remaining])
    return book


# --- new rows --------------------------------------------------------------------------------------------


def reserve_id_ranges(conn: Connection, wanted: Sequence[tuple[str, int]]) -> list[list[int]]:
    """Ids for rows about to be bulk-inserted into each table, ``[(table, count), …]``, in one statement, so
    the inserts need no RETURNING round trips.

    PostgreSQL hands them out from each table's sequence. On SQLite the caller holds the write lock
    (``BEGIN IMMEDIATE``), so nobody else can insert before it: the next ids after the largest are free.
    """
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(
            f"ARRAY(SELECT nextval('{table_name}_id_seq') FROM generate_series(1, ${n}))"  # noqa: S608 - ours
            for n, (table_name, _) in enumerate(wanted, 1)
        )
        ids = conn.exec_driver_sql(f"SELECT {arrays}", tuple(count for _, count in wanted)).one()
        return [[int(i) for i in part] for part in ids]
    tops = conn.exec_driver_sql(
        "SELECT " + ", ".join(f"(SELECT COALESCE(MAX(id), 0) FROM {table_name})" for table_name, _ in wanted)  # noqa: S608
    ).one()
    return [list(range(int(top) + 1, int(top) + 1 + count)) for top, (_, count) in zip(tops, wanted, strict=True)]


# The columns of the rows an order brings, in the order every row gives them: the live write path and the
# import fill the same shapes.
ORDER_COLUMNS = (
    "id",
    "village_id",
    "source",
    "external_id",
    "stream_id",
    "status",
    "buyer_name",
    "buyer_phone",
    "address",
    "total_fen",
    "note",
    "courier",
    "tracking_no",
    "backorder",
    "created_by",
    "placed_at",
    "paid_at",
    "shipped_at",
    "completed_at",
    "cancelled_at",
    "refunded_at",
    "created_at",
    "updated_at",
)
LINE_COLUMNS = (
    "id",
    "order_id",
    "product_id",
    "village_id",
    "source",
    "quantity",
    "unit_price_fen",
    "line_key",
    "short_quantity",
    "refunded_quantity",
    "created_at",
    "updated_at",
)
ALLOCATION_COLUMNS = ("line_id", "lot_id", "quantity", "village_id", "created_at", "updated_at")
CHANGE_COLUMNS = (
    "order_id",
    "village_id",
    "from_status",
    "to_status",
    "actor_kind",
    "actor_id",
    "note",
    "at",
    "created_at",
    "updated_at",
)


@dataclass(slots=True)
class NewOrderRows:
    """The rows of a batch's new orders, each tuple in its table's column order above."""

    orders: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    allocations: list[tuple[Any, ...]] = field(default_factory=list)
    changes: list[tuple[Any, ...]] = field(default_factory=list)

    def insert(self, conn: Connection) -> None:
        insert_rows(conn, ORDERS, ORDER_COLUMNS, self.orders)
        insert_rows(conn, LINES, LINE_COLUMNS, self.lines)
        insert_rows(conn, ALLOCATIONS, ALLOCATION_COLUMNS, self.allocations)
        insert_rows(conn, STATUS_CHANGES, CHANGE_COLUMNS, self.changes)


# From this many rows a table's insert goes by the bulk route (PostgreSQL's COPY, SQLite's multi-row
# VALUES); below it by one fixed statement, which the driver keeps prepared (COPY first asks the server
# for the table's column types: a round trip that a live batch of a few orders should not pay).
BULK_ROWS = 1000
# Rows per INSERT on SQLite's bulk route. One statement with many VALUES rows costs about a third less per
# row than executemany's row-at-a-time bind-step-reset loop; past a few hundred rows the statement's own
# parsing eats the gain.
SQLITE_ROWS_PER_INSERT = 100


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """``rows`` into ``table`` without RETURNING, straight to the driver; each row gives ``columns`` in order,
    as the driver takes them (SQLite: times as ``Driver.time`` gives them, 0/1; PostgreSQL: aware
    datetimes, bools).

    PostgreSQL: one ``INSERT … SELECT FROM unnest(arrays)`` (executemany would run the executor once per
    row), or COPY for a bulk. SQLite: executemany (in-process, cheap per row), or multi-row INSERTs for a
    bulk.
    """
    if not rows:
        return
    postgres = conn.dialect.name == "postgresql"
    if len(rows) >= BULK_ROWS:
        if postgres:
            _copy_records(conn, table.name, list(columns), rows)
        else:
            _sqlite_multirow(conn, table.name, columns, rows)
        return
    names = ", ".join(columns)
    if postgres:
        aliases = ", ".join(f"c{n}" for n in range(len(columns)))
        types = _pg_types(table)
        arrays = ", ".join(f"${n}::{types[name]}[]" for n, name in enumerate(columns, 1))
        sql = f"INSERT INTO {table.name} ({names}) SELECT {aliases} FROM unnest({arrays}) AS u({aliases})"  # noqa: S608
        conn.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
        return
    marks = ", ".join("?" * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)  # noqa: S608 - ours


@lru_cache(maxsize=32)
def _pg_types(table: Table) -> dict[str, str]:
    """Each column's PostgreSQL type, as unnest's arrays are cast (from the models: declared once)."""
    dialect: Any = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's dialect class is untyped
    return {column.name: column.type.compile(dialect=dialect) for column in table.columns}


def _sqlite_multirow(conn: Connection, table_name: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs on the raw connection (inside the caller's transaction, like any statement on it)."""
    one = "(" + ", ".join("?" * len(columns)) + ")"
    head = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES "  # noqa: S608 - our table and columns
    size = SQLITE_ROWS_PER_INSERT
    full = head + ", ".join([one] * size)
    raw: Any = conn.connection.dbapi_connection  # the driver's own connection, below SQLAlchemy
    cursor = raw.cursor()
    flat = chain.from_iterable
    statement = full
    try:
        for start in range(0, len(rows), size):
            part = rows[start : start + size]
            statement = full if len(part) == size else head + ", ".join([one] * len(part))
            cursor.execute(statement, list(flat(part)))
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            statement, None, exc, conn.dialect.loaded_dbapi.Error, hide_parameters=True, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()


def _copy_records(conn: Connection, table_name: str, columns: list[str], records: list[tuple[Any, ...]]) -> None:
    """COPY ``records`` into ``table_name`` on the connection's asyncpg connection, in its transaction.

    Errors are raised as SQLAlchemy's, so the caller's retry tells a clash (IntegrityError) from anything else.
    """
    import asyncpg

    adapted: Any = conn.connection.dbapi_connection  # SQLAlchemy's adapter around the asyncpg connection
    try:
        adapted.run_async(lambda driver: driver.copy_records_to_table(table_name, records=records, columns=columns))
    except asyncpg.PostgresError as exc:
        state = str(getattr(exc, "sqlstate", "") or "")
        kind = IntegrityError if state.startswith("23") else OperationalError if state.startswith("40") else DBAPIError
        raise kind(f"COPY {table_name}", None, exc, hide_parameters=True) from exc
