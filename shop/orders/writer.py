"""The serialised order writer: one per process, many requests' orders per transaction (group commit).

SQLite allows one writer at a time, and a commit with ``synchronous=FULL`` waits for the disk. A request
that commits its own order pays that wait alone, one after another. Here requests put their order on a
queue and wait; one task takes everything queued, places it all in one transaction with
``place_batch`` and commits once, then answers each request (its ``PlacedOrder``, or raises the
``DomainError`` that says why not). While that commit waits for the disk, the
next burst queues up and goes in the next transaction. Reads (pages, the live board) run beside it.
On PostgreSQL the same batching saves round trips; several web workers each run their own writer and
the lots' row locks keep them exact. On SQLite several web workers' writers take turns by a lock file.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shop.db import create_sqlite_writer_engine, is_transient
from shop.errors import N_, Conflict, DomainError, Unavailable
from shop.orders.placing import OrderRequest, PlaceAnswer, PlacedOrder, place_batch
from shop.orders.stock import StockChangedError
from shop.settings import Settings
from shop.timeutil import utcnow

log = logging.getLogger("shop.orders.writer")

MAX_BATCH = 500


@dataclass
class _Job:
    request: OrderRequest
    future: asyncio.Future[PlacedOrder] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class OrderWriter:
    def __init__(self, alchemy: SQLAlchemyAsyncConfig, settings: Settings) -> None:
        self.alchemy = alchemy
        self.settings = settings
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task[None] | None = None
        # SQLite: one thread with its own plain connection places every batch.
        self._sqlite = create_sqlite_writer_engine(settings) if settings.is_sqlite else None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="order-writer") if self._sqlite else None
        # SQLite with several web workers: their writers take turns by a lock file beside the database. A
        # blocked writer sleeps in the kernel and wakes the moment the other commits; SQLite's own busy
        # handler would poll, sleeping up to 100 ms between tries.
        self.turn_path = _turn_file(settings.database_url) if self._sqlite else None
        self._turn_fd: int | None = None
        self.batches = 0
        self.orders = 0
        # What the writer's own SQLite connection really runs with, read back once (the benchmark checks it).
        self.sqlite_pragmas: dict[str, str] | None = None

    def _ensure_running(self) -> asyncio.Queue[_Job]:
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._run(self._queue), name="order-writer")
        return self._queue

    async def submit(self, request: OrderRequest) -> PlacedOrder:
        """Place the order with the next batch: the placed order, or the ``DomainError`` why not."""
        job = _Job(request)
        self._ensure_running().put_nowait(job)
        return await job.future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            # An app served again after its shutdown (tests do) places orders in a fresh thread.
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="order-writer")
        if self._sqlite is not None:
            self._sqlite.dispose()
        if self._turn_fd is not None:
            os.close(self._turn_fd)
            self._turn_fd = None

    async def _run(self, queue: asyncio.Queue[_Job]) -> None:
        while True:
            jobs = [await queue.get()]
            while len(jobs) < MAX_BATCH and not queue.empty():
                jobs.append(queue.get_nowait())
            await self._write(jobs)

    async def _write(self, jobs: list[_Job]) -> None:
        try:
            results = await self._attempt([job.request for job in jobs])
        except (StockChangedError, IntegrityError):
            # Something in the batch clashed (a concurrent writer, a duplicate platform id raced in):
            # place the orders one by one so each gets its own answer.
            results = []
            for job in jobs:
                try:
                    results.extend(await self._attempt([job.request]))
                except Exception as exc:
                    results.append(_failure(exc))
        except Exception as exc:
            log.exception("order batch failed")
            results = [_failure(exc) for _ in jobs]
        self.batches += 1
        self.orders += len(jobs)
        for job, answer in zip(jobs, results, strict=True):
            if job.future.done():
                continue  # the request went away meanwhile
            if isinstance(answer, DomainError):
                job.future.set_exception(answer)
            else:
                job.future.set_result(answer)

    async def _attempt(self, requests: list[OrderRequest]) -> list[PlaceAnswer]:
        for attempt in range(3):
            try:
                if self._sqlite is not None:
                    loop = asyncio.get_running_loop()
                    return await loop.run_in_executor(self._thread, self._place_in_thread, requests)
                async with self.alchemy.get_engine().begin() as conn:
                    return await conn.run_sync(place_batch, requests, utcnow())
            except (OperationalError, DBAPIError) as exc:
                if attempt == 2 or not is_transient(exc):
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _place_in_thread(self, requests: list[OrderRequest]) -> list[PlaceAnswer]:
        assert self._sqlite is not None
        with self._turn(), self._sqlite.begin() as conn:
            if self.sqlite_pragmas is None:
                self.sqlite_pragmas = {
                    name: str(conn.exec_driver_sql(f"PRAGMA {name}").scalar())
                    for name in ("journal_mode", "synchronous")
                }
                modes = {"0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}
                self.sqlite_pragmas["synchronous"] = modes.get(self.sqlite_pragmas["synchronous"], "?")
                log.info(
                    "order writer on SQLite: journal_mode=%s synchronous=%s",
                    self.sqlite_pragmas["journal_mode"],
                    self.sqlite_pragmas["synchronous"],
                )
            return place_batch(conn, requests, utcnow())

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's writer's turn at the database (held from BEGIN IMMEDIATE to COMMIT)."""
        if self.turn_path is None:
            yield
            return
        if self._turn_fd is None:
            self._turn_fd = os.open(self.turn_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._turn_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._turn_fd, fcntl.LOCK_UN)


def _turn_file(database_url: str) -> str | None:
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-order-writer.lock"


def _failure(exc: Exception) -> DomainError:
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, IntegrityError):
        return Conflict(N_("This clashes with a change made at the same moment. Please try again."))
    return Unavailable()  # the database is unreachable or kept failing
