"""Placing orders: the order write path's rules, on the stock kernel (``shop.orders.stock``).

``place_batch`` places many orders in the caller's one transaction, in arrival order:

- units come from the product's oldest lots first; an order takes all its units or none (``OutOfStock``
  naming the short item); the kernel takes them with a conditional update under the transaction's write
  lock, and a CHECK keeps every lot at zero or more whatever happens;
- an ``Idempotency-Key`` replays the first answer, and the same key with another body is refused;
- ``(village, source, external_id)`` makes a retried platform order harmless: the existing order answers;
- an order without a stream is attributed to the village's stream on air now whose lineup holds its
  product, and a stream's lineup price and quantity cap apply to it.

Each request gets a domain answer: the ``PlacedOrder`` (created now, existing, or replayed) or the
``DomainError`` that says why not; the doors turn them into HTTP. Batching is what makes it fast: one round
of reads and one round of writes for the whole batch, so a burst of orders costs a handful of statements
and one commit (see ``shop.orders.writer``).
"""

from __future__ import annotations

import enum
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy.engine import Connection

from shop.accounts.principal import Principal
from shop.errors import N_, Conflict, DomainError, InvalidInput, NotFound, OutOfStock, Unprocessable
from shop.orders.models import (
    HOLDS_STOCK,
    IdempotencyRecord,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
)
from shop.orders.stock import (
    ADDRESS_MAX,
    BUYER_NAME_MAX,
    BUYER_PHONE_MAX,
    NOTE_MAX,
    Driver,
    NewOrderRows,
    StockBook,
    insert_rows,
    load_stock,
    reserve_id_ranges,
)
from shop.privacy import mask_address, mask_phone
from shop.streams.models import StreamStatus

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


class Placement(enum.StrEnum):
    """How placing answered: the order was created now, a platform order seen before answered with the order
    it already is, or a request repeating an Idempotency-Key got the first answer again."""

    CREATED = "created"
    EXISTING = "existing"
    REPLAYED = "replayed"


@dataclass(frozen=True, slots=True)
class PlacedItem:
    product_id: int
    quantity: int
    unit_price_fen: int


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    """An order as placing answers for it. The buyer's phone and address are masked: this answer goes back
    to whoever placed the order and is kept, as it was first given, for replays of its Idempotency-Key."""

    id: int
    source: str
    external_id: str | None
    status: str
    stream_id: int | None
    total_fen: int
    buyer_name: str
    buyer_phone: str
    address: str
    backorder: bool
    placed_at: datetime
    items: tuple[PlacedItem, ...]
    placement: Placement = Placement.CREATED

    def kept(self) -> str:
        """The answer as stored for replays (the same keys the API's first answer had)."""
        return json.dumps(
            {
                "id": self.id,
                "source": self.source,
                "external_id": self.external_id,
                "status": self.status,
                "stream_id": self.stream_id,
                "total_fen": self.total_fen,
                "buyer_name": self.buyer_name,
                "buyer_phone": self.buyer_phone,
                "address": self.address,
                "backorder": self.backorder,
                "placed_at": self.placed_at.isoformat(),
                "items": [
                    {"product_id": i.product_id, "quantity": i.quantity, "unit_price_fen": i.unit_price_fen}
                    for i in self.items
                ],
            },
            ensure_ascii=False,
        )

    @classmethod
    def replayed(cls, kept: str) -> PlacedOrder:
        data = json.loads(kept)
        return cls(
            id=data["id"],
            source=data["source"],
            external_id=data["external_id"],
            status=data["status"],
            stream_id=data["stream_id"],
            total_fen=data["total_fen"],
            buyer_name=data["buyer_name"],
            buyer_phone=data["buyer_phone"],
            address=data["address"],
            backorder=data.get("backorder", False),
            placed_at=datetime.fromisoformat(data["placed_at"]),
            items=tuple(PlacedItem(i["product_id"], i["quantity"], i["unit_price_fen"]) for i in data["items"]),
            placement=Placement.REPLAYED,
        )


PlaceAnswer = PlacedOrder | DomainError


def place_batch(conn: Connection, requests: Sequence[OrderRequest], now: datetime) -> list[PlaceAnswer]:
    """Place ``requests`` in order inside the caller's transaction on ``conn``; the caller commits.

    Synchronous on purpose: on SQLite the writer runs it in its own thread with a plain sqlite3
    connection (no round trip through an event loop per statement); on PostgreSQL it runs through
    ``AsyncConnection.run_sync``.
    """
    answers: list[PlaceAnswer | None] = [None] * len(requests)
    first_with_key, waiting = _replay_idempotency_keys(conn, requests, answers)
    driver = Driver(conn, now)
    products, villages = _check_products(driver, requests, answers, waiting)
    _answer_known_platform_orders(conn, requests, villages, answers)
    pending = [i for i in villages if answers[i] is None]
    if pending:
        _place(driver, requests, pending, villages, products, answers)
    _answer_repeated_keys(requests, first_with_key, waiting, answers)
    return [_given(answer) for answer in answers]


def _given(answer: PlaceAnswer | None) -> PlaceAnswer:
    if answer is None:
        raise AssertionError("every request of a batch is answered")
    return answer


def _replay_idempotency_keys(
    conn: Connection, requests: Sequence[OrderRequest], answers: list[PlaceAnswer | None]
) -> tuple[dict[tuple[str, str], int], set[int]]:
    """A key seen in an earlier batch replays its first answer (or is refused with another body). Of a new
    key, the first request of the batch is noted; the later ones with it wait for its answer."""
    keyed = [(i, r) for i, r in enumerate(requests) if r.idempotency_key]
    if not keyed:
        return {}, set()
    table = IdempotencyRecord.__table__
    pairs = list({(r.owner, r.idempotency_key) for _, r in keyed})
    rows = conn.execute(select(table).where(tuple_(table.c.owner, table.c.key).in_(pairs))).mappings()
    stored = {(record["owner"], record["key"]): record for record in rows}
    first_with_key: dict[tuple[str, str], int] = {}
    waiting: set[int] = set()
    for i, r in keyed:
        slot = (r.owner, r.idempotency_key or "")
        record = stored.get(slot)
        if record is not None:
            same = record["request_hash"] == r.request_hash
            answers[i] = PlacedOrder.replayed(record["response"]) if same else _key_reused()
        elif slot in first_with_key:
            waiting.add(i)
        else:
            first_with_key[slot] = i
    return first_with_key, waiting


def _answer_repeated_keys(
    requests: Sequence[OrderRequest],
    first_with_key: dict[tuple[str, str], int],
    waiting: set[int],
    answers: list[PlaceAnswer | None],
) -> None:
    """Requests that repeated an Idempotency-Key within this batch get the first one's answer."""
    for i in sorted(waiting):
        r = requests[i]
        first = first_with_key[(r.owner, r.idempotency_key or "")]
        answer = answers[first]
        if requests[first].request_hash != r.request_hash:
            answers[i] = _key_reused()
        elif isinstance(answer, PlacedOrder):
            answers[i] = replace(answer, placement=Placement.REPLAYED)
        else:
            answers[i] = answer


def _key_reused() -> DomainError:
    return Unprocessable(
        N_("This Idempotency-Key was already used for a different order; use a new key for a new order."),
        field="Idempotency-Key",
    )


def _check_products(
    driver: Driver, requests: Sequence[OrderRequest], answers: list[PlaceAnswer | None], waiting: set[int]
) -> tuple[dict[int, Any], dict[int, int]]:
    """Every item must be a product the caller reaches, all of one village, on sale: the batch's products,
    and the village of each request that passed."""
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
        if answers[i] is not None or i in waiting:
            continue
        error = _check_items(r, products)
        if error is not None:
            answers[i] = error
        else:
            villages[i] = products[r.items[0].product_id].village_id
    return products, villages


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


def _answer_known_platform_orders(
    conn: Connection, requests: Sequence[OrderRequest], villages: dict[int, int], answers: list[PlaceAnswer | None]
) -> None:
    """A platform order seen before (same village, source and external id) answers with the existing order."""
    wanted = {
        (villages[i], r.source, r.external_id): i
        for i, r in enumerate(requests)
        if answers[i] is None and r.external_id
    }
    if not wanted:
        return
    orders = Order.__table__
    rows = (
        conn.execute(
            select(orders).where(tuple_(orders.c.village_id, orders.c.source, orders.c.external_id).in_(list(wanted)))
        )
        .mappings()
        .all()
    )
    if not rows:
        return
    lines = OrderLine.__table__
    items: dict[int, list[PlacedItem]] = defaultdict(list)
    for line in conn.execute(
        select(lines.c.order_id, lines.c.product_id, lines.c.quantity, lines.c.unit_price_fen)
        .where(lines.c.order_id.in_([row["id"] for row in rows]))
        .order_by(lines.c.id)
    ):
        items[line.order_id].append(PlacedItem(line.product_id, line.quantity, line.unit_price_fen))
    for row in rows:
        answers[wanted[(row["village_id"], row["source"], row["external_id"] or "")]] = PlacedOrder(
            id=row["id"],
            source=row["source"],
            external_id=row["external_id"],
            status=row["status"],
            stream_id=row["stream_id"],
            total_fen=row["total_fen"],
            buyer_name=row["buyer_name"],
            buyer_phone=mask_phone(row["buyer_phone"]),
            address=mask_address(row["address"]),
            backorder=row["backorder"],
            placed_at=row["placed_at"],
            items=tuple(items[row["id"]]),
            placement=Placement.EXISTING,
        )


@dataclass
class _Streams:
    """The streams a batch's orders name or may be attributed to, and their lineups' prices and caps."""

    rows: dict[int, Any] = field(default_factory=dict)
    lineup: dict[tuple[int, int], Any] = field(default_factory=dict)  # (stream, product) → its lineup item
    on_air: dict[tuple[int, int], int] = field(default_factory=dict)  # (village, product) → the stream on air
    sold: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))  # units under caps

    def stream_for(self, request: OrderRequest, village: int) -> int | DomainError | None:
        """The request's stream (named, else the one on air selling its products), or why it cannot be."""
        if request.stream_id is not None:
            stream = self.rows.get(request.stream_id)
            if stream is None or stream.village_id != village:
                return NotFound(N_("There is no stream %(id)s."), field="stream_id", id=request.stream_id)
            return request.stream_id
        return next(
            (self.on_air[(village, i.product_id)] for i in request.items if (village, i.product_id) in self.on_air),
            None,
        )


def _load_streams(
    driver: Driver,
    requests: Sequence[OrderRequest],
    pending: list[int],
    villages: dict[int, int],
    product_ids: list[int],
) -> _Streams:
    """Streams named by the batch, and the ones on air now in its villages (to attribute orders by time window
    and lineup), with the lineup items of the batch's products and the units already sold under their caps."""
    found = _Streams()
    named = {requests[i].stream_id for i in pending if requests[i].stream_id}
    on_air_villages = {villages[i] for i in pending if not requests[i].stream_id}
    if not named and not on_air_villages:
        return found
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
    found.rows = {row.id: row for row in driver.rows(sql, params)}
    if not found.rows:
        return found
    in_streams, stream_params = driver.among("stream_id", list(found.rows))
    in_products, product_params = driver.among("product_id", product_ids)
    for item in driver.rows(
        "SELECT stream_id, product_id, live_price_fen, quantity_cap FROM lineup_item "  # noqa: S608 - marks only
        f"WHERE {in_streams} AND {in_products}",
        [*stream_params, *product_params],
    ):
        found.lineup[(item.stream_id, item.product_id)] = item
    for (stream_id, product_id), _item in sorted(found.lineup.items()):
        stream = found.rows[stream_id]
        if stream_id not in named or stream.status == StreamStatus.LIVE.value:
            found.on_air.setdefault((stream.village_id, product_id), stream_id)
    capped = [(s, p) for (s, p), item in found.lineup.items() if item.quantity_cap is not None]
    if capped:
        rows = driver.conn.execute(
            select(Order.stream_id, OrderLine.product_id, func.sum(OrderLine.quantity))
            .join(Order, Order.id == OrderLine.order_id)
            .where(tuple_(Order.stream_id, OrderLine.product_id).in_(capped), Order.status.in_(HOLDS_STOCK))
            .group_by(Order.stream_id, OrderLine.product_id)
        )
        for stream_id, product_id, total in rows.all():
            found.sold[(stream_id, product_id)] = int(total or 0)
    return found


@dataclass(slots=True)
class _NewOrder:
    """An order the batch will write: its request, village, stream, lines and the lot units of each line."""

    index: int
    request: OrderRequest
    village_id: int
    stream_id: int | None
    lines: list[PlacedItem]
    takes: list[list[tuple[int, int]]]

    @property
    def total_fen(self) -> int:
        return sum(line.quantity * line.unit_price_fen for line in self.lines)


def _place(
    driver: Driver,
    requests: Sequence[OrderRequest],
    pending: list[int],
    villages: dict[int, int],
    products: dict[int, Any],
    answers: list[PlaceAnswer | None],
) -> None:
    """The pending requests' orders: each takes all its units or is refused; then they are written at once."""
    product_ids = list({item.product_id for i in pending for item in requests[i].items})
    streams = _load_streams(driver, requests, pending, villages, product_ids)
    stock = load_stock(driver, product_ids)
    new_orders: list[_NewOrder] = []
    for i in pending:
        request = requests[i]
        stream_id = streams.stream_for(request, villages[i])
        if isinstance(stream_id, DomainError):
            answers[i] = stream_id
            continue
        taken = _take_units(request, stream_id, products, streams, stock)
        if isinstance(taken, DomainError):
            answers[i] = taken
            continue
        lines, takes = taken
        new_orders.append(_NewOrder(i, request, villages[i], stream_id, lines, takes))
    if not new_orders:
        return
    stock.write(driver)
    for new, placed in zip(new_orders, _write_orders(driver, new_orders), strict=True):
        answers[new.index] = placed
    _keep_idempotent_answers(driver, new_orders, answers)


def _take_units(
    request: OrderRequest, stream_id: int | None, products: dict[int, Any], streams: _Streams, stock: StockBook
) -> tuple[list[PlacedItem], list[list[tuple[int, int]]]] | OutOfStock:
    """All of the order's units from the oldest lots at the stream's price, or the reason it gets none."""
    lines: list[PlacedItem] = []
    for item in request.items:
        product = products[item.product_id]
        listed = streams.lineup.get((stream_id, item.product_id)) if stream_id is not None else None
        if stream_id is not None and listed is not None and listed.quantity_cap is not None:
            left = listed.quantity_cap - streams.sold[(stream_id, item.product_id)]
            if item.quantity > left:
                return OutOfStock(
                    N_("Only %(left)d %(unit)s of %(name)s may still be sold in this stream (cap %(cap)d)."),
                    field="items",
                    left=max(0, left),
                    unit=product.unit,
                    name=product.name,
                    cap=listed.quantity_cap,
                )
        available = stock.available(item.product_id)
        if item.quantity > available:
            return OutOfStock(
                N_("Only %(left)d %(unit)s of %(name)s left; nothing was taken."),
                field="items",
                left=available,
                unit=product.unit,
                name=product.name,
            )
        price = listed.live_price_fen if listed is not None and listed.live_price_fen is not None else product.price_fen
        lines.append(PlacedItem(item.product_id, item.quantity, price))
    # Only now, with every item covered, do the takes and the cap counts stand.
    takes = [stock.take(line.product_id, line.quantity)[0] for line in lines]
    for line in lines:
        if stream_id is not None and (stream_id, line.product_id) in streams.lineup:
            streams.sold[(stream_id, line.product_id)] += line.quantity
    return lines, takes


def _write_orders(driver: Driver, new_orders: list[_NewOrder]) -> list[PlacedOrder]:
    """The batch's orders, lines, lot allocations and first status changes, each table in one statement."""
    conn = driver.conn
    order_ids, line_ids = reserve_id_ranges(
        conn,
        [(Order.__tablename__, len(new_orders)), (OrderLine.__tablename__, sum(len(o.lines) for o in new_orders))],
    )
    stamp = driver.now
    placed, no = OrderStatus.PLACED.value, driver.flag(False)
    rows = NewOrderRows()
    next_line = iter(line_ids)
    for order_id, new in zip(order_ids, new_orders, strict=True):
        request = new.request
        village, source = new.village_id, request.source
        created_by = request.actor.user_id or None
        rows.orders.append(
            (
                order_id,
                village,
                source,
                request.external_id,
                new.stream_id,
                placed,
                request.buyer_name[:BUYER_NAME_MAX],
                request.buyer_phone[:BUYER_PHONE_MAX],
                request.address[:ADDRESS_MAX],
                new.total_fen,
                request.note[:NOTE_MAX],
                "",
                "",
                no,
                created_by,
                stamp,
                None,
                None,
                None,
                None,
                None,
                stamp,
                stamp,
            )
        )
        for line, line_takes in zip(new.lines, new.takes, strict=True):
            line_id = next(next_line)
            rows.lines.append(
                (
                    line_id,
                    order_id,
                    line.product_id,
                    village,
                    source,
                    line.quantity,
                    line.unit_price_fen,
                    None,
                    0,
                    0,
                    stamp,
                    stamp,
                )
            )
            rows.allocations.extend(
                (line_id, lot_id, quantity, village, stamp, stamp) for lot_id, quantity in line_takes
            )
        rows.changes.append((order_id, village, None, placed, "user", created_by, source, stamp, stamp, stamp))
    rows.insert(conn)
    return [_placed(order_id, new, driver.at) for order_id, new in zip(order_ids, new_orders, strict=True)]


def _placed(order_id: int, new: _NewOrder, placed_at: datetime) -> PlacedOrder:
    request = new.request
    return PlacedOrder(
        id=order_id,
        source=request.source,
        external_id=request.external_id,
        status=OrderStatus.PLACED.value,
        stream_id=new.stream_id,
        total_fen=new.total_fen,
        buyer_name=request.buyer_name[:BUYER_NAME_MAX],
        buyer_phone=mask_phone(request.buyer_phone[:BUYER_PHONE_MAX]),
        address=mask_address(request.address[:ADDRESS_MAX]),
        backorder=False,
        placed_at=placed_at,
        items=tuple(new.lines),
    )


def _keep_idempotent_answers(driver: Driver, new_orders: list[_NewOrder], answers: list[PlaceAnswer | None]) -> None:
    """The first answer of each request that came with an Idempotency-Key, for its replays."""
    stamp = driver.now
    rows = []
    for new in new_orders:
        request = new.request
        answer = answers[new.index]
        if request.idempotency_key and isinstance(answer, PlacedOrder):
            kept = answer.kept()
            rows.append((request.owner, request.idempotency_key, request.request_hash, kept, 201, stamp, stamp))
    insert_rows(driver.conn, cast(Table, IdempotencyRecord.__table__), _IDEMPOTENCY_COLUMNS, rows)


# An Idempotency-Key's first answer: only a created order's is kept, so its status is always 201.
_IDEMPOTENCY_COLUMNS = ("owner", "key", "request_hash", "response", "status_code", "created_at", "updated_at")
