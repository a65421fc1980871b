"""Importing a platform's order export end to end: read and check the file, then write it in committed
chunks of whole orders with progress, apply status moves through the lifecycle, and re-process held lines.

Re-importing is always safe: orders are keyed by (village, platform, 主订单编号) and lines by 子订单编号, so
an interrupted import followed by another ends exactly like one clean import.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.catalogue.models import Product
from shop.db import create_sqlite_writer_engine, is_transient, read_session, unit_of_work
from shop.errors import N_, Conflict, DomainError, InvalidInput, NotFound
from shop.events import DomainEvents
from shop.ops.heap import tuned_for_serving
from shop.orders.imports.chunks import (
    SHIPPED,
    ChunkJob,
    ChunkResult,
    Move,
    OrderGroup,
    StreamWindow,
    line_from_data,
    write_chunk,
)
from shop.orders.imports.exports import FIELD_HEADERS, PLATFORMS, ParsedExport, clean_id, detect_mapping, parse_export
from shop.orders.models import ColumnMappingRecord, HeldLine, ImportStatus, OrderImport, ProductAlias
from shop.orders.services import change_status
from shop.orders.stock import StockChangedError
from shop.settings import Settings
from shop.streams.models import LineupItem, Stream, StreamStatus
from shop.tabular import Fault, RowProblem, Table, cyclic_gc_paused, read_table
from shop.timeutil import utcnow
from shop.villages.models import Village

log = logging.getLogger("shop.orders.imports.services")

# A 100,000-row 抖店 export is about 27 MB of CSV.
MAX_EXPORT_BYTES = 64 * 1024 * 1024
# Lines per committed chunk: big enough that commits are few, small enough that a live order waiting for
# SQLite's write lock waits a fraction of a second.
CHUNK_LINES = 4000
# How many held and rejected rows an import's record keeps for its result page (the counts are complete).
KEPT_PROBLEMS = 1000
# A running import that has not written progress for this long died with its process.
STALL_SECONDS = 300

ProgressCallback = Callable[[int, int], Awaitable[None] | None]


@dataclass
class OrderImportOutcome:
    """What an import did, counted in orders; ``held`` and ``rejected`` name the rows and why."""

    import_id: int | None
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    backorders: int = 0
    held: list[RowProblem] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)


@dataclass
class ImportPlan:
    """A checked export ready to write: its orders grouped whole, and the rows refused before writing."""

    village_id: int
    platform: str
    filename: str
    total_rows: int
    groups: list[OrderGroup]
    rejected: list[RowProblem]

    @property
    def lines(self) -> int:
        return sum(len(group.lines) for group in self.groups)

    def chunks(self, size: int = CHUNK_LINES) -> Iterator[list[OrderGroup]]:
        chunk: list[OrderGroup] = []
        lines = 0
        for group in self.groups:
            chunk.append(group)
            lines += len(group.lines)
            if lines >= size:
                yield chunk
                chunk, lines = [], 0
        if chunk:
            yield chunk


def check_platform(platform: str) -> str:
    if platform not in PLATFORMS:
        raise InvalidInput("platform", N_("Choose the platform the export comes from: douyin, kuaishou or weixin."))
    return platform


def read_export(
    data: bytes, filename: str, platform: str, village_id: int, saved: Mapping[str, str] | None = None
) -> ImportPlan:
    """Read and check the whole file (synchronous: run it in a thread). Refuses the file as a whole —
    ``MissingColumns`` (unrecognised headers), ``ExcelMangledIds``, unreadable — before anything is written."""
    # One pause of the cyclic collector for the whole read: each step pauses it too, and every time it came
    # back on between steps it walked all the rows built so far (a third of a second at 100,000 rows).
    with cyclic_gc_paused():
        return _read_plan(data, filename, platform, village_id, saved)


def _read_plan(
    data: bytes, filename: str, platform: str, village_id: int, saved: Mapping[str, str] | None
) -> ImportPlan:
    # The table and the parsed rows are dropped on return, before the collector is back on.
    table = read_table(data, filename, max_bytes=MAX_EXPORT_BYTES)
    parsed = parse_export(table, platform, saved)
    return plan_import(parsed, table, village_id, filename)


def plan_import(parsed: ParsedExport, table: Table, village_id: int, filename: str) -> ImportPlan:
    """Group the lines into whole orders. An order with a row that could not be read is refused whole (its
    other rows too): importing part of it would leave an order that a corrected file could not complete."""
    rejected = list(parsed.rejected)
    broken: dict[str, int] = {}
    if rejected:
        column = table.headers.index(parsed.mapping["order_no"])
        rows = {row.number: row for row in table.rows}
        for problem in rejected:
            order_no = clean_id(rows[problem.row].cells[column])
            if order_no:
                broken.setdefault(order_no, problem.row)
    groups: dict[str, OrderGroup] = {}
    with cyclic_gc_paused():
        for line in parsed.lines:
            bad_row = broken.get(line.order_no)
            if bad_row is not None:
                rejected.append(
                    RowProblem(
                        line.row,
                        (
                            Fault(
                                N_(
                                    "Row %(row)s of the same order could not be read; the order is imported "
                                    "whole once that row is fixed."
                                ),
                                {"row": bad_row},
                            ),
                        ),
                    )
                )
                continue
            group = groups.get(line.order_no)
            if group is None:
                groups[line.order_no] = OrderGroup(line.order_no, [line])
            else:
                group.lines.append(line)
    rejected.sort(key=lambda problem: problem.row)
    return ImportPlan(
        village_id=village_id,
        platform=parsed.platform,
        filename=filename,
        total_rows=len(table.rows),
        groups=list(groups.values()),
        rejected=rejected,
    )


# --- column mappings -------------------------------------------------------------------------------------


async def saved_mapping(session: AsyncSession, village_id: int, platform: str) -> dict[str, str] | None:
    record = (
        await session.execute(
            select(ColumnMappingRecord).where(
                ColumnMappingRecord.village_id == village_id, ColumnMappingRecord.platform == platform
            )
        )
    ).scalar_one_or_none()
    return dict(record.mapping) if record is not None else None


async def save_mapping(
    session: AsyncSession,
    actor: Principal,
    village_id: int,
    platform: str,
    mapping: Mapping[str, str],
    headers: list[str],
) -> dict[str, str]:
    """Keep the secretary's choice of column for each field, for every later export of this platform.

    Checked against the file's headers first (``MissingColumns`` when a required field has no column).
    """
    actor.require_staff()
    actor.ensure_village(village_id)
    check_platform(platform)
    chosen: dict[str, str] = {}
    for name, header in mapping.items():
        if name not in FIELD_HEADERS:
            raise InvalidInput("mapping", N_("%(name)s is not a field of an order export."), name=name)
        if header:
            if header not in headers:
                raise InvalidInput(name, N_("The file has no column %(column)s."), column=header)
            chosen[name] = header
    detect_mapping(headers, platform, chosen)
    record = (
        await session.execute(
            select(ColumnMappingRecord).where(
                ColumnMappingRecord.village_id == village_id, ColumnMappingRecord.platform == platform
            )
        )
    ).scalar_one_or_none()
    if record is None:
        session.add(ColumnMappingRecord(village_id=village_id, platform=platform, mapping=chosen))
    else:
        record.mapping = chosen
    await session.flush()
    return chosen


# --- running an import -----------------------------------------------------------------------------------


class _ChunkRunner:
    """Runs ``write_chunk`` in its own committed transaction: on SQLite in one thread with a plain
    connection (as the order writer does), on PostgreSQL through ``run_sync``."""

    def __init__(self, alchemy: SQLAlchemyAsyncConfig, settings: Settings) -> None:
        self.alchemy = alchemy
        self._engine = create_sqlite_writer_engine(settings) if settings.is_sqlite else None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="order-import") if self._engine else None

    async def write(self, job: ChunkJob) -> ChunkResult:
        for attempt in range(4):
            try:
                if self._thread is not None:
                    return await asyncio.get_running_loop().run_in_executor(self._thread, self._write_here, job)
                async with self.alchemy.get_engine().begin() as conn:
                    # The chunk's commit need not wait for the disk: a crash loses at most the last moment of
                    # commits, whole (the import's progress row is in the same transaction), and the import
                    # resumes from what was kept. The order path's commits still wait (the setting is LOCAL).
                    await conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    return await conn.run_sync(write_chunk, job)
            except (StockChangedError, IntegrityError, OperationalError, DBAPIError) as exc:
                # Another writer got between our read and our write (a second import of the same file, a
                # busy database): the chunk was rolled back whole; reading again sees what they wrote.
                if attempt == 3 or not _retryable(exc):
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _write_here(self, job: ChunkJob) -> ChunkResult:
        assert self._engine is not None
        with self._engine.begin() as conn:
            return write_chunk(conn, job)

    async def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="order-import")
        if self._engine is not None:
            self._engine.dispose()


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, StockChangedError | IntegrityError) or is_transient(exc)


async def _stream_windows(session: AsyncSession, village_id: int) -> list[StreamWindow]:
    rows = (
        await session.execute(
            select(Stream.id, Stream.starts_at, Stream.ends_at, LineupItem.product_id)
            .join(LineupItem, LineupItem.stream_id == Stream.id)
            .where(Stream.village_id == village_id, Stream.status != StreamStatus.CANCELLED.value)
            .order_by(Stream.starts_at, Stream.id)
        )
    ).all()
    windows: dict[int, tuple[datetime, datetime, set[int]]] = {}
    for stream_id, starts_at, ends_at, product_id in rows:
        windows.setdefault(stream_id, (starts_at, ends_at, set()))[2].add(product_id)
    return [StreamWindow(sid, start, end, frozenset(products)) for sid, (start, end, products) in windows.items()]


async def open_import(alchemy: SQLAlchemyAsyncConfig, actor: Principal, plan: ImportPlan) -> int:
    """The import's record, committed at once so its page can show progress while it runs."""
    async with unit_of_work(alchemy) as session:
        record = OrderImport(
            village_id=plan.village_id,
            platform=plan.platform,
            filename=plan.filename[:200],
            status=ImportStatus.RUNNING.value,
            total_rows=plan.total_rows,
            # Rows refused or superseded before writing are done with already.
            processed_rows=plan.total_rows - plan.lines,
            rejected=[],
            imported_by=actor.user_id or None,
        )
        session.add(record)
        await session.flush()
        return record.id


# --- the process's imports -----------------------------------------------------------------------------------


class OrderImports:
    """One process's order imports, with its database, settings and domain events: run in the caller's
    request (the API, the command line) or in the background (the upload page answers at once and the
    secretary watches the import's page); background imports are kept until they end, and stopped with
    the process (their page then says so; importing the file again finishes the job)."""

    def __init__(self, alchemy: SQLAlchemyAsyncConfig, settings: Settings, events: DomainEvents) -> None:
        self.alchemy = alchemy
        self.settings = settings
        self.events = events
        self._background: set[asyncio.Task[OrderImportOutcome]] = set()

    async def import_export(
        self,
        actor: Principal,
        data: bytes,
        filename: str,
        platform: str,
        *,
        village_id: int | None = None,
        on_progress: ProgressCallback | None = None,
        chunk_lines: int = CHUNK_LINES,
    ) -> OrderImportOutcome:
        """Import a platform's order export: a file that cannot be trusted as a whole is refused (4xx)
        before anything is written; otherwise every order is created, updated, counted as a duplicate,
        held or rejected with its reason."""
        plan = await prepare_import(self.alchemy, actor, data, filename, platform, village_id)
        import_id = await open_import(self.alchemy, actor, plan)
        return await self.run(actor, import_id, plan, on_progress, chunk_lines=chunk_lines)

    def start(self, actor: Principal, import_id: int, plan: ImportPlan) -> None:
        """Run an opened import in the background."""
        task = asyncio.get_running_loop().create_task(
            self.run(actor, import_id, plan), name=f"order-import-{import_id}"
        )
        self._background.add(task)

        def finished(done: asyncio.Task[OrderImportOutcome]) -> None:
            self._background.discard(done)
            if not done.cancelled() and done.exception() is not None:
                # Recorded on the import's row by ``run``; only the kind is logged (no buyers' data).
                log.warning("order import %s ended with %s", import_id, type(done.exception()).__name__)

        task.add_done_callback(finished)

    async def close(self) -> None:
        """Stop the background imports (each records that it was stopped)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    async def reprocess_held(self, actor: Principal, village_id: int, platform: str) -> OrderImportOutcome:
        """Try every held line of the village and platform again (after a product was mapped or added):
        orders whose every line now matches are created as an import would have; the rest stay held."""
        return await self.run(actor, None, await held_plan(self.alchemy, actor, village_id, platform))

    async def map_and_reprocess(
        self, actor: Principal, village_id: int, platform: str, alias: str, product_id: int
    ) -> OrderImportOutcome:
        """Save the mapping, then re-process every held line of the platform (each it unlocks is imported)."""
        async with unit_of_work(self.alchemy) as session:
            await save_product_alias(session, actor, village_id, platform, alias, product_id)
        return await self.reprocess_held(actor, village_id, platform)

    async def run(
        self,
        actor: Principal,
        import_id: int | None,
        plan: ImportPlan,
        on_progress: ProgressCallback | None = None,
        *,
        chunk_lines: int = CHUNK_LINES,
    ) -> OrderImportOutcome:
        """Write the plan chunk by chunk (each committed), then record the outcome on the import's row."""
        outcome = OrderImportOutcome(import_id=import_id, rejected=list(plan.rejected))
        runner = _ChunkRunner(self.alchemy, self.settings)
        processed = plan.total_rows - plan.lines
        # The plan is hundreds of thousands of objects that live until the last chunk is written, and every full
        # run of the cyclic collector would walk them all again (over a second at 100,000 rows); frozen, the
        # collector leaves them out while it goes on collecting everything else. (A serving worker keeps its
        # start-up heap frozen and collects seldom — shop.ops.heap — and unfreezing here would thaw that too.)
        freeze = not tuned_for_serving()
        if freeze:
            gc.freeze()
        try:
            async with read_session(self.alchemy) as session:
                streams = await _stream_windows(session, plan.village_id)
            for groups in plan.chunks(max(1, chunk_lines)):
                job = ChunkJob(
                    village_id=plan.village_id,
                    platform=plan.platform,
                    import_id=import_id,
                    actor_id=actor.user_id or None,
                    now=utcnow(),
                    groups=groups,
                    streams=streams,
                )
                result = await runner.write(job)
                outcome.created += result.created
                outcome.duplicates += result.duplicates
                outcome.backorders += result.backorders
                outcome.held.extend(result.held)
                outcome.rejected.extend(result.rejected)
                if result.moves:
                    updated, unchanged = await self._apply_moves(import_id, result.moves)
                    outcome.updated += updated
                    outcome.duplicates += unchanged
                processed += result.rows
                if on_progress is not None:
                    maybe = on_progress(processed, plan.total_rows)
                    if maybe is not None:
                        await maybe
        except BaseException as exc:
            if import_id is not None:
                await _record_failure(self.alchemy, import_id, exc)
            raise
        finally:
            if freeze:
                gc.unfreeze()
            await runner.close()
        outcome.rejected.sort(key=lambda problem: problem.row)
        if import_id is not None:
            await _record_outcome(self.alchemy, import_id, outcome, plan.total_rows)
        return outcome

    async def _apply_moves(self, import_id: int | None, moves: list[Move]) -> tuple[int, int]:
        """Known orders that the export shows further along go through ``change_status`` step by step, so the
        history, the returned units of a cancel and what the ledger hears are those of any other move."""
        updated = unchanged = 0
        note = f"import {import_id}" if import_id is not None else "import"
        async with unit_of_work(self.alchemy) as session:
            for move in moves:
                moved = False
                for status, at in move.steps:
                    try:
                        await change_status(
                            session,
                            None,
                            move.order_id,
                            status,
                            now=at or utcnow(),
                            tracking_no=move.tracking_no if status == SHIPPED else None,
                            note=note,
                            events=self.events,
                        )
                    except Conflict:
                        # Someone moved the order meanwhile (a secretary, the auto-confirm job): theirs stands.
                        break
                    moved = True
                if moved:
                    updated += 1
                else:
                    unchanged += 1
            if import_id is not None:
                await session.execute(
                    update(OrderImport)
                    .where(OrderImport.id == import_id)
                    .values(updated=OrderImport.updated + updated, duplicates=OrderImport.duplicates + unchanged)
                )
        return updated, unchanged


def _problem_entries(kind: str, problems: list[RowProblem]) -> list[dict[str, Any]]:
    return [
        {
            "kind": kind,
            "row": problem.row,
            "faults": [{"message": fault.message, "params": dict(fault.params)} for fault in problem.faults],
        }
        for problem in problems[:KEPT_PROBLEMS]
    ]


async def _record_outcome(
    alchemy: SQLAlchemyAsyncConfig, import_id: int, outcome: OrderImportOutcome, total: int
) -> None:
    async with unit_of_work(alchemy) as session:
        record = await session.get(OrderImport, import_id)
        if record is None:
            return
        record.status = ImportStatus.DONE.value
        record.processed_rows = total
        # The JSON column holds the rows to show on the result page, held and rejected, with their reasons.
        record.rejected = _problem_entries("held", outcome.held) + _problem_entries("rejected", outcome.rejected)
        record.finished_at = utcnow()


async def _record_failure(alchemy: SQLAlchemyAsyncConfig, import_id: int, exc: BaseException) -> None:
    if isinstance(exc, DomainError):
        message = exc.render()
    elif isinstance(exc, asyncio.CancelledError):
        message = N_("The import was stopped. Import the file again: nothing will be duplicated.")
    else:
        # The exception's text could quote a buyer's data from a statement; only its kind is kept.
        log.error("order import %s failed: %s", import_id, type(exc).__name__)
        message = N_("The import stopped on an error. Import the file again: nothing will be duplicated.")
    try:
        async with unit_of_work(alchemy) as session:
            await session.execute(
                update(OrderImport)
                .where(OrderImport.id == import_id)
                .values(status=ImportStatus.FAILED.value, error=message[:1000], finished_at=utcnow())
            )
    except Exception:  # the database itself may be what failed; the import's page then shows it stalled
        log.warning("could not record the failure of order import %s", import_id)


def resolve_village(actor: Principal, village_id: int | None) -> int:
    """The village an import writes to: a secretary's own; an admin (or the console) names one."""
    actor.require_staff()
    return actor.target_village(village_id)


async def prepare_import(
    alchemy: SQLAlchemyAsyncConfig, actor: Principal, data: bytes, filename: str, platform: str, village_id: int | None
) -> ImportPlan:
    """Everything short of writing: the village, the saved column mapping, the whole file read and checked."""
    check_platform(platform)
    village = resolve_village(actor, village_id)
    async with read_session(alchemy) as session:
        saved = await saved_mapping(session, village, platform)
    return await asyncio.to_thread(read_export, data, filename, platform, village, saved)


# --- the holding area ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldGroup:
    """Held lines that name the same platform product: one mapping unlocks them all."""

    village_id: int
    platform: str
    product_name: str
    merchant_code: str
    lines: int
    orders: int
    units: int
    reason: Fault


async def held_groups(session: AsyncSession, actor: Principal) -> list[HeldGroup]:
    """The actor's unresolved held lines that wait for a product mapping, grouped by platform name and code."""
    actor.require_staff()
    query = select(HeldLine.village_id, HeldLine.platform, HeldLine.order_no, HeldLine.data).where(
        HeldLine.resolved_at.is_(None)
    )
    scope = actor.village_filter()
    if scope is not None:
        query = query.where(HeldLine.village_id == scope)
    groups: dict[tuple[int, str, str, str], dict[str, Any]] = {}
    for village_id, platform, order_no, data in (await session.execute(query.order_by(HeldLine.id))).all():
        if not data.get("unmatched"):
            continue
        key = (village_id, platform, data.get("product_name", ""), data.get("merchant_code", ""))
        entry = groups.setdefault(key, {"lines": 0, "orders": set(), "units": 0, "fault": data.get("fault")})
        entry["lines"] += 1
        entry["orders"].add(order_no)
        entry["units"] += int(data.get("quantity") or 0)
    return [
        HeldGroup(
            village_id=village_id,
            platform=platform,
            product_name=name,
            merchant_code=code,
            lines=entry["lines"],
            orders=len(entry["orders"]),
            units=entry["units"],
            reason=Fault(entry["fault"]["message"], entry["fault"]["params"])
            if entry["fault"]
            else Fault(N_("Not matched to a product.")),
        )
        for (village_id, platform, name, code), entry in sorted(groups.items(), key=lambda item: -item[1]["lines"])
    ]


async def products_to_map(
    session: AsyncSession, actor: Principal, village_ids: set[int]
) -> dict[int, list[tuple[int, str]]]:
    """What a held line may be mapped to, per village: its products, on sale first, named with their code."""
    actor.require_staff()
    reachable = {village_id for village_id in village_ids if actor.can_reach_village(village_id)}
    products: dict[int, list[tuple[int, str]]] = {village_id: [] for village_id in reachable}
    if reachable:
        rows = await session.execute(
            select(Product.id, Product.village_id, Product.name, Product.merchant_code)
            .where(Product.village_id.in_(reachable))
            .order_by(Product.active.desc(), Product.name, Product.id)
        )
        for product_id, village_id, name, code in rows.all():
            products[village_id].append((product_id, f"{name} ({code})" if code else name))
    return products


async def villages_to_choose(session: AsyncSession, actor: Principal) -> list[tuple[int, str]]:
    """The villages an upload may go to, by name: an admin chooses among all; anyone else imports into their
    own village and chooses nothing."""
    if not actor.is_admin:
        return []
    rows = await session.execute(select(Village.id, Village.name).order_by(Village.name))
    return [(village_id, name) for village_id, name in rows.all()]


async def count_held_orders(session: AsyncSession, actor: Principal) -> int:
    from sqlalchemy import func

    query = select(func.count(func.distinct(HeldLine.order_no))).where(HeldLine.resolved_at.is_(None))
    scope = actor.village_filter()
    if scope is not None:
        query = query.where(HeldLine.village_id == scope)
    return int((await session.execute(query)).scalar_one())


async def save_product_alias(
    session: AsyncSession, actor: Principal, village_id: int, platform: str, alias: str, product_id: int
) -> ProductAlias:
    """Remember that the platform's ``alias`` (a merchant code or a title) is our product ``product_id``."""
    actor.require_staff()
    actor.ensure_village(village_id)
    check_platform(platform)
    alias = alias.strip()
    if not alias or len(alias) > 200:
        raise InvalidInput("alias", N_("Name the platform's product (its merchant code or title)."))
    product = await session.get(Product, product_id)
    if product is None or product.village_id != village_id:
        raise NotFound(N_("There is no product %(id)s."), field="product_id", id=product_id)
    record = (
        await session.execute(
            select(ProductAlias).where(
                ProductAlias.village_id == village_id, ProductAlias.platform == platform, ProductAlias.alias == alias
            )
        )
    ).scalar_one_or_none()
    if record is None:
        record = ProductAlias(village_id=village_id, platform=platform, alias=alias, product_id=product_id)
        session.add(record)
    else:
        record.product_id = product_id
    await session.flush()
    return record


async def held_plan(alchemy: SQLAlchemyAsyncConfig, actor: Principal, village_id: int, platform: str) -> ImportPlan:
    """Every unresolved held line of the village and platform, grouped back into their orders, as a plan."""
    actor.require_staff()
    actor.ensure_village(village_id)
    check_platform(platform)
    async with read_session(alchemy) as session:
        rows = (
            await session.execute(
                select(HeldLine.data)
                .where(
                    HeldLine.village_id == village_id,
                    HeldLine.platform == platform,
                    HeldLine.resolved_at.is_(None),
                )
                .order_by(HeldLine.id)
            )
        ).scalars()
        groups: dict[str, OrderGroup] = {}
        for data in rows:
            line = line_from_data(data)
            groups.setdefault(line.order_no, OrderGroup(line.order_no, [])).lines.append(line)
    for group in groups.values():
        group.lines.sort(key=lambda line: line.row)
    return ImportPlan(
        village_id=village_id,
        platform=platform,
        filename="",
        total_rows=sum(len(group.lines) for group in groups.values()),
        groups=list(groups.values()),
        rejected=[],
    )


async def get_import(session: AsyncSession, actor: Principal, import_id: int) -> OrderImport:
    actor.require_staff()
    record = await session.get(OrderImport, import_id)
    if record is None or not actor.can_reach_village(record.village_id):
        raise NotFound()
    return record


async def recent_imports(session: AsyncSession, actor: Principal, limit: int = 10) -> list[OrderImport]:
    actor.require_staff()
    query = select(OrderImport).order_by(OrderImport.id.desc()).limit(limit)
    scope = actor.village_filter()
    if scope is not None:
        query = query.where(OrderImport.village_id == scope)
    return list((await session.execute(query)).scalars())


def progress_percent(record: OrderImport) -> int:
    """How far the import got, 0–100 (an empty file is done)."""
    if not record.total_rows:
        return 100
    return min(100, record.processed_rows * 100 // record.total_rows)


def is_stalled(record: OrderImport, now: datetime | None = None) -> bool:
    """A running import whose process died (killed, restarted) stops writing progress."""
    if record.status != ImportStatus.RUNNING.value:
        return False
    return ((now or utcnow()) - record.updated_at).total_seconds() > STALL_SECONDS


def recorded_problems(record: OrderImport, kind: str) -> list[RowProblem]:
    """The held or rejected rows an import's record kept, ready to render in the page's language."""
    return [
        RowProblem(
            int(entry["row"]), tuple(Fault(fault["message"], fault.get("params") or {}) for fault in entry["faults"])
        )
        for entry in record.rejected or []
        if entry.get("kind") == kind
    ]
