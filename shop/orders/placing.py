"""Placing orders: the stock-taking heart of the order write path.

``place_batch`` places many orders in the caller's one transaction, in arrival order:

- units come from the product's oldest lots first; an order takes all its units or none (409 naming the
  short item); the lot rows are taken with a conditional update (``remaining >= n``) under the
  transaction's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT … FOR UPDATE in lot-id order,
  so concurrent workers never deadlock), and a CHECK keeps every lot at zero or more whatever happens;
- an ``Idempotency-Key`` replays the first answer, and the same key with another body is 422;
- ``(village, source, external_id)`` makes a retried platform order harmless: the existing order answers;
- an order without a stream is attributed to the village's stream on air now whose lineup holds its
  product, and a stream's lineup price and quantity cap apply to it.

Batching is what makes it fast: one round of reads and one round of writes for the whole batch, so a
burst of orders costs a handful of statements and one commit (see ``shop.orders.writer``). The statements
of every batch go straight to the driver as fixed SQL text with plain values (the driver's statement cache
keeps them prepared), and the batch's one timestamp is converted once: SQLAlchemy's compilation and
per-value processing cost more than the database's work at these sizes.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.engine import Connection

from shop.accounts.principal import Principal
from shop.errors import N_, Conflict, DomainError, InvalidInput, NotFound, Unprocessable
from shop.orders.models import (
    HOLDS_STOCK,
    IdempotencyRecord,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
)
from shop.privacy import mask_address, mask_phone
from shop.streams.models import StreamStatus
from shop.timeutil import sqlite_utc_text

MAX_ITEMS = 20


@dataclass(frozen=True)
class ItemRequest:
    product_id: int
    quantity: int


@dataclass
class OrderRequest:
    actor: Principal
    items: list[ItemRequest]
    buyer_name: str = ""
    buyer_phone: str = ""
    address: str = ""
    stream_id: int | None = None
    source: str = OrderSource.API.value
    external_id: str | None = None
    note: str = ""
    idempotency_key: str | None = None
    request_hash: str | None = None

    @property
    def owner(self) -> str:
        return f"{self.actor.kind[0]}:{self.actor.id}"


@dataclass
class PlaceResult:
    status_code: int
    body: dict[str, Any] | None = None
    error: DomainError | None = None
    order_id: int | None = None


def order_body(order: dict[str, Any], lines: Sequence[dict[str, Any]], placed_at: str | None = None) -> dict[str, Any]:
    """The API's view of an order (buyer phone and address masked); ``placed_at`` already in ISO form."""
    return {
        "id": order["id"],
        "source": order["source"],
        "external_id": order["external_id"],
        "status": order["status"],
        "stream_id": order["stream_id"],
        "total_fen": order["total_fen"],
        "buyer_name": order["buyer_name"],
        "buyer_phone": mask_phone(order["buyer_phone"]),
        "address": mask_address(order["address"]),
        "backorder": order.get("backorder", False),
        "placed_at": placed_at or order["placed_at"].isoformat(),
        "items": [
            {"product_id": line["product_id"], "quantity": line["quantity"], "unit_price_fen": line["unit_price_fen"]}
            for line in lines
        ],
    }


@dataclass
class _Stock:
    """A product's lots with remaining units, oldest first, as this batch sees them."""

    lots: list[list[int]] = field(default_factory=list)  # [lot_id, remaining]

    @property
    def total(self) -> int:
        return sum(remaining for _, remaining in self.lots)


class _Driver:
    """Fixed SQL text straight to the driver, written with ``?`` marks (numbered for asyncpg).

    A list of values goes in as ``IN (?, ?, …)`` on SQLite and as one array (``= ANY(?)``) on PostgreSQL,
    so the text, and so the prepared statement, stays the same whatever the list's length there.
    """

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        # What the driver is given for a time column: SQLite stores SQLAlchemy's text form of UTC.
        self.now: Any = now if self.postgres else sqlite_utc_text(now)

    def among(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        if self.postgres:
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.conn.exec_driver_sql(self._text(sql), tuple(params)).all()

    def run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.exec_driver_sql(self._text(sql), tuple(params))

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> Any:
        return self.conn.exec_driver_sql(self._text(sql), rows) if rows else None

    def insert(
        self,
        table: str,
        varying: Sequence[tuple[str, str]],
        rows: list[tuple[Any, ...]],
        fixed: Mapping[str, str] | None = None,
    ) -> None:
        """``rows`` into ``table``: ``varying`` names each value's column and its PostgreSQL type; ``fixed``
        maps the columns that are the same in every row to SQL literals (our own, never a caller's data).

        SQLite takes them by executemany (in-process, cheap per row). PostgreSQL takes them as one array per
        column in a single ``INSERT … SELECT FROM unnest(…)``: one statement, where executemany runs the
        executor once per row."""
        if not rows:
            return
        fixed = fixed or {}
        names = ", ".join([name for name, _ in varying] + list(fixed))
        literals = list(fixed.values())
        if self.postgres:
            aliases = [f"c{n}" for n in range(len(varying))]
            arrays = ", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(varying, 1))
            sql = (
                f"INSERT INTO {table} ({names}) SELECT {', '.join(aliases + literals)} "  # noqa: S608 - ours
                f"FROM unnest({arrays}) AS u({', '.join(aliases)})"
            )
            self.conn.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
            return
        marks = ", ".join(["?"] * len(varying) + literals)
        self.conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608 - ours

    def _text(self, sql: str) -> str:
        return _numbered(sql) if self.postgres else sql


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    count = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


def _existing_by_external_id(
    conn: Connection, keys: set[tuple[int, str, str]]
) -> dict[tuple[int, str, str], PlaceResult]:
    if not keys:
        return {}
    orders = Order.__table__
    rows = (
        conn.execute(
            select(orders).where(tuple_(orders.c.village_id, orders.c.source, orders.c.external_id).in_(list(keys)))
        )
        .mappings()
        .all()
    )
    if not rows:
        return {}
    lines = OrderLine.__table__
    by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in conn.execute(
        select(lines.c.order_id, lines.c.product_id, lines.c.quantity, lines.c.unit_price_fen)
        .where(lines.c.order_id.in_([row["id"] for row in rows]))
        .order_by(lines.c.id)
    ).mappings():
        by_order[line["order_id"]].append(dict(line))
    return {
        (row["village_id"], row["source"], row["external_id"] or ""): PlaceResult(
            200, order_body(dict(row), by_order[row["id"]]), order_id=row["id"]
        )
        for row in rows
    }


def place_batch(conn: Connection, requests: Sequence[OrderRequest], now: datetime) -> list[PlaceResult]:
    """Place ``requests`` in order inside the caller's transaction on ``conn``; the caller commits.

    Synchronous on purpose: on SQLite the writer runs it in its own thread with a plain sqlite3
    connection (no round trip through an event loop per statement); on PostgreSQL it runs through
    ``AsyncConnection.run_sync``.
    """
    results: list[PlaceResult | None] = [None] * len(requests)

    # 1. Idempotency keys: a replay gets the first answer; a different body under the same key is refused.
    keyed = [(i, r) for i, r in enumerate(requests) if r.idempotency_key]
    stored: dict[tuple[str, str], Any] = {}
    if keyed:
        pairs = list({(r.owner, r.idempotency_key) for _, r in keyed})
        table = IdempotencyRecord.__table__
        rows = conn.execute(select(table).where(tuple_(table.c.owner, table.c.key).in_(pairs))).mappings()
        stored = {(rec["owner"], rec["key"]): rec for rec in rows}
    first_with_key: dict[tuple[str, str], int] = {}
    for i, r in keyed:
        slot = (r.owner, r.idempotency_key or "")
        record = stored.get(slot)
        if record is not None:
            if record["request_hash"] != r.request_hash:
                results[i] = PlaceResult(422, error=_key_reused())
            else:
                results[i] = PlaceResult(record["status_code"], json.loads(record["response"]))
        elif slot in first_with_key:
            results[i] = PlaceResult(-1)  # answered after the first one with this key is placed
        else:
            first_with_key[slot] = i

    # 2. Products: every item must be a product the caller reaches, all of one village, on sale.
    driver = _Driver(conn, now)
    product_ids = list({item.product_id for r in requests for item in r.items})
    where, params = driver.among("id", product_ids)
    products = {
        row.id: row
        for row in driver.rows(
            f"SELECT id, village_id, price_fen, active, name, unit FROM product WHERE {where}",  # noqa: S608 - marks only
            params,
        )
    }
    villages: dict[int, int] = {}
    for i, r in enumerate(requests):
        if results[i] is not None:
            continue
        error = _check_items(r, products)
        if error is not None:
            results[i] = PlaceResult(error.status_code, error=error)
        else:
            villages[i] = products[r.items[0].product_id].village_id

    # 3. A platform order seen before answers with the existing order.
    external = {
        (villages[i], r.source, r.external_id): i
        for i, r in enumerate(requests)
        if results[i] is None and r.external_id
    }
    existing = _existing_by_external_id(conn, set(external))
    for key, result in existing.items():
        results[external[key]] = result

    pending = [i for i in range(len(requests)) if results[i] is None]
    if pending:
        _place(driver, requests, pending, villages, products, results, now)

    # 4. Requests that repeated an idempotency key within this batch get the first one's answer.
    for i, r in keyed:
        if results[i] is not None and results[i].status_code == -1:  # type: ignore[union-attr]
            first = results[first_with_key[(r.owner, r.idempotency_key or "")]]
            same = requests[first_with_key[(r.owner, r.idempotency_key or "")]].request_hash == r.request_hash
            results[i] = first if same else PlaceResult(422, error=_key_reused())
    return [r if r is not None else PlaceResult(500) for r in results]


def _key_reused() -> DomainError:
    return Unprocessable(
        N_("This Idempotency-Key was already used for a different order; use a new key for a new order."),
        field="Idempotency-Key",
    )


def _check_items(request: OrderRequest, products: dict[int, Any]) -> DomainError | None:
    if not request.items:
        return InvalidInput("items", N_("An order needs at least one item."))
    if len(request.items) > MAX_ITEMS:
        return InvalidInput("items", N_("An order holds at most %(max)d items."), max=MAX_ITEMS)
    seen: set[int] = set()
    village: int | None = None
    for item in request.items:
        product = products.get(item.product_id)
        if product is None or not request.actor.can_reach_village(product.village_id):
            return NotFound(N_("There is no product %(id)s."), field="items", id=item.product_id)
        if not product.active:
            return Conflict(N_("%(name)s is archived and not on sale."), field="items", name=product.name)
        if item.product_id in seen:
            return InvalidInput(
                "items", N_("%(name)s is listed twice; give it once with the total quantity."), name=product.name
            )
        if item.quantity <= 0:
            return InvalidInput("items", N_("Quantities must be whole numbers above 0."))
        if village is not None and product.village_id != village:
            return InvalidInput("items", N_("All items of an order must come from one village."))
        seen.add(item.product_id)
        village = product.village_id
    return None


def _place(
    driver: _Driver,
    requests: Sequence[OrderRequest],
    pending: list[int],
    villages: dict[int, int],
    products: dict[int, Any],
    results: list[PlaceResult | None],
    now: datetime,
) -> None:
    conn = driver.conn
    wanted = list({item.product_id for i in pending for item in requests[i].items})

    # Streams: named ones, and the ones on air now (to attribute orders by time window and lineup).
    named = {requests[i].stream_id for i in pending if requests[i].stream_id}
    on_air_villages = {villages[i] for i in pending if not requests[i].stream_id}
    stream_rows: list[Any] = []
    if named or on_air_villages:
        conditions, params = [], []
        if named:
            where, values = driver.among("id", list(named))
            conditions.append(where)
            params += values
        if on_air_villages:
            where, values = driver.among("village_id", list(on_air_villages))
            conditions.append(f"({where} AND (status = ? OR (status = ? AND starts_at <= ? AND ends_at > ?)))")
            params += [*values, StreamStatus.LIVE.value, StreamStatus.PLANNED.value, driver.now, driver.now]
        sql = f"SELECT id, village_id, status FROM stream WHERE {' OR '.join(conditions)}"  # noqa: S608 - marks only
        stream_rows = driver.rows(sql, params)
    streams = {row.id: row for row in stream_rows}
    lineup: dict[tuple[int, int], Any] = {}
    if streams:
        in_streams, stream_params = driver.among("stream_id", list(streams))
        in_products, product_params = driver.among("product_id", wanted)
        for item in driver.rows(
            "SELECT stream_id, product_id, live_price_fen, quantity_cap FROM lineup_item "  # noqa: S608 - marks only
            f"WHERE {in_streams} AND {in_products}",
            [*stream_params, *product_params],
        ):
            lineup[(item.stream_id, item.product_id)] = item
    on_air: dict[tuple[int, int], int] = {}
    for (stream_id, product_id), _item in sorted(lineup.items()):
        stream = streams[stream_id]
        if stream_id not in named or stream.status == StreamStatus.LIVE.value:
            on_air.setdefault((stream.village_id, product_id), stream_id)

    # Units already sold under each capped lineup item.
    capped = [(s, p) for (s, p), item in lineup.items() if item.quantity_cap is not None]
    sold: dict[tuple[int, int], int] = defaultdict(int)
    if capped:
        rows = conn.execute(
            select(Order.stream_id, OrderLine.product_id, func.sum(OrderLine.quantity))
            .join(Order, Order.id == OrderLine.order_id)
            .where(tuple_(Order.stream_id, OrderLine.product_id).in_(capped), Order.status.in_(HOLDS_STOCK))
            .group_by(Order.stream_id, OrderLine.product_id)
        )
        for stream_id, product_id, total in rows.all():
            sold[(stream_id, product_id)] = int(total or 0)

    # Lots with units left, locked in id order (PostgreSQL) and used oldest first.
    in_products, product_params = driver.among("product_id", wanted)
    lock = " FOR UPDATE" if driver.postgres else ""
    lot_rows = driver.rows(
        f"SELECT id, product_id, received_on, remaining FROM lot WHERE {in_products} AND remaining > 0 "  # noqa: S608
        f"ORDER BY id{lock}",
        product_params,
    )
    stock: dict[int, _Stock] = defaultdict(_Stock)
    for row in sorted(lot_rows, key=lambda r: (r.received_on, r.id)):
        stock[row.product_id].lots.append([row.id, row.remaining])

    orders: list[dict[str, Any]] = []
    lines: list[list[dict[str, Any]]] = []
    takes: list[list[list[tuple[int, int]]]] = []
    placed: list[int] = []
    taken_per_lot: dict[int, int] = defaultdict(int)
    for i in pending:
        request = requests[i]
        village = villages[i]
        stream_id = request.stream_id
        if stream_id is not None:
            stream = streams.get(stream_id)
            if stream is None or stream.village_id != village:
                results[i] = PlaceResult(
                    404, error=NotFound(N_("There is no stream %(id)s."), field="stream_id", id=stream_id)
                )
                continue
        else:
            stream_id = next(
                (on_air[(village, item.product_id)] for item in request.items if (village, item.product_id) in on_air),
                None,
            )
        error, order_lines, order_takes = _allocate(request, stream_id, products, lineup, sold, stock)
        if error is not None:
            results[i] = PlaceResult(error.status_code, error=error)
            continue
        for line_takes in order_takes:
            for lot_id, quantity in line_takes:
                taken_per_lot[lot_id] += quantity
        orders.append(
            {
                "village_id": village,
                "source": request.source,
                "external_id": request.external_id,
                "stream_id": stream_id,
                "status": OrderStatus.PLACED.value,
                "buyer_name": request.buyer_name,
                "buyer_phone": request.buyer_phone,
                "address": request.address,
                "total_fen": sum(li["quantity"] * li["unit_price_fen"] for li in order_lines),
                "note": request.note,
                "backorder": False,
                "placed_at": now,
                "created_by": request.actor.user_id or None,
            }
        )
        lines.append(order_lines)
        takes.append(order_takes)
        placed.append(i)
    if not placed:
        return

    # One conditional update per lot touched; the row locks (or SQLite's write lock) make it exact, and a
    # mismatch means someone changed stock under us: the whole batch is refused and retried one by one.
    result = driver.many(
        "UPDATE lot SET remaining = remaining - ?, updated_at = ? WHERE id = ? AND remaining >= ?",
        [(taken, driver.now, lot_id, taken) for lot_id, taken in taken_per_lot.items()],
    )
    if result.rowcount not in (-1, None) and result.rowcount != len(taken_per_lot):
        raise StockChangedError

    line_count = sum(len(order_lines) for order_lines in lines)
    order_ids, line_ids = reserve_id_ranges(
        conn, [(Order.__tablename__, len(orders)), (OrderLine.__tablename__, line_count)]
    )
    stamp = driver.now
    order_rows = []
    line_rows = []
    allocation_rows = []
    change_rows = []
    line_number = 0
    for order_id, order, order_lines, order_takes, i in zip(order_ids, orders, lines, takes, placed, strict=True):
        order["id"] = order_id
        order_rows.append(
            (
                order_id,
                order["village_id"],
                order["source"],
                order["external_id"],
                order["stream_id"],
                order["buyer_name"],
                order["buyer_phone"],
                order["address"],
                order["total_fen"],
                order["note"],
                order["created_by"],
            )
        )
        for line, line_takes in zip(order_lines, order_takes, strict=True):
            line_id = line_ids[line_number]
            line_number += 1
            line_rows.append(
                (
                    line_id,
                    order_id,
                    line["product_id"],
                    line["quantity"],
                    line["unit_price_fen"],
                    order["village_id"],
                    order["source"],
                )
            )
            for lot_id, quantity in line_takes:
                allocation_rows.append((line_id, lot_id, quantity))
        change_rows.append((order_id, requests[i].actor.user_id or None, requests[i].source))
    driver.insert(
        "shop_order",
        _ORDER_COLUMNS,
        [(*row, stamp, stamp, stamp) for row in order_rows],
        {"status": f"'{OrderStatus.PLACED.value}'", "courier": "''", "tracking_no": "''", "backorder": "FALSE"},
    )
    driver.insert(
        "order_line",
        _LINE_COLUMNS,
        [(*row, stamp, stamp) for row in line_rows],
        {"line_key": "NULL", "short_quantity": "0", "refunded_quantity": "0"},
    )
    driver.insert("allocation", _ALLOCATION_COLUMNS, [(*row, stamp, stamp) for row in allocation_rows])
    driver.insert(
        "order_status_change",
        _CHANGE_COLUMNS,
        [(order_id, actor_id, note, stamp, stamp, stamp) for order_id, actor_id, note in change_rows],
        {"from_status": "NULL", "to_status": f"'{OrderStatus.PLACED.value}'", "actor_kind": "'user'"},
    )

    placed_at = now.isoformat()
    idempotency_rows = []
    for order_id, i, order, order_lines in zip(order_ids, placed, orders, lines, strict=True):
        body = order_body(order, order_lines, placed_at=placed_at)
        results[i] = PlaceResult(201, body, order_id=order_id)
        request = requests[i]
        if request.idempotency_key:
            idempotency_rows.append(
                (
                    request.owner,
                    request.idempotency_key,
                    request.request_hash,
                    json.dumps(body, ensure_ascii=False),
                    stamp,
                    stamp,
                )
            )
    driver.insert("idempotency_record", _IDEMPOTENCY_COLUMNS, idempotency_rows, {"status_code": "201"})


# The columns each insert of a batch fills row by row, with their PostgreSQL types (for unnest's arrays).
_STAMPS = (("created_at", "timestamptz"), ("updated_at", "timestamptz"))
_ORDER_COLUMNS = (
    ("id", "bigint"),
    ("village_id", "bigint"),
    ("source", "text"),
    ("external_id", "text"),
    ("stream_id", "bigint"),
    ("buyer_name", "text"),
    ("buyer_phone", "text"),
    ("address", "text"),
    ("total_fen", "integer"),
    ("note", "text"),
    ("created_by", "bigint"),
    ("placed_at", "timestamptz"),
    *_STAMPS,
)
_LINE_COLUMNS = (
    ("id", "bigint"),
    ("order_id", "bigint"),
    ("product_id", "bigint"),
    ("quantity", "integer"),
    ("unit_price_fen", "integer"),
    ("village_id", "bigint"),
    ("source", "text"),
    *_STAMPS,
)
_ALLOCATION_COLUMNS = (("line_id", "bigint"), ("lot_id", "bigint"), ("quantity", "integer"), *_STAMPS)
_CHANGE_COLUMNS = (("order_id", "bigint"), ("actor_id", "integer"), ("note", "text"), ("at", "timestamptz"), *_STAMPS)
_IDEMPOTENCY_COLUMNS = (
    ("owner", "text"),
    ("key", "text"),
    ("request_hash", "text"),
    ("response", "text"),
    *_STAMPS,
)


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


class StockChangedError(RuntimeError):
    """A lot's remaining changed between our read and our update (another writer without the lock)."""


def _allocate(
    request: OrderRequest,
    stream_id: int | None,
    products: dict[int, Any],
    lineup: dict[tuple[int, int], Any],
    sold: dict[tuple[int, int], int],
    stock: dict[int, _Stock],
) -> tuple[DomainError | None, list[dict[str, Any]], list[list[tuple[int, int]]]]:
    """All of the order's units from the oldest lots, or nothing (the tentative takes are not applied)."""
    order_lines: list[dict[str, Any]] = []
    order_takes: list[list[tuple[int, int]]] = []
    for item in request.items:
        product = products[item.product_id]
        listed = lineup.get((stream_id, item.product_id)) if stream_id is not None else None
        if listed is not None and listed.quantity_cap is not None:
            left = listed.quantity_cap - sold[(stream_id, item.product_id)]
            if item.quantity > left:
                return (
                    Conflict(
                        N_("Only %(left)d %(unit)s of %(name)s may still be sold in this stream (cap %(cap)d)."),
                        field="items",
                        left=max(0, left),
                        unit=product.unit,
                        name=product.name,
                        cap=listed.quantity_cap,
                    ),
                    [],
                    [],
                )
        available = stock[item.product_id].total
        if item.quantity > available:
            return (
                Conflict(
                    N_("Only %(left)d %(unit)s of %(name)s left; nothing was taken."),
                    field="items",
                    left=available,
                    unit=product.unit,
                    name=product.name,
                ),
                [],
                [],
            )
        price = listed.live_price_fen if listed is not None and listed.live_price_fen is not None else product.price_fen
        order_lines.append({"product_id": item.product_id, "quantity": item.quantity, "unit_price_fen": price})
        order_takes.append(_take(stock[item.product_id], item.quantity))
    # Only now, with every item covered, do the takes and the cap counts stand.
    for item in request.items:
        if stream_id is not None and (stream_id, item.product_id) in lineup:
            sold[(stream_id, item.product_id)] += item.quantity
    for line_takes, item in zip(order_takes, request.items, strict=True):
        _apply(stock[item.product_id], line_takes)
    return None, order_lines, order_takes


def _take(stock: _Stock, quantity: int) -> list[tuple[int, int]]:
    takes: list[tuple[int, int]] = []
    need = quantity
    for lot_id, remaining in stock.lots:
        if need == 0:
            break
        if remaining <= 0:
            continue
        take = min(remaining, need)
        takes.append((lot_id, take))
        need -= take
    return takes


def _apply(stock: _Stock, takes: list[tuple[int, int]]) -> None:
    taken = dict(takes)
    for entry in stock.lots:
        entry[1] -= taken.get(entry[0], 0)
