"""The one place that builds the database configuration: engine, sessions, SQLite's rules, Alembic.

SQLite is the embedded default. It allows one writer at a time, so a transaction that may write starts
with ``BEGIN IMMEDIATE`` (it waits for the write lock up front instead of failing with "database is
locked" when a read turns into a write). Requests that cannot write (GET/HEAD) run in deferred, read-only
transactions beside the writer. PostgreSQL needs none of this.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
)
from litestar.datastructures import State
from litestar.types import Scope
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from shop.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
READONLY_OPTION = "shop_readonly"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 10_000

_readonly_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _readonly_variant(engine: Engine) -> Engine:
    variant = _readonly_engines.get(engine)
    if variant is None:
        variant = engine.execution_options(**{READONLY_OPTION: True})
        _readonly_engines[engine] = variant
    return variant


class ShopSession(Session):
    """A session that, once marked ``info["readonly"]``, opens deferred (non-locking) transactions."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any) -> Any:
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kw)
        if self.info.get("readonly") and isinstance(engine, Engine):
            return _readonly_variant(engine)
        return engine


def _install_sqlite_rules(engine: AsyncEngine | Engine, synchronous: str) -> None:
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the driver's implicit BEGIN is always DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # e.g. a migration switching foreign keys off, which only works outside a transaction
        conn.exec_driver_sql("BEGIN" if options.get(READONLY_OPTION, False) else "BEGIN IMMEDIATE")


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.sqlite_synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"unknown SQLite synchronous mode {settings.sqlite_synchronous!r}")
    if settings.is_sqlite:
        db_path = Path(settings.database_url.split("///", 1)[1])
        db_path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(settings.database_url, pool_size=8, max_overflow=8, hide_parameters=True)
        _install_sqlite_rules(engine, settings.sqlite_synchronous)
        return engine
    if settings.db_null_pool:
        return create_async_engine(settings.database_url, poolclass=NullPool, hide_parameters=True)
    return create_async_engine(
        settings.database_url, pool_size=10, max_overflow=10, pool_pre_ping=True, hide_parameters=True
    )


def create_sqlite_writer_engine(settings: Settings) -> Engine:
    """A plain (synchronous) engine on the SQLite file, for the order writer's own thread: the whole
    batch runs there without a hop through the event loop for every statement."""
    from sqlalchemy import create_engine as create_sync_engine

    url = settings.database_url.replace("sqlite+aiosqlite://", "sqlite://", 1)
    engine = create_sync_engine(url, pool_size=1, max_overflow=0, hide_parameters=True)
    _install_sqlite_rules(engine, settings.sqlite_synchronous)
    return engine


def create_alchemy_config(settings: Settings, engine: AsyncEngine | None = None) -> SQLAlchemyAsyncConfig:
    engine = engine or create_engine(settings)
    return SQLAlchemyAsyncConfig(
        engine_instance=engine,
        # Our own session factory: advanced-alchemy's does not pass ``sync_session_class`` on, and the
        # read-only sessions depend on ShopSession.
        session_maker=async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ShopSession),
        session_config=AsyncSessionConfig(expire_on_commit=False, sync_session_class=ShopSession),
        # The request's session is committed by ``provide_db_session`` below, before the answer is sent,
        # so a failed commit becomes an error answer instead of a false success.
        session_dependency_key="db_session_unmanaged",
        alembic_config=AlembicAsyncConfig(
            script_location=str(MIGRATIONS_DIR),
            version_table_name="alembic_version",
            render_as_batch=True,
            compare_type=not settings.is_sqlite,  # SQLite reflects GUID as NUMERIC: false alarms
        ),
        create_all=False,
    )


async def provide_db_session(state: State, scope: Scope) -> AsyncGenerator[AsyncSession, None]:
    """The request's unit of work: commit when the handler succeeded, roll back when it raised."""
    config: SQLAlchemyAsyncConfig = state["alchemy_config"]
    session = config.provide_session(state, scope)
    if scope.get("method") in SAFE_METHODS:
        session.info["readonly"] = True
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    if session.info.pop("rollback", False):
        await session.rollback()
    elif session.in_transaction():
        await session.commit()


def read_only(session: AsyncSession) -> AsyncSession:
    """For a POST that only reads through its session and hands its writes to the order writer: on
    SQLite the session must not hold the write lock the writer is about to need."""
    session.info["readonly"] = True
    return session


def mark_for_rollback(session: AsyncSession) -> None:
    """A page answered a form error after partial work: throw the work away instead of committing it."""
    session.info["rollback"] = True


@asynccontextmanager
async def unit_of_work(config: SQLAlchemyAsyncConfig) -> AsyncIterator[AsyncSession]:
    """A session for work outside requests (CLI, scheduler jobs): commit on success, roll back on error."""
    async with config.get_session() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


@asynccontextmanager
async def read_session(config: SQLAlchemyAsyncConfig) -> AsyncIterator[AsyncSession]:
    """A read-only session outside requests; never takes SQLite's write lock."""
    async with config.get_session() as session:
        session.info["readonly"] = True
        yield session


def is_transient(exc: Exception) -> bool:
    """A database error that a retry of the same transaction may not meet again: SQLite busy or locked,
    PostgreSQL deadlock or serialisation failure."""
    text = str(exc).lower()
    return any(word in text for word in ("locked", "busy", "deadlock", "could not serialize"))


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched, as the driver reports it.

    ``AsyncSession.execute`` is typed to return a plain ``Result``; a DML statement's result is a
    ``CursorResult``, which is what carries ``rowcount``.
    """
    assert isinstance(result, CursorResult), "rows_matched takes the result of an UPDATE or DELETE"
    return result.rowcount
