"""One committed chunk of a platform-export import: whole orders, written with a handful of bulk statements.

Synchronous Core over a ``Connection`` (run in the import's own thread on SQLite, through ``run_sync`` on
PostgreSQL), like ``placing.place_batch``. Per chunk: one lookup of the orders, line keys and held lines it
names; then new orders with their lines, lot allocations and first status change go in by executemany
with reserved ids; unmatched orders go to the holding area; status moves of known orders are handed back
for ``change_status``. The chunk's progress is written to its OrderImport row in the same transaction, so
a killed import leaves whole chunks behind and nothing half-written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from shop.catalogue.models import Lot
from shop.errors import N_
from shop.orders.exports import ExportLine
from shop.orders.matching import ProductRef, load_matcher, product_label
from shop.orders.models import Allocation, HeldLine, Order, OrderImport, OrderLine, OrderStatus, StatusChange
from shop.orders.placing import StockChangedError, reserve_ids
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
class Standing:
    """What the export says of a whole order: its status and the lines that were sold."""

    status: str
    lines: list[ExportLine]
    any_refunded: bool


def order_standing(lines: Sequence[ExportLine]) -> Standing:
    """The order's status from its lines (the model keeps one status per order).

    A line closed or refunded before shipping was never sold; a line refunded after shipping is left out
    of an order that otherwise stands, so no household is credited for money the buyer got back. An order
    is refunded only when every sold line was.
    """
    if len(lines) == 1:
        # Three orders in four have one line: the same rules, without the lists.
        line = lines[0]
        if not line.refunded:
            return Standing(line.order_status, list(lines), False)
        closed = line.order_status in (CANCELLED, PLACED, PAID)
        return Standing(CANCELLED if closed else REFUNDED, list(lines), True)
    any_refunded = any(line.refunded for line in lines)
    sold = [
        line
        for line in lines
        if line.order_status != CANCELLED and not (line.refunded and line.order_status in (PLACED, PAID))
    ]
    if not sold:
        return Standing(CANCELLED, list(lines), any_refunded)
    kept = [line for line in sold if not line.refunded]
    if not kept:
        return Standing(REFUNDED, sold, any_refunded)
    status = max((line.order_status for line in kept), key=_RANK.__getitem__)
    return Standing(status, kept, any_refunded)


def plan_steps(
    current: str, standing: Standing, lines: Sequence[ExportLine]
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


def _sqlite_time(value: datetime | None) -> str | None:
    # Exactly what SQLAlchemy's SQLite DATETIME writes (UTC, microseconds always), so raw inserts compare
    # and read back like ORM ones.
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _as_is(value: datetime | None) -> datetime | None:
    return value


def _sql_literal(value: Any) -> str:
    """Our own constants (ids, platform names, times) as SQL text; never a buyer's data."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, datetime):
        # An aware time as an ISO literal with its offset: both databases read it exactly.
        return "'" + _sqlite_time(value) + "'" if value.tzinfo is None else "'" + value.isoformat() + "'"
    return "'" + str(value).replace("'", "''") + "'"


def _insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    constants: Mapping[str, Any],
) -> None:
    """executemany without RETURNING, straight to the driver. ``constants`` are the same for every row.

    The rows go to the driver as plain tuples (SQLite: formatted times; PostgreSQL: aware datetimes) and the
    constants are written into the statement: binding fewer values, without SQLAlchemy's per-value
    processing, is several times faster at 100,000 rows.
    """
    if not rows:
        return
    if conn.dialect.paramstyle == "numeric_dollar":
        marks = [f"${number}" for number in range(1, len(columns) + 1)]
    else:
        marks = ["?"] * len(columns)
    names = ", ".join([*columns, *constants])
    values = ", ".join(marks + [_sql_literal(value) for value in constants.values()])
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({values})", rows)  # noqa: S608


# What varies from row to row; the rest of each table's columns are the chunk's constants.
_ORDER_COLUMNS = (
    "id",
    "external_id",
    "stream_id",
    "status",
    "buyer_name",
    "buyer_phone",
    "address",
    "total_fen",
    "note",
    "tracking_no",
    "backorder",
    "placed_at",
    "paid_at",
    "shipped_at",
    "completed_at",
    "cancelled_at",
    "refunded_at",
)
_LINE_COLUMNS = ("id", "order_id", "product_id", "quantity", "unit_price_fen", "line_key", "short_quantity")
_ALLOCATION_COLUMNS = ("line_id", "lot_id", "quantity")
_CHANGE_COLUMNS = ("order_id", "to_status")


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
        Order.__table__,
        ("id", "external_id", "status"),
        {"village_id": job.village_id, "source": job.platform},
        "external_id",
        [group.order_no for group in job.groups],
    )
    return {external_id: (order_id, status) for order_id, external_id, status in rows}


def _existing_line_keys(conn: Connection, job: ChunkJob, keys: list[str]) -> dict[str, int]:
    rows = _rows_for_keys(
        conn,
        OrderLine.__table__,
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
        HeldLine.__table__,
        ("id", "line_key", "resolved_at"),
        {"village_id": job.village_id, "platform": job.platform},
        "line_key",
        keys,
    )
    return {line_key: (held_id, resolved_at is None) for held_id, line_key, resolved_at in rows}


def _stock(conn: Connection, product_ids: set[int]) -> dict[int, list[list[int]]]:
    """Each product's lots with units left, oldest first: [[lot_id, remaining], …]."""
    if not product_ids:
        return {}
    lots = Lot.__table__.c
    query = (
        select(lots.id, lots.product_id, lots.received_on, lots.remaining)
        .where(lots.product_id.in_(product_ids), lots.remaining > 0)
        .order_by(lots.id)
    )
    if conn.dialect.name == "postgresql":
        # Locked in id order, as the live write path does, so the two never deadlock.
        query = query.with_for_update()
    stock: dict[int, list[list[int]]] = defaultdict(list)
    for lot_id, product_id, _received_on, remaining in sorted(conn.execute(query).all(), key=lambda r: (r[2], r[0])):
        stock[product_id].append([lot_id, remaining])
    return stock


def _take(lots: list[list[int]], quantity: int) -> tuple[list[tuple[int, int]], int]:
    """Units from the oldest lots first; returns the takes and the units no lot could cover."""
    takes: list[tuple[int, int]] = []
    need = quantity
    for entry in lots:
        if need == 0:
            break
        if entry[1] <= 0:
            continue
        take = min(entry[1], need)
        entry[1] -= take
        takes.append((entry[0], take))
        need -= take
    return takes, need


def _stream_for(streams: Sequence[StreamWindow], placed_at: datetime, product_ids: set[int]) -> int | None:
    for stream in streams:
        if stream.starts_at <= placed_at < stream.ends_at and not stream.product_ids.isdisjoint(product_ids):
            return stream.id
    return None


@dataclass(slots=True)
class _NewOrder:
    group: OrderGroup
    standing: Standing
    products: list[ProductRef]


def write_chunk(conn: Connection, job: ChunkJob) -> ChunkResult:
    """Write one chunk of whole orders inside the caller's transaction on ``conn``; the caller commits."""
    result = ChunkResult(rows=sum(len(group.lines) for group in job.groups))
    existing = _existing_orders(conn, job)
    fresh = [group for group in job.groups if group.order_no not in existing]
    fresh_keys = [line.line_no for group in fresh for line in group.lines]
    taken_keys = _existing_line_keys(conn, job, fresh_keys)
    held_rows = _existing_held(conn, job, [line.line_no for group in job.groups for line in group.lines])
    matcher = load_matcher(conn, job.village_id, job.platform)
    resolved: list[int] = []

    for group in job.groups:
        known = existing.get(group.order_no)
        if known is None:
            continue
        order_id, current = known
        # An order that exists here no longer waits in the holding area (it was imported meanwhile).
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

    new_orders: list[_NewOrder] = []
    held_groups: list[tuple[OrderGroup, dict[str, Fault]]] = []
    for group in fresh:
        clash = _refusal(group, taken_keys)
        if clash is not None:
            result.rejected.append(clash)
            continue
        standing = order_standing(group.lines)
        faults: dict[str, Fault] = {}
        products: list[ProductRef] = []
        for line in group.lines:
            found = matcher.match(line.merchant_code, line.product_name)
            if isinstance(found, Fault):
                faults[line.line_no] = found
            else:
                products.append(found)
        if faults:
            held_groups.append((group, faults))
        else:
            by_line = dict(zip((line.line_no for line in group.lines), products, strict=True))
            new_orders.append(_NewOrder(group, standing, [by_line[line.line_no] for line in standing.lines]))

    _write_new_orders(conn, job, new_orders, result)
    for group, _faults in held_groups:
        for line in group.lines:
            entry = held_rows.get(line.line_no)
            if entry is not None and not entry[1]:
                # Resolved before, yet its order is not here: the secretary's later mapping was undone
                # (product deleted); hold it again rather than lose it.
                held_rows[line.line_no] = (entry[0], True)
    _hold(conn, job, held_groups, held_rows, result)
    resolved.extend(
        held_rows[line.line_no][0]
        for order in new_orders
        for line in order.group.lines
        if held_rows.get(line.line_no, (0, False))[1]
    )
    if resolved:
        held = HeldLine.__table__
        conn.execute(
            update(held)
            .where(held.c.id == bindparam("held_id"))
            .values(resolved_at=bindparam("resolved_at"), updated_at=bindparam("resolved_at")),
            [{"held_id": held_id, "resolved_at": job.now} for held_id in resolved],
        )
    if job.import_id is not None:
        imports = OrderImport.__table__
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
    return result


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


def _write_new_orders(conn: Connection, job: ChunkJob, new_orders: list[_NewOrder], result: ChunkResult) -> None:
    if not new_orders:
        return
    sqlite = conn.dialect.name == "sqlite"
    when: Callable[[datetime | None], Any] = _sqlite_time if sqlite else _as_is
    flag: Callable[[bool], Any] = int if sqlite else bool
    now = job.now
    now_value = when(now)
    stock = _stock(
        conn,
        {product.id for order in new_orders if order.standing.status != CANCELLED for product in order.products},
    )
    order_ids = reserve_ids(conn, Order.__tablename__, len(new_orders))
    line_ids = iter(reserve_ids(conn, OrderLine.__tablename__, sum(len(order.products) for order in new_orders)))
    order_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    allocation_rows: list[tuple[Any, ...]] = []
    change_rows: list[tuple[Any, ...]] = []
    taken_per_lot: dict[int, int] = defaultdict(int)
    streams = job.streams
    backorders = 0
    for order_id, order in zip(order_ids, new_orders, strict=True):
        status = order.standing.status
        takes_stock = status != CANCELLED
        total = 0
        short_any = False
        for line, product in zip(order.standing.lines, order.products, strict=True):
            line_id = next(line_ids)
            price = line.unit_price_fen if line.unit_price_fen is not None else product.price_fen
            total += price * line.quantity
            short = 0
            if takes_stock:
                takes, short = _take(stock[product.id], line.quantity)
                for lot_id, quantity in takes:
                    allocation_rows.append((line_id, lot_id, quantity))
                    taken_per_lot[lot_id] += quantity
                if short:
                    short_any = True
            line_rows.append((line_id, order_id, product.id, line.quantity, price, line.line_no, short))
        lines = order.group.lines
        first = lines[0]
        if len(lines) == 1:
            placed_at = first.created_at or now
            paid_at = first.paid_at
            completed_at = first.completed_at
            tracking_no = first.tracking_no
        else:
            placed_at = min((line.created_at for line in lines if line.created_at), default=now)
            paid_at = next((line.paid_at for line in lines if line.paid_at), None)
            completed_at = next((line.completed_at for line in lines if line.completed_at), None)
            tracking_no = next((line.tracking_no for line in lines if line.tracking_no), "")
        completed_at = (completed_at or now) if status in (COMPLETED, REFUNDED) else None
        stream_id = _stream_for(streams, placed_at, {product.id for product in order.products}) if streams else None
        order_rows.append(
            (
                order_id,
                order.group.order_no,
                stream_id,
                status,
                first.buyer_name[:50],
                first.buyer_phone[:20],
                first.address[:300],
                total,
                first.merchant_note[:300],
                tracking_no[:40],
                flag(short_any),
                when(placed_at),
                when(paid_at),
                # The export carries no shipping time: the import is when we learnt of it, which is what the
                # auto-confirm clock of a shipped order should count from.
                now_value if status == SHIPPED else None,
                when(completed_at),
                now_value if status == CANCELLED else None,
                now_value if status == REFUNDED else None,
            )
        )
        change_rows.append((order_id, status))
        backorders += short_any
    result.backorders += backorders
    if taken_per_lot:
        lots = Lot.__table__
        updated = conn.execute(
            update(lots)
            .where(lots.c.id == bindparam("lot_id"), lots.c.remaining >= bindparam("taken"))
            .values(remaining=lots.c.remaining - bindparam("taken")),
            [{"lot_id": lot_id, "taken": taken} for lot_id, taken in taken_per_lot.items()],
        )
        if updated.rowcount not in (-1, None) and updated.rowcount != len(taken_per_lot):
            raise StockChangedError
    stamps = {"created_at": now_value, "updated_at": now_value}
    village = {"village_id": job.village_id, "source": job.platform}
    _insert_rows(
        conn,
        Order.__table__,
        _ORDER_COLUMNS,
        order_rows,
        {**village, "courier": "", "created_by": job.actor_id, **stamps},
    )
    _insert_rows(conn, OrderLine.__table__, _LINE_COLUMNS, line_rows, {**village, **stamps})
    _insert_rows(conn, Allocation.__table__, _ALLOCATION_COLUMNS, allocation_rows, stamps)
    _insert_rows(
        conn,
        StatusChange.__table__,
        _CHANGE_COLUMNS,
        change_rows,
        {
            "from_status": None,
            "actor_kind": IMPORT_ACTOR,
            "actor_id": job.actor_id,
            "at": now_value,
            "note": f"import {job.import_id}" if job.import_id is not None else "import",
            **stamps,
        },
    )
    result.created += len(order_rows)


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
            values = {
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
    held = HeldLine.__table__
    if inserts:
        conn.execute(insert(held), inserts)
    if updates:
        keep_import = job.import_id is None
        values: dict[str, Any] = {
            name: bindparam(f"new_{name}")
            for name in ("reason", "data", "product_name", "merchant_code", "order_no", "resolved_at", "updated_at")
        }
        if not keep_import:
            values["import_id"] = bindparam("new_import_id")
        conn.execute(
            update(held).where(held.c.id == bindparam("held_id")).values(**values),
            [
                {"held_id": row["held_id"], **{f"new_{key}": value for key, value in row.items() if key != "held_id"}}
                for row in updates
            ],
        )
