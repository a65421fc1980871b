"""One committed chunk of a platform-export import: whole orders, written with a handful of bulk statements.

Synchronous Core over a ``Connection`` (run in the import's own thread on SQLite, through ``run_sync`` on
PostgreSQL), on the stock kernel (``shop.orders.stock``) like ``placing.place_batch``. Per chunk: one
lookup of the orders, line keys and held lines it names; then new orders with their lines, lot allocations
and first status change go in bulk with reserved ids; unmatched orders go to the holding area; status moves
of known orders are handed back for ``change_status``. The chunk's progress is written to its OrderImport
row in the same transaction, so a killed import leaves whole chunks behind and nothing half-written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.engine import Connection

from shop.errors import N_
from shop.orders.imports.exports import ExportLine
from shop.orders.imports.matching import ProductMatcher, ProductRef, load_matcher, product_label
from shop.orders.models import HeldLine, Order, OrderImport, OrderLine, OrderStatus
from shop.orders.stock import (
    ADDRESS_MAX,
    BUYER_NAME_MAX,
    BUYER_PHONE_MAX,
    LINES,
    NOTE_MAX,
    ORDERS,
    TRACKING_NO_MAX,
    Driver,
    NewOrderRows,
    StockBook,
    load_stock,
    reserve_id_ranges,
)
from shop.tabular import Fault, RowProblem

PLACED = OrderStatus.PLACED.value
PAID = OrderStatus.PAID.value
SHIPPED = OrderStatus.SHIPPED.value
COMPLETED = OrderStatus.COMPLETED.value
CANCELLED = OrderStatus.CANCELLED.value
REFUNDED = OrderStatus.REFUNDED.value
# The lifecycle's forward path; an import only ever moves an order along it (or cancels before shipping).
FORWARD = (PLACED, PAID, SHIPPED, COMPLETED, REFUNDED)
_RANK = {status: rank for rank, status in enumerate(FORWARD)}
# The widths of the columns ids go into: a longer id would be cut, and a cut id matches the wrong order.
HELD = cast(Table, HeldLine.__table__)  # declarative tables are Tables; SQLAlchemy types them as FromClause
IMPORTS = cast(Table, OrderImport.__table__)
MAX_ID_LENGTH = 64
IMPORT_ACTOR = "import"


@dataclass(slots=True)
class OrderGroup:
    """The lines of one platform order (主订单编号), in file order."""

    order_no: str
    lines: list[ExportLine]


@dataclass(frozen=True, slots=True)
class StreamWindow:
    """A stream of the village: its time on air and the products of its lineup (for attributing orders)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    product_ids: frozenset[int]


@dataclass(slots=True)
class ChunkJob:
    village_id: int
    platform: str
    import_id: int | None
    actor_id: int | None
    now: datetime
    groups: list[OrderGroup]
    streams: Sequence[StreamWindow] = ()


@dataclass(slots=True)
class Move:
    """A known order the export shows further along: the steps ``change_status`` takes it through."""

    order_id: int
    order_no: str
    row: int
    steps: list[tuple[str, datetime | None]]
    tracking_no: str


@dataclass(slots=True)
class ChunkResult:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    backorders: int = 0
    moves: list[Move] = field(default_factory=list)
    held: list[RowProblem] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ExportedStanding:
    """What the export says of a whole order: its status and the lines that were sold."""

    status: str
    lines: list[ExportLine]
    any_refunded: bool


def order_standing(lines: Sequence[ExportLine]) -> ExportedStanding:
    """The order's status from its lines (the model keeps one status per order).

    A line closed or refunded before shipping was never sold; a line refunded after shipping is left out
    of an order that otherwise stands, so no household is credited for money the buyer got back. An order
    is refunded only when every sold line was.
    """
    if len(lines) == 1:
        # Three orders in four have one line: the same rules, without the lists.
        line = lines[0]
        if not line.refunded:
            return ExportedStanding(line.order_status, list(lines), False)
        closed = line.order_status in (CANCELLED, PLACED, PAID)
        return ExportedStanding(CANCELLED if closed else REFUNDED, list(lines), True)
    any_refunded = any(line.refunded for line in lines)
    sold = [
        line
        for line in lines
        if line.order_status != CANCELLED and not (line.refunded and line.order_status in (PLACED, PAID))
    ]
    if not sold:
        return ExportedStanding(CANCELLED, list(lines), any_refunded)
    kept = [line for line in sold if not line.refunded]
    if not kept:
        return ExportedStanding(REFUNDED, sold, any_refunded)
    status = max((line.order_status for line in kept), key=_RANK.__getitem__)
    return ExportedStanding(status, kept, any_refunded)


def plan_steps(
    current: str, standing: ExportedStanding, lines: Sequence[ExportLine]
) -> list[tuple[str, datetime | None]] | None:
    """The moves from ``current`` to what the export says, each with the export's time for it when known.

    ``[]`` when there is nothing to do (the same status, or the export is older: never backwards);
    ``None`` when the export says closed but the order was already shipped here (not a move we may make).
    """
    target = standing.status
    if target == current or current in (CANCELLED, REFUNDED):
        return []
    if target == CANCELLED:
        if current in (PLACED, PAID):
            return [(CANCELLED, None)]
        if not standing.any_refunded:
            return None
        # Shipped, then refunded and closed on the platform: here that is completed, then refunded.
        target = REFUNDED
    if _RANK[target] <= _RANK[current]:
        return []
    paid_at = next((line.paid_at for line in lines if line.paid_at), None)
    completed_at = next((line.completed_at for line in lines if line.completed_at), None)
    when = {PAID: paid_at, COMPLETED: completed_at}
    steps = [(status, when.get(status)) for status in FORWARD[_RANK[current] + 1 : _RANK[target] + 1]]
    if current == PLACED and paid_at is None and target != PAID:
        # placed → shipped is a legal move; without a payment time the platform's 'paid' is not a fact we have.
        steps = [step for step in steps if step[0] != PAID]
    return steps


def line_data(line: ExportLine) -> dict[str, Any]:
    """An export line as JSON, kept with a held line so it can be imported later exactly as read."""
    data = asdict(line)
    for key in ("created_at", "paid_at", "completed_at"):
        value = data[key]
        data[key] = value.isoformat() if value is not None else None
    return data


def line_from_data(data: dict[str, Any]) -> ExportLine:
    values = dict(data)
    for key in ("created_at", "paid_at", "completed_at"):
        value = values.get(key)
        values[key] = datetime.fromisoformat(value) if value else None
    known = ExportLine.__dataclass_fields__
    return ExportLine(**{key: value for key, value in values.items() if key in known})


def _rows_for_keys(
    conn: Connection, table: Table, columns: Sequence[str], where: Mapping[str, Any], key: str, keys: Sequence[str]
) -> list[Any]:
    """Rows of ``table`` whose ``key`` column is one of ``keys`` (and that match ``where``), in one statement.

    Keys come as driver parameters, never as SQL text. Core's expanding IN would compile a parameter per
    key, which at thousands of keys per chunk costs more than the query; so SQLite gets plain placeholders
    and PostgreSQL one array.
    """
    if not keys:
        return []
    selected = ", ".join(columns)
    conditions = " AND ".join(f"{name} = ?" for name in where)
    if conn.dialect.name == "sqlite":
        found: list[Any] = []
        # SQLite allows 32,766 parameters in a statement.
        for start in range(0, len(keys), 30_000):
            part = list(keys[start : start + 30_000])
            marks = ", ".join("?" * len(part))
            sql = f"SELECT {selected} FROM {table.name} WHERE {conditions} AND {key} IN ({marks})"  # noqa: S608
            found.extend(conn.exec_driver_sql(sql, (*where.values(), *part)).all())
        return found
    # A join with the unnested keys, not "= ANY(array)": under a generic plan PostgreSQL may scan the table
    # comparing every row with every key, which at 100,000 rows and 4,000 keys takes seconds per chunk.
    conditions = " AND ".join(f"{table.name}.{name} = ${number}" for number, name in enumerate(where, start=2))
    sql = (
        f"SELECT {', '.join(f'{table.name}.{name}' for name in columns)} FROM {table.name} "  # noqa: S608
        f"JOIN unnest($1::varchar[]) AS wanted(key) ON {table.name}.{key} = wanted.key WHERE {conditions}"
    )
    return list(conn.exec_driver_sql(sql, (list(keys), *where.values())).all())


def _existing_orders(conn: Connection, job: ChunkJob) -> dict[str, tuple[int, str]]:
    rows = _rows_for_keys(
        conn,
        ORDERS,
        ("id", "external_id", "status"),
        {"village_id": job.village_id, "source": job.platform},
        "external_id",
        [group.order_no for group in job.groups],
    )
    return {external_id: (order_id, status) for order_id, external_id, status in rows}


def _existing_line_keys(conn: Connection, job: ChunkJob, keys: list[str]) -> dict[str, int]:
    rows = _rows_for_keys(
        conn,
        LINES,
        ("line_key", "order_id"),
        {"village_id": job.village_id, "source": job.platform},
        "line_key",
        keys,
    )
    return dict(rows)


def _existing_held(conn: Connection, job: ChunkJob, keys: list[str]) -> dict[str, tuple[int, bool]]:
    """line_key → (held line id, still unresolved)."""
    rows = _rows_for_keys(
        conn,
        HELD,
        ("id", "line_key", "resolved_at"),
        {"village_id": job.village_id, "platform": job.platform},
        "line_key",
        keys,
    )
    return {line_key: (held_id, resolved_at is None) for held_id, line_key, resolved_at in rows}


def _stream_for(streams: Sequence[StreamWindow], placed_at: datetime, product_ids: set[int]) -> int | None:
    for stream in streams:
        if stream.starts_at <= placed_at < stream.ends_at and not stream.product_ids.isdisjoint(product_ids):
            return stream.id
    return None


@dataclass(slots=True)
class _ImportedOrder:
    """A new order ready to write: its status, the lines that were sold and the product of each."""

    group: OrderGroup
    status: str
    lines: Sequence[ExportLine]
    products: list[ProductRef]


def write_chunk(conn: Connection, job: ChunkJob) -> ChunkResult:
    """Write one chunk of whole orders inside the caller's transaction on ``conn``; the caller commits."""
    groups = job.groups
    keys = [line.line_no for group in groups for line in group.lines]
    result = ChunkResult(rows=len(keys))
    existing = _existing_orders(conn, job)
    fresh = [group for group in groups if group.order_no not in existing] if existing else groups
    fresh_keys = keys if fresh is groups else [line.line_no for group in fresh for line in group.lines]
    taken_keys = _existing_line_keys(conn, job, fresh_keys)
    held_rows = _existing_held(conn, job, keys)
    matcher = load_matcher(conn, job.village_id, job.platform)

    resolved = _known_orders(groups, existing, held_rows, result) if existing else []
    new_orders, held_groups = _sort_fresh(fresh, fresh_keys, taken_keys, matcher, result)
    _write_new_orders(conn, job, new_orders, result)
    _hold(conn, job, held_groups, held_rows, result)
    if held_rows:
        resolved.extend(
            held_rows[line.line_no][0]
            for order in new_orders
            for line in order.group.lines
            if held_rows.get(line.line_no, (0, False))[1]
        )
    _mark_resolved(conn, job, resolved)
    _record_progress(conn, job, result)
    return result


def _known_orders(
    groups: list[OrderGroup],
    existing: dict[str, tuple[int, str]],
    held_rows: dict[str, tuple[int, bool]],
    result: ChunkResult,
) -> list[int]:
    """Orders already here: the moves the export shows (into ``result``), or a duplicate, or a refusal.
    Returns the held lines they resolve (an order imported meanwhile no longer waits for a product)."""
    resolved: list[int] = []
    for group in groups:
        known = existing.get(group.order_no)
        if known is None:
            continue
        order_id, current = known
        resolved.extend(
            held_rows[line.line_no][0] for line in group.lines if held_rows.get(line.line_no, (0, False))[1]
        )
        standing = order_standing(group.lines)
        steps = plan_steps(current, standing, group.lines)
        first = group.lines[0]
        if steps is None:
            result.rejected.append(
                RowProblem(
                    first.row,
                    (
                        Fault(
                            N_(
                                "Order %(order)s was already shipped here, but the export says it was closed; an "
                                "order cannot be cancelled after shipping. Check it on the platform."
                            ),
                            {"order": group.order_no},
                        ),
                    ),
                )
            )
        elif steps:
            tracking = next((line.tracking_no for line in group.lines if line.tracking_no), "")
            result.moves.append(Move(order_id, group.order_no, first.row, steps, tracking))
        else:
            result.duplicates += 1
    return resolved


def _mark_resolved(conn: Connection, job: ChunkJob, resolved: list[int]) -> None:
    if not resolved:
        return
    held = HELD
    conn.execute(
        update(held)
        .where(held.c.id == bindparam("held_id"))
        .values(resolved_at=bindparam("resolved_at"), updated_at=bindparam("resolved_at")),
        [{"held_id": held_id, "resolved_at": job.now} for held_id in resolved],
    )


def _record_progress(conn: Connection, job: ChunkJob, result: ChunkResult) -> None:
    """The chunk's counts on its import's row, in the chunk's own transaction."""
    if job.import_id is None:
        return
    imports = IMPORTS
    conn.execute(
        update(imports)
        .where(imports.c.id == job.import_id)
        .values(
            processed_rows=imports.c.processed_rows + result.rows,
            created=imports.c.created + result.created,
            duplicates=imports.c.duplicates + result.duplicates,
            held=imports.c.held + len(result.held),
            updated_at=job.now,
        )
    )


def _sort_fresh(
    fresh: list[OrderGroup],
    fresh_keys: list[str],
    taken_keys: dict[str, int],
    matcher: ProductMatcher,
    result: ChunkResult,
) -> tuple[list[_ImportedOrder], list[tuple[OrderGroup, dict[str, Fault]]]]:
    """The chunk's orders not yet here: refused (into ``result``), to write, or to hold for a product."""
    new_orders: list[_ImportedOrder] = []
    held_groups: list[tuple[OrderGroup, dict[str, Fault]]] = []
    # Ids too long for their columns and keys in use are rare: look at each order only when the chunk has any.
    check_each = bool(taken_keys) or max(map(len, fresh_keys), default=0) > MAX_ID_LENGTH
    check_each = check_each or max((len(group.order_no) for group in fresh), default=0) > MAX_ID_LENGTH
    by_code = matcher.by_code
    match = matcher.match
    for group in fresh:
        lines = group.lines
        if check_each:
            clash = _refusal(group, taken_keys)
            if clash is not None:
                result.rejected.append(clash)
                continue
        if len(lines) == 1:
            # Three orders in four have one line: order_standing's rules and the matching, without the lists.
            line = lines[0]
            found = by_code.get(line.merchant_code) or match(line.merchant_code, line.product_name)
            if isinstance(found, Fault):
                held_groups.append((group, {line.line_no: found}))
            elif not line.refunded:
                new_orders.append(_ImportedOrder(group, line.order_status, lines, [found]))
            else:
                closed = line.order_status in (CANCELLED, PLACED, PAID)
                new_orders.append(_ImportedOrder(group, CANCELLED if closed else REFUNDED, lines, [found]))
            continue
        faults: dict[str, Fault] = {}
        products: dict[str, ProductRef] = {}
        for line in lines:
            found = match(line.merchant_code, line.product_name)
            if isinstance(found, Fault):
                faults[line.line_no] = found
            else:
                products[line.line_no] = found
        if faults:
            held_groups.append((group, faults))
        else:
            standing = order_standing(lines)
            new_orders.append(
                _ImportedOrder(
                    group, standing.status, standing.lines, [products[line.line_no] for line in standing.lines]
                )
            )
    return new_orders, held_groups


def _refusal(group: OrderGroup, taken_keys: dict[str, int]) -> RowProblem | None:
    """Why a new order cannot be written at all (ids too long for their columns, a 子订单编号 in use)."""
    for line in group.lines:
        if len(group.order_no) > MAX_ID_LENGTH or len(line.line_no) > MAX_ID_LENGTH:
            return RowProblem(
                line.row,
                (Fault(N_("The order or line number is longer than %(max)s characters."), {"max": MAX_ID_LENGTH}),),
            )
        if line.line_no in taken_keys:
            return RowProblem(
                line.row,
                (
                    Fault(
                        N_("Line %(line)s already belongs to another order here, not to order %(order)s."),
                        {"line": line.line_no, "order": group.order_no},
                    ),
                ),
            )
    return None


def _write_new_orders(conn: Connection, job: ChunkJob, new_orders: list[_ImportedOrder], result: ChunkResult) -> None:
    """The new orders, their lines, lot allocations (oldest lots first) and first status change, in bulk."""
    if not new_orders:
        return
    driver = Driver(conn, job.now)
    stock = load_stock(
        driver, list({product.id for order in new_orders if order.status != CANCELLED for product in order.products})
    )
    order_ids, line_ids = reserve_id_ranges(
        conn,
        [
            (Order.__tablename__, len(new_orders)),
            (OrderLine.__tablename__, sum(len(order.products) for order in new_orders)),
        ],
    )
    rows, backorders = _new_order_rows(job, driver, new_orders, stock, order_ids, line_ids)
    stock.write(driver)
    rows.insert(conn)
    result.created += len(rows.orders)
    result.backorders += backorders


def _new_order_rows(
    job: ChunkJob,
    driver: Driver,
    new_orders: list[_ImportedOrder],
    stock: StockBook,
    order_ids: list[int],
    line_ids: list[int],
) -> tuple[NewOrderRows, int]:
    """Every table's rows for the new orders, taking their units from ``stock``; and how many are short."""
    rows = _RowBuilder(job, driver, stock, line_ids)
    backorders = 0
    for order_id, order in zip(order_ids, new_orders, strict=True):
        backorders += rows.add(order_id, order)
    return rows.rows, backorders


class _RowBuilder:
    """A chunk's new rows, one order at a time. It runs once per order of the export, so it keeps what every
    order shares at hand (the chunk's constants, the bound ``append``s) rather than looking it up each time."""

    def __init__(self, job: ChunkJob, driver: Driver, stock: StockBook, line_ids: list[int]) -> None:
        self.rows = NewOrderRows()
        self.job = job
        self.when = driver.time
        self.flag = driver.flag
        self.stamp = stamp = driver.now
        self.note = f"import {job.import_id}" if job.import_id is not None else "import"
        self.take = stock.take
        self.next_line = iter(line_ids).__next__
        self.add_line, self.add_allocation = self.rows.lines.append, self.rows.allocations.append
        # The export carries no shipping time: the import is when we learnt of it, which is what the
        # auto-confirm clock of a shipped order should count from; likewise for a cancel or a refund.
        self.moved_at = {SHIPPED: stamp, CANCELLED: stamp, REFUNDED: stamp}

    def add(self, order_id: int, order: _ImportedOrder) -> bool:
        """The order's rows; True when some of its units had no lot to come from (a backorder)."""
        job, when, stamp, status = self.job, self.when, self.stamp, order.status
        total, short = self._lines(order_id, order)
        first = order.group.lines[0]
        placed_at, paid_at, completed_at, tracking_no = _order_facts(order.group.lines, job.now)
        streams = job.streams
        stream_id = _stream_for(streams, placed_at, {product.id for product in order.products}) if streams else None
        moved_at = self.moved_at.get(status)
        self.rows.orders.append(
            (
                order_id,
                job.village_id,
                job.platform,
                order.group.order_no,
                stream_id,
                status,
                first.buyer_name[:BUYER_NAME_MAX],
                first.buyer_phone[:BUYER_PHONE_MAX],
                first.address[:ADDRESS_MAX],
                total,
                first.merchant_note[:NOTE_MAX],
                "",
                tracking_no[:TRACKING_NO_MAX],
                self.flag(short),
                job.actor_id,
                when(placed_at),
                when(paid_at),
                moved_at if status == SHIPPED else None,
                when(completed_at or job.now) if status in (COMPLETED, REFUNDED) else None,
                moved_at if status == CANCELLED else None,
                moved_at if status == REFUNDED else None,
                stamp,
                stamp,
            )
        )
        self.rows.changes.append(
            (order_id, job.village_id, None, status, IMPORT_ACTOR, job.actor_id, self.note, stamp, stamp, stamp)
        )
        return short

    def _lines(self, order_id: int, order: _ImportedOrder) -> tuple[int, bool]:
        """The order's lines and their lot allocations (oldest lots first); its total, and whether any unit was
        short. A cancelled order takes no stock."""
        stamp, take, add_allocation = self.stamp, self.take, self.add_allocation
        village, platform = self.job.village_id, self.job.platform
        takes_stock = order.status != CANCELLED
        total = 0
        short_any = False
        for line, product in zip(order.lines, order.products, strict=True):
            line_id = self.next_line()
            quantity = line.quantity
            price = line.unit_price_fen
            if price is None:
                price = product.price_fen
            total += price * quantity
            short = 0
            if takes_stock:
                # What no lot covers is short: a backorder, never a refusal.
                takes, short = take(product.id, quantity)
                for lot_id, units in takes:
                    add_allocation((line_id, lot_id, units, village, stamp, stamp))
                short_any = short_any or bool(short)
            self.add_line(
                (
                    line_id,
                    order_id,
                    product.id,
                    village,
                    platform,
                    quantity,
                    price,
                    line.line_no,
                    short,
                    0,
                    stamp,
                    stamp,
                )
            )
        return total, short_any


def _order_facts(lines: Sequence[ExportLine], now: datetime) -> tuple[datetime, datetime | None, datetime | None, str]:
    """When a new order was placed, paid and completed, and its tracking number, as its lines say."""
    first = lines[0]
    if len(lines) == 1:
        # Three orders in four have one line.
        return first.created_at or now, first.paid_at, first.completed_at, first.tracking_no
    return (
        min((line.created_at for line in lines if line.created_at), default=now),
        next((line.paid_at for line in lines if line.paid_at), None),
        next((line.completed_at for line in lines if line.completed_at), None),
        next((line.tracking_no for line in lines if line.tracking_no), ""),
    )


def _hold(
    conn: Connection,
    job: ChunkJob,
    held_groups: list[tuple[OrderGroup, dict[str, Fault]]],
    held_rows: dict[str, tuple[int, bool]],
    result: ChunkResult,
) -> None:
    """Keep every line of an order with an unmatched product, each with its reason: orders stay whole."""
    if not held_groups:
        return
    for group, _faults in held_groups:
        for line in group.lines:
            entry = held_rows.get(line.line_no)
            if entry is not None and not entry[1]:
                # Resolved before, yet its order is not here: the secretary's later mapping was undone
                # (product deleted); hold it again rather than lose it.
                held_rows[line.line_no] = (entry[0], True)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for group, faults in held_groups:
        first_line, first_fault = next((line, faults[line.line_no]) for line in group.lines if line.line_no in faults)
        result.held.append(RowProblem(first_line.row, (first_fault,)))
        for line in group.lines:
            fault = faults.get(line.line_no) or Fault(
                N_("Waits for %(product)s of the same order to be matched."),
                {"product": product_label(first_line.product_name, first_line.merchant_code)},
            )
            data = line_data(line)
            data["fault"] = {"message": fault.message, "params": dict(fault.params)}
            data["unmatched"] = line.line_no in faults
            values: dict[str, Any] = {
                "reason": fault.render()[:300],
                "data": data,
                "product_name": line.product_name[:200],
                "merchant_code": line.merchant_code[:64],
                "order_no": group.order_no[:64],
                "resolved_at": None,
                "updated_at": job.now,
            }
            entry = held_rows.get(line.line_no)
            if entry is not None:
                values["held_id"] = entry[0]
                values["import_id"] = job.import_id
                updates.append(values)
            else:
                inserts.append(
                    {
                        **values,
                        "village_id": job.village_id,
                        "platform": job.platform,
                        "line_key": line.line_no[:64],
                        "import_id": job.import_id,
                        "created_at": job.now,
                    }
                )
    held = HELD
    if inserts:
        conn.execute(insert(held), inserts)
    if updates:
        keep_import = job.import_id is None
        new_values: dict[str, Any] = {
            name: bindparam(f"new_{name}")
            for name in ("reason", "data", "product_name", "merchant_code", "order_no", "resolved_at", "updated_at")
        }
        if not keep_import:
            new_values["import_id"] = bindparam("new_import_id")
        conn.execute(
            update(held).where(held.c.id == bindparam("held_id")).values(**new_values),
            [
                {"held_id": row["held_id"], **{f"new_{key}": value for key, value in row.items() if key != "held_id"}}
                for row in updates
            ],
        )
