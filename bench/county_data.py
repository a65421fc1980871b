"""Build a county's data in bulk for ``bench.county``: villages in townships, households, products, lots with
their contributions, streams, orders with their lines and allocations, the ledger's credits and payouts with
the balance and month rows kept beside them, exactly as the app would have written them (every
transaction sums to zero, every balance row agrees with its entries, so the nightly check finds nothing).

Rows go in by the driver's bulk path: ``executemany`` on one SQLite connection, binary ``COPY`` through
asyncpg on PostgreSQL. Ids are given here; PostgreSQL's sequences are moved past them at the end.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shop.timeutil import SHANGHAI

COUNTY = "朝阳县"
# The demo village's township first, so its officer's pages take in a township of bulk villages.
TOWNSHIPS = ("东大道乡", "木头城子镇", "王营子乡", "大平房镇", "六家子镇", "羊山镇", "胜利镇", "台子镇")
PASSWORD = "county-bench-2026"
PIN = "246810"
PRICES = (7500, 6800, 3600, 8800, 5800)
CATEGORIES = ("grain", "mushroom", "mushroom", "mountain", "craft")
PLATFORMS = ("douyin", "douyin", "kuaishou", "weixin", "manual")
PLATFORM_BP = {"douyin": 500, "kuaishou": 500, "weixin": 300, "direct": 0}
OPERATOR_BP = 300
COLLECTIVE_BP = 1000
LOT_DAYS = 14
OPEN_DAYS = 12  # orders younger than this are still on their way (placed, paid, shipped)


@dataclass(frozen=True)
class Size:
    name: str
    villages: int
    townships: int
    households: int  # per village
    years: int
    lines: int  # order lines per village per year

    @property
    def total_lines(self) -> int:
        return self.villages * self.years * self.lines


SIZES = (
    Size("village-year", villages=1, townships=1, households=100, years=1, lines=3_334),
    Size("county-year", villages=300, townships=15, households=100, years=1, lines=3_334),
    Size("county-5-years", villages=300, townships=15, households=100, years=5, lines=3_334),
)


def township_name(n: int) -> str:
    return TOWNSHIPS[n] if n < len(TOWNSHIPS) else f"第{n + 1}乡"


# The tables the bulk load fills by the hundred thousand: their secondary indexes are built after the load.
BULK_TABLES = (
    "shop_order",
    "order_line",
    "allocation",
    "order_status_change",
    "ledger_transaction",
    "ledger_entry",
    "payout",
    "household_month",
)


class Sink:
    """Where rows go: ``put(table, columns, rows)``; values already in the driver's form (see ``ts``)."""

    say: Callable[[str], None] | None = None  # where the finish's steps report their time

    def note(self, line: str) -> None:
        if self.say is not None:
            self.say(line)

    def ts(self, value: datetime) -> Any:
        raise NotImplementedError

    def day(self, value: date) -> Any:
        raise NotImplementedError

    def flag(self, value: bool) -> Any:
        raise NotImplementedError

    async def put(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError

    async def execute(self, sql: str) -> None:
        raise NotImplementedError

    async def finish(self, tables: Iterable[str]) -> None:
        raise NotImplementedError


class SqliteSink(Sink):
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        # A throwaway file built by one connection: no journal (the rows are written once, not once to the WAL
        # and again by the checkpoint), no fsync, a large page cache; the app's WAL mode is set back at the end.
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self.conn.execute("PRAGMA cache_size=-1000000")
        self.conn.execute("PRAGMA temp_store=MEMORY")
        # Secondary indexes go while the rows go in and are built once at the end (faster than row by row).
        self.indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
            f"({', '.join(repr(t) for t in BULK_TABLES)})"
        ).fetchall()
        for name, _ in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        self.conn.execute("BEGIN")

    def ts(self, value: datetime) -> str:
        # SQLAlchemy's SQLite DateTime text, in UTC, always with microseconds (rows compare as text)
        text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return text if len(text) > 19 else text + ".000000"

    def day(self, value: date) -> str:
        return value.isoformat()

    def flag(self, value: bool) -> int:
        return 1 if value else 0

    async def put(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join("?" for _ in columns)
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    async def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    async def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    async def finish(self, tables: Iterable[str]) -> None:
        self.conn.execute("COMMIT")
        started = time.perf_counter()
        for _, sql in self.indexes:
            self.conn.execute(sql)
        self.note(f"{len(self.indexes)} indexes built in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        self.conn.execute("ANALYZE")
        self.note(f"ANALYZE in {time.perf_counter() - started:.1f} s")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.close()


class PgSink(Sink):
    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.indexes: list[tuple[str, str]] = []

    @classmethod
    async def open(cls, dsn: str) -> PgSink:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        # The rows are consistent by construction: no foreign-key trigger per row while they go in.
        await conn.execute("SET session_replication_role = replica")
        sink = cls(conn)
        # Secondary indexes (not those of a primary key or unique constraint) are built once at the end.
        sink.indexes = [
            (r["indexname"], r["indexdef"])
            for r in await conn.fetch(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1::text[])"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                list(BULK_TABLES),
            )
        ]
        for name, _ in sink.indexes:
            await conn.execute(f'DROP INDEX "{name}"')
        return sink

    def ts(self, value: datetime) -> datetime:
        return value

    def day(self, value: date) -> date:
        return value

    def flag(self, value: bool) -> bool:
        return value

    async def put(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            await self.conn.copy_records_to_table(table, records=rows, columns=list(columns))

    async def commit(self) -> None:
        return None

    async def execute(self, sql: str) -> None:
        await self.conn.execute(sql)

    async def finish(self, tables: Iterable[str]) -> None:
        await self.conn.execute("SET session_replication_role = DEFAULT")
        started = time.perf_counter()
        for _, sql in self.indexes:
            await self.conn.execute(sql)
        self.note(f"{len(self.indexes)} indexes built in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        for table in tables:
            await self.conn.execute(
                f"SELECT setval('{table}_id_seq', greatest((SELECT coalesce(max(id), 0) FROM {table}), 1))"
            )
        await self.conn.execute("VACUUM ANALYZE")
        self.note(f"sequences and VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
        await self.conn.close()


VILLAGE = ("id", "name", "township", "county", "code_prefix", "show_household_names", "created_at", "updated_at")
HOUSEHOLD = (
    "id",
    "village_id",
    "code",
    "head_name",
    "phone",
    "pin_hash",
    "credential_generation",
    "active",
    "created_at",
    "updated_at",
)
USER = (
    "id",
    "username",
    "display_name",
    "phone",
    "role",
    "village_id",
    "township",
    "county",
    "password_hash",
    "credential_generation",
    "active",
    "calendar_secret",
    "created_at",
    "updated_at",
)
FEE_POLICY = (
    "id",
    "village_id",
    "platform_bp",
    "operator_bp",
    "collective_bp",
    "auto_complete_days",
    "effective_from",
    "created_at",
    "updated_at",
)
PRODUCT = (
    "id",
    "village_id",
    "name",
    "category",
    "unit",
    "price_fen",
    "merchant_code",
    "description",
    "story",
    "heritage",
    "low_stock_threshold",
    "active",
    "created_at",
    "updated_at",
)
LOT = (
    "id",
    "product_id",
    "village_id",
    "public_code",
    "received_on",
    "quantity",
    "remaining",
    "grade",
    "note",
    "show_names",
    "created_at",
    "updated_at",
)
CONTRIBUTION = ("id", "lot_id", "household_id", "quantity", "receipt_no", "created_at", "updated_at")
STREAM = (
    "id",
    "village_id",
    "title",
    "platform",
    "starts_at",
    "ends_at",
    "host_user_id",
    "status",
    "practice",
    "notes",
    "opening_minutes",
    "closing_minutes",
    "went_live_at",
    "ended_at",
    "revision",
    "created_at",
    "updated_at",
)
ORDER = (
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
    "placed_at",
    "paid_at",
    "shipped_at",
    "completed_at",
    "cancelled_at",
    "created_at",
    "updated_at",
)
LINE = (
    "id",
    "order_id",
    "product_id",
    "quantity",
    "unit_price_fen",
    "line_key",
    "village_id",
    "source",
    "short_quantity",
    "refunded_quantity",
    "created_at",
    "updated_at",
)
ALLOCATION = ("id", "line_id", "lot_id", "quantity", "village_id", "created_at", "updated_at")
STATUS_CHANGE = (
    "id",
    "order_id",
    "village_id",
    "from_status",
    "to_status",
    "actor_kind",
    "at",
    "note",
    "created_at",
    "updated_at",
)
TRANSACTION = (
    "id",
    "village_id",
    "kind",
    "dedupe_key",
    "order_id",
    "order_line_id",
    "payout_id",
    "policy_id",
    "quantity",
    "actor_kind",
    "posted_at",
    "memo",
    "created_at",
    "updated_at",
)
ENTRY = (
    "id",
    "transaction_id",
    "village_id",
    "account_kind",
    "account_ref",
    "household_id",
    "amount_fen",
    "units",
    "posted_at",
    "created_at",
    "updated_at",
)
BATCH = ("id", "village_id", "min_balance_fen", "method", "reference", "paid_at", "created_at", "updated_at")
PAYOUT = (
    "id",
    "village_id",
    "household_id",
    "amount_fen",
    "method",
    "reference",
    "batch_id",
    "paid_at",
    "created_at",
    "updated_at",
)
BALANCE = ("household_id", "village_id", "credited_fen", "paid_out_fen", "balance_fen", "owed_fen")
MONTH = ("household_id", "month", "village_id", "credited_fen", "units")

SEQUENCED = (
    "village",
    "household",
    "user_account",
    "fee_policy",
    "product",
    "lot",
    "contribution",
    "stream",
    "shop_order",
    "order_line",
    "allocation",
    "order_status_change",
    "ledger_transaction",
    "ledger_entry",
    "payout_batch",
    "payout",
)


class Ids:
    """The next id of each table, starting past what the database already holds."""

    def __init__(self, start: dict[str, int]) -> None:
        self.next = {table: start.get(table, 0) + 1 for table in SEQUENCED}

    def take(self, table: str, n: int = 1) -> int:
        first = self.next[table]
        self.next[table] = first + n
        return first


@dataclass
class Built:
    villages: int = 0
    households: int = 0
    orders: int = 0
    lines: int = 0
    transactions: int = 0
    entries: int = 0
    payouts: int = 0
    lots: int = 0
    streams: int = 0
    first_village_id: int = 0
    first_household_code: str = ""
    first_secretary: str = ""
    statement_month: str = ""


def _split(total: int, bp: int) -> int:
    return total * bp // 10_000


async def build_county(
    sink: Sink,
    size: Size,
    ids: Ids,
    password_hash: str,
    pin_hash: str,
    now: datetime,
    progress: Callable[[str], None] = lambda _: None,
    replicate_villages: bool = True,
) -> Built:
    """Every village of ``size`` with ``size.years`` of history up to ``now``, written through ``sink``."""
    built = Built()
    ts, day, flag = sink.ts, sink.day, sink.flag
    start = now - timedelta(days=365 * size.years)
    stamp = ts(now)
    per_township = max(1, size.villages // size.townships)
    lines_total = size.lines * size.years
    span = (now - start).total_seconds()
    first_ids = dict(ids.next)
    # One village is written row by row (its history from the generator below); the others are copies of it
    # made by the database (``replicate``): same history, their own ids, names and codes.
    for v in range(1 if replicate_villages else size.villages):
        township = township_name(min(v // per_township, size.townships - 1))
        village_id = ids.take("village")
        prefix = f"CX{v + 1:03d}"
        await sink.put(
            "village",
            VILLAGE,
            [(village_id, f"{township}第{v + 1}村", township, COUNTY, prefix, flag(False), stamp, stamp)],
        )
        first_household = ids.take("household", size.households)
        households = list(range(first_household, first_household + size.households))
        await sink.put(
            "household",
            HOUSEHOLD,
            [
                (
                    h,
                    village_id,
                    f"{prefix}-{n + 1:03d}",
                    f"户主{n + 1}",
                    "139" + f"{h:08d}"[-8:],
                    pin_hash,
                    0,
                    flag(True),
                    stamp,
                    stamp,
                )
                for n, h in enumerate(households)
            ],
        )
        secretary = ids.take("user_account")
        await sink.put(
            "user_account",
            USER,
            [
                (
                    secretary,
                    f"{prefix.lower()}-shuji",
                    "书记",
                    "",
                    "secretary",
                    village_id,
                    "",
                    "",
                    password_hash,
                    0,
                    flag(True),
                    secrets.token_urlsafe(18),
                    stamp,
                    stamp,
                )
            ],
        )
        policy = ids.take("fee_policy")
        await sink.put(
            "fee_policy",
            FEE_POLICY,
            [
                (
                    policy,
                    village_id,
                    json.dumps(PLATFORM_BP),
                    OPERATOR_BP,
                    COLLECTIVE_BP,
                    10,
                    ts(start - timedelta(days=1)),
                    stamp,
                    stamp,
                )
            ],
        )
        first_product = ids.take("product", len(PRICES))
        products = list(range(first_product, first_product + len(PRICES)))
        await sink.put(
            "product",
            PRODUCT,
            [
                (
                    p,
                    village_id,
                    f"特产{k + 1}号",
                    CATEGORIES[k],
                    "袋",
                    PRICES[k],
                    f"{prefix}-M{k + 1}",
                    "",
                    "",
                    flag(False),
                    0,
                    flag(True),
                    stamp,
                    stamp,
                )
                for k, p in enumerate(products)
            ],
        )
        # streams: two a week, the past ones ended, the next ones planned
        stream_rows, stream_times = [], []
        moment = start + timedelta(hours=12)
        while moment < now + timedelta(days=14):
            sid = ids.take("stream")
            ended = moment + timedelta(hours=2) < now
            stream_rows.append(
                (
                    sid,
                    village_id,
                    "村播专场",
                    "douyin",
                    ts(moment),
                    ts(moment + timedelta(hours=2)),
                    secretary,
                    "ended" if ended else "planned",
                    flag(False),
                    "",
                    5,
                    5,
                    ts(moment) if ended else None,
                    ts(moment + timedelta(hours=2)) if ended else None,
                    0,
                    stamp,
                    stamp,
                )
            )
            if ended:
                stream_times.append((moment, sid))
            moment += timedelta(hours=84)
        await sink.put("stream", STREAM, stream_rows)
        built.streams += len(stream_rows)

        # lots: one per product every two weeks, two households each (rotating through the village)
        lot_starts = []
        lot_meta: dict[int, tuple[int, date, tuple[int, int]]] = {}
        n_lots = int(span // (LOT_DAYS * 86400)) + 1
        for k, product in enumerate(products):
            per_product = []
            for n in range(n_lots):
                lot = ids.take("lot")
                received = (start + timedelta(days=LOT_DAYS * n)).astimezone(SHANGHAI).date()
                pair = (
                    households[(n * 7 + k * 2) % len(households)],
                    households[(n * 7 + k * 2 + 1) % len(households)],
                )
                lot_meta[lot] = (product, received, pair)
                per_product.append(lot)
            lot_starts.append(per_product)
        sold: dict[int, int] = defaultdict(int)

        # orders, lines, allocations, and the ledger for the completed ones
        balance: dict[int, list[int]] = {h: [0, 0] for h in households}  # credited, paid
        months: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
        orders, lines, allocations, changes, transactions, entries = [], [], [], [], [], []
        payout_rows, batch_rows = [], []
        step = span / lines_total
        n_line = 0
        order_n = 0
        next_payday = _month_end(start)
        while n_line < lines_total:
            placed = start + timedelta(seconds=step * n_line + (v % 97))
            while placed >= next_payday and next_payday < now - timedelta(days=OPEN_DAYS + 10):
                await _pay_month(
                    sink, ids, village_id, balance, next_payday, batch_rows, payout_rows, transactions, entries
                )
                next_payday = _month_end(next_payday + timedelta(days=1))
            order_n += 1
            n_in_order = 2 if order_n % 4 == 0 else 1
            order_id = ids.take("shop_order")
            age = now - placed
            platform = PLATFORMS[order_n % len(PLATFORMS)]
            source = "manual" if platform == "manual" else platform
            cancelled = order_n % 50 == 0
            if cancelled:
                status = "cancelled"
            elif age > timedelta(days=OPEN_DAYS):
                status = "completed"
            elif age > timedelta(days=6):
                status = "shipped"
            elif age > timedelta(days=2):
                status = "paid"
            else:
                status = "placed"
            stream_id = None
            if order_n % 3 == 0 and stream_times:
                stream_id = _latest_before(stream_times, placed)
            total = 0
            order_lines = []
            for i in range(n_in_order):
                k = (order_n + i) % len(products)
                product = products[k]
                quantity = 1 + (order_n + i) % 3
                price = PRICES[k]
                total += quantity * price
                line_id = ids.take("order_line")
                lot_index = min(int((placed - start).total_seconds() // (LOT_DAYS * 86400)), n_lots - 1)
                lot = lot_starts[k][lot_index]
                order_lines.append((line_id, product, quantity, price, lot))
            n_line += n_in_order
            posted = placed + timedelta(days=10)
            external = f"{prefix}{order_id}" if source != "manual" else None
            orders.append(
                (
                    order_id,
                    village_id,
                    source,
                    external,
                    stream_id,
                    status,
                    "张*",
                    "138****0000",
                    "辽宁省朝阳市**",
                    total,
                    "",
                    "中通" if status in ("shipped", "completed") else "",
                    "",
                    flag(False),
                    ts(placed),
                    ts(placed + timedelta(hours=1)) if status != "placed" else None,
                    ts(placed + timedelta(days=3)) if status in ("shipped", "completed") else None,
                    ts(posted) if status == "completed" else None,
                    ts(placed) if cancelled else None,
                    stamp,
                    stamp,
                )
            )
            changes.append(
                (
                    ids.take("order_status_change"),
                    order_id,
                    village_id,
                    None,
                    status,
                    "system",
                    ts(placed),
                    "",
                    stamp,
                    stamp,
                )
            )
            for line_id, product, quantity, price, lot in order_lines:
                lines.append(
                    (
                        line_id,
                        order_id,
                        product,
                        quantity,
                        price,
                        external and f"{external}-{line_id}",
                        village_id,
                        source,
                        0,
                        0,
                        stamp,
                        stamp,
                    )
                )
                if cancelled:
                    continue
                allocations.append((ids.take("allocation"), line_id, lot, quantity, village_id, stamp, stamp))
                sold[lot] += quantity
                if status != "completed":
                    continue
                amount = quantity * price
                channel = "direct" if source == "manual" else source
                platform_fee = _split(amount, PLATFORM_BP[channel])
                operator = _split(amount, OPERATOR_BP)
                collective = _split(amount, COLLECTIVE_BP)
                rest = amount - platform_fee - operator - collective
                pair = lot_meta[lot][2]
                shares = ((pair[0], rest - rest // 2, quantity - quantity // 2), (pair[1], rest // 2, quantity // 2))
                tx = ids.take("ledger_transaction")
                when = ts(posted)
                transactions.append(
                    (
                        tx,
                        village_id,
                        "sale_credit",
                        f"credit:line:{line_id}",
                        order_id,
                        line_id,
                        None,
                        policy,
                        quantity,
                        "system",
                        when,
                        "",
                        stamp,
                        stamp,
                    )
                )
                month = posted.astimezone(SHANGHAI).strftime("%Y-%m")
                moves = [("sales_clearing", "", None, -amount, 0)]
                if platform_fee:
                    moves.append(("platform", channel, None, platform_fee, 0))
                moves.append(("operator", "", None, operator, 0))
                moves.append(("collective", "", None, collective, 0))
                for household, share, units in shares:
                    if share or units:
                        moves.append(("household", "", household, share, units))
                        balance[household][0] += share
                        figures = months[(household, month)]
                        figures[0] += share
                        figures[1] += units
                first = ids.take("ledger_entry", len(moves))
                for j, (kind, ref, household, fen, units) in enumerate(moves):
                    entries.append((first + j, tx, village_id, kind, ref, household, fen, units, when, stamp, stamp))
        built.orders += len(orders)
        built.lines += n_line

        lot_rows, contribution_rows = [], []
        for lot, (product, received, pair) in lot_meta.items():
            quantity = sold[lot] + 40
            remaining = quantity - sold[lot]
            lot_rows.append(
                (
                    lot,
                    product,
                    village_id,
                    f"L{lot:07d}",
                    day(received),
                    quantity,
                    remaining,
                    "",
                    "",
                    flag(False),
                    stamp,
                    stamp,
                )
            )
            for n, household in enumerate(pair):
                share = quantity - quantity // 2 if n == 0 else quantity // 2
                contribution_rows.append(
                    (ids.take("contribution"), lot, household, share, f"R{lot:07d}-{n + 1}", stamp, stamp)
                )
        await sink.put("lot", LOT, lot_rows)
        await sink.put("contribution", CONTRIBUTION, contribution_rows)
        built.lots += len(lot_rows)
        # the lots first: on PostgreSQL, COPY checks every foreign key
        await _flush(sink, orders, lines, allocations, changes, transactions, entries, batch_rows, payout_rows)
        await sink.put(
            "household_balance",
            BALANCE,
            [(h, village_id, c, p, c - p, 0) for h, (c, p) in balance.items()],
        )
        await sink.put(
            "household_month",
            MONTH,
            [(h, m, village_id, fen, units) for (h, m), (fen, units) in sorted(months.items())],
        )
        await sink.commit()
        built.villages += 1
        built.households += len(households)
        if v == 0:
            built.first_village_id = village_id
            built.first_household_code = f"{prefix}-001"
            built.first_secretary = f"{prefix.lower()}-shuji"
            built.statement_month = (now - timedelta(days=45)).astimezone(SHANGHAI).strftime("%Y-%m")
        if (v + 1) % 25 == 0 or v + 1 == size.villages:
            progress(f"{v + 1}/{size.villages} villages, {built.lines:,} order lines")
    if replicate_villages and size.villages > 1:
        spans = {table: ids.next[table] - first_ids[table] for table in SEQUENCED}
        names = [
            (k, township_name(min(k // per_township, size.townships - 1)), f"CX{k + 1:03d}")
            for k in range(1, size.villages)
        ]
        await replicate(sink, first_ids, spans, names, built.first_village_id, progress)
        for table, span in spans.items():
            ids.next[table] += span * (size.villages - 1)
        for name in ("villages", "households", "orders", "lines", "lots", "streams"):
            setattr(built, name, getattr(built, name) * size.villages)
    built.transactions = ids.next["ledger_transaction"] - first_ids["ledger_transaction"]
    built.entries = ids.next["ledger_entry"] - first_ids["ledger_entry"]
    built.payouts = ids.next["payout"] - first_ids["payout"]
    return built


# Which columns of each table name another table's row (its id moves by that table's span per copy).
REFS: dict[str, dict[str, str]] = {
    "village": {"id": "village"},
    "household": {"id": "household", "village_id": "village"},
    "user_account": {"id": "user_account", "village_id": "village"},
    "fee_policy": {"id": "fee_policy", "village_id": "village"},
    "product": {"id": "product", "village_id": "village"},
    "stream": {"id": "stream", "village_id": "village", "host_user_id": "user_account"},
    "lot": {"id": "lot", "product_id": "product", "village_id": "village"},
    "contribution": {"id": "contribution", "lot_id": "lot", "household_id": "household"},
    "shop_order": {"id": "shop_order", "village_id": "village", "stream_id": "stream"},
    "order_line": {"id": "order_line", "order_id": "shop_order", "product_id": "product", "village_id": "village"},
    "allocation": {"id": "allocation", "line_id": "order_line", "lot_id": "lot", "village_id": "village"},
    "order_status_change": {"id": "order_status_change", "order_id": "shop_order", "village_id": "village"},
    "payout_batch": {"id": "payout_batch", "village_id": "village"},
    "payout": {"id": "payout", "village_id": "village", "household_id": "household", "batch_id": "payout_batch"},
    "ledger_transaction": {
        "id": "ledger_transaction",
        "village_id": "village",
        "order_id": "shop_order",
        "order_line_id": "order_line",
        "payout_id": "payout",
        "policy_id": "fee_policy",
    },
    "ledger_entry": {
        "id": "ledger_entry",
        "transaction_id": "ledger_transaction",
        "village_id": "village",
        "household_id": "household",
    },
    "household_balance": {"household_id": "household", "village_id": "village"},
    "household_month": {"household_id": "household", "village_id": "village"},
}
COLUMNS: dict[str, tuple[str, ...]] = {}  # filled below from the column tuples


async def replicate(
    sink: Sink,
    first_ids: dict[str, int],
    spans: dict[str, int],
    names: list[tuple[int, str, str]],
    village_id: int,
    progress: Callable[[str], None],
) -> None:
    """Copy village ``village_id`` (the first ids of its rows, ``spans`` rows per table) once per entry of
    ``names`` (copy number k, its township, its code prefix), each copy's ids moved by k spans."""
    await sink.execute("CREATE TEMP TABLE bench_copy (k INTEGER, township TEXT, prefix TEXT)")
    await sink.put("bench_copy", ("k", "township", "prefix"), names)
    for table, columns in COLUMNS.items():
        refs = REFS[table]
        span = {"village": 1, **spans}
        special = {
            "village": {
                "name": "b.township || '第' || (b.k + 1) || '村'",
                "township": "b.township",
                "code_prefix": "b.prefix",
            },
            "household": {"code": "b.prefix || substr(t.code, 6)"},
            "user_account": {
                "username": "lower(b.prefix) || '-shuji'",
                "calendar_secret": "t.calendar_secret || '-' || b.k",
            },
            "product": {"merchant_code": "b.prefix || substr(t.merchant_code, 6)"},
            "lot": {"public_code": f"'L' || (t.id + b.k * {span['lot']})"},
            "contribution": {"receipt_no": "t.receipt_no || '-' || b.k"},
            "ledger_transaction": {
                "dedupe_key": f"CASE WHEN t.payout_id IS NULL THEN 'credit:line:' || (t.order_line_id + b.k * "
                f"{span['order_line']}) ELSE 'payout:' || (t.payout_id + b.k * {span['payout']}) END"
            },
        }.get(table, {})
        exprs = []
        for column in columns:
            if column in special:
                exprs.append(special[column])
            elif column in refs:
                exprs.append(f"t.{column} + b.k * {span[refs[column]]}")
            else:
                exprs.append(f"t.{column}")
        if "id" in refs:
            where = f"t.id >= {first_ids[table]} AND t.id < {first_ids[table] + span[table]}"
        else:
            where = f"t.village_id = {village_id}"
        started = time.perf_counter()
        await sink.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} "
            f"FROM {table} t CROSS JOIN bench_copy b WHERE {where}"
        )
        await sink.commit()
        progress(f"{table}: {len(names)} copies in {time.perf_counter() - started:.1f} s")


def _month_end(moment: datetime) -> datetime:
    """The first instant of the next Beijing month after ``moment``."""
    local = moment.astimezone(SHANGHAI)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=SHANGHAI).astimezone(UTC)


def _latest_before(stream_times: list[tuple[datetime, int]], moment: datetime) -> int | None:
    import bisect

    i = bisect.bisect_right(stream_times, (moment, 1 << 62)) - 1
    return stream_times[i][1] if i >= 0 else None


async def _pay_month(
    sink: Sink,
    ids: Ids,
    village_id: int,
    balance: dict[int, list[int]],
    payday: datetime,
    batch_rows: list[tuple[Any, ...]],
    payout_rows: list[tuple[Any, ...]],
    transactions: list[tuple[Any, ...]],
    entries: list[tuple[Any, ...]],
) -> None:
    """The month's payout batch: every household with a balance is paid all of it by WeChat."""
    stamp = sink.ts(payday)
    batch = ids.take("payout_batch")
    batch_rows.append((batch, village_id, 1, "wechat", "月结", stamp, stamp, stamp))
    for household, figures in balance.items():
        due = figures[0] - figures[1]
        if due <= 0:
            continue
        figures[1] += due
        payout = ids.take("payout")
        payout_rows.append((payout, village_id, household, due, "wechat", "月结", batch, stamp, stamp, stamp))
        tx = ids.take("ledger_transaction")
        transactions.append(
            (
                tx,
                village_id,
                "payout",
                f"payout:{payout}",
                None,
                None,
                payout,
                None,
                0,
                "user",
                stamp,
                "月结",
                stamp,
                stamp,
            )
        )
        first = ids.take("ledger_entry", 2)
        entries.append((first, tx, village_id, "household", "", household, -due, 0, stamp, stamp, stamp))
        entries.append((first + 1, tx, village_id, "payouts", "wechat", None, due, 0, stamp, stamp, stamp))


async def _flush(
    sink: Sink,
    orders: list[tuple[Any, ...]],
    lines: list[tuple[Any, ...]],
    allocations: list[tuple[Any, ...]],
    changes: list[tuple[Any, ...]],
    transactions: list[tuple[Any, ...]],
    entries: list[tuple[Any, ...]],
    batch_rows: list[tuple[Any, ...]],
    payout_rows: list[tuple[Any, ...]],
) -> None:
    await sink.put("shop_order", ORDER, orders)
    await sink.put("order_line", LINE, lines)
    await sink.put("allocation", ALLOCATION, allocations)
    await sink.put("order_status_change", STATUS_CHANGE, changes)
    await sink.put("payout_batch", BATCH, batch_rows)
    await sink.put("payout", PAYOUT, payout_rows)
    await sink.put("ledger_transaction", TRANSACTION, transactions)
    await sink.put("ledger_entry", ENTRY, entries)


COLUMNS.update(
    {
        "village": VILLAGE,
        "household": HOUSEHOLD,
        "user_account": USER,
        "fee_policy": FEE_POLICY,
        "product": PRODUCT,
        "stream": STREAM,
        "lot": LOT,
        "contribution": CONTRIBUTION,
        "shop_order": ORDER,
        "order_line": LINE,
        "allocation": ALLOCATION,
        "order_status_change": STATUS_CHANGE,
        "payout_batch": BATCH,
        "payout": PAYOUT,
        "ledger_transaction": TRANSACTION,
        "ledger_entry": ENTRY,
        "household_balance": BALANCE,
        "household_month": MONTH,
    }
)
