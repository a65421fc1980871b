"""Backups: a copy taken while the service writes opens, passes its integrity check, and holds every row
committed before it started, and nothing half-committed."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shop.db import create_alchemy_config, read_session
from shop.ledger.checks import check_balances
from shop.ledger.models import LedgerTransaction
from shop.ops.backup import BackupError, backup_sqlite, lower_thread_priority, nightly_backup, sqlite_path
from shop.settings import Settings
from tests.conftest import World

# Backups are of the embedded SQLite database, so these tests make their own SQLite file whichever
# database the rest of the suite runs on (on PostgreSQL, pg_dump is the tool: docs/deploy.md).


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    db = tmp_path / "shop.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE village (id INTEGER PRIMARY KEY, name TEXT UNIQUE, township TEXT, county TEXT,"
        " code_prefix TEXT, show_household_names INTEGER, created_at TEXT, updated_at TEXT)"
    )
    conn.commit()
    conn.close()
    return db


def _writer(db: Path, stop: threading.Event, committed: list[int]) -> None:
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    n = 0
    while not stop.is_set():
        n += 1
        conn.execute("BEGIN IMMEDIATE")
        cursor = conn.execute(
            "INSERT INTO village (name, township, county, code_prefix, show_household_names, created_at, updated_at)"
            " VALUES (?, '', '', '', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            (f"村{n}",),
        )
        conn.execute("COMMIT")
        committed.append(cursor.lastrowid)
    conn.close()


def test_backup_taken_under_writes_holds_every_committed_row(sqlite_db: Path, tmp_path: Path) -> None:
    source = sqlite_db
    stop = threading.Event()
    committed: list[int] = []
    writer = threading.Thread(target=_writer, args=(source, stop, committed))
    writer.start()
    try:
        while len(committed) < 200:
            time.sleep(0.005)
        before = list(committed)
        target = backup_sqlite(source, tmp_path / "copy.db")
        while len(committed) < len(before) + 50:  # the service kept writing during and after the copy
            time.sleep(0.005)
    finally:
        stop.set()
        writer.join()

    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = [row[0] for row in copy.execute("SELECT id FROM village ORDER BY id")]
    copy.close()
    assert set(before) <= set(ids), "every row committed before the backup started is in it"
    assert ids == sorted(committed)[: len(ids)], "the copy is one consistent snapshot: a prefix, no gaps"
    assert len(ids) < len(committed)


def test_nightly_backup_keeps_the_newest_fourteen(sqlite_db: Path, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{sqlite_db}", secret_key="x", var_dir=tmp_path)
    for day in range(1, 18):
        nightly_backup(settings, now=datetime(2026, 11, day, 19, 30))
    copies = sorted(p.name for p in settings.backup_dir.glob("shop-*.db"))
    assert len(copies) == 14
    assert copies[0] == "shop-20261104-193000.db"
    assert copies[-1] == "shop-20261117-193000.db"
    assert not list(settings.backup_dir.glob("*.partial"))


def test_backup_refuses_a_missing_database(tmp_path: Path) -> None:
    with pytest.raises(BackupError):
        backup_sqlite(tmp_path / "nope.db", tmp_path / "copy.db")


def test_a_backup_in_steps_is_not_restarted_by_writes_between_its_steps(tmp_path: Path) -> None:
    """One page per step with a pause, a write committed between every two steps: the copy still finishes
    (the backup API would start over after each write if every step took a snapshot of its own) and holds one
    consistent snapshot."""
    source = tmp_path / "big.db"
    conn = sqlite3.connect(source)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE village (id INTEGER PRIMARY KEY, name TEXT UNIQUE, padding TEXT)")
    conn.executemany("INSERT INTO village (name, padding) VALUES (?, ?)", [(f"旧{n}", "x" * 500) for n in range(800)])
    conn.commit()
    conn.close()
    pages = sqlite3.connect(source).execute("PRAGMA page_count").fetchone()[0]
    assert pages > 100

    stop = threading.Event()
    committed: list[int] = []

    def write() -> None:
        writer = sqlite3.connect(source, timeout=30, isolation_level=None)
        n = 0
        while not stop.is_set():
            n += 1
            writer.execute("INSERT INTO village (name, padding) VALUES (?, '')", (f"新{n}",))
            committed.append(n)
            time.sleep(0.001)
        writer.close()

    done: list[Path] = []
    thread = threading.Thread(target=write)
    thread.start()
    try:
        copier = threading.Thread(
            target=lambda: done.append(backup_sqlite(source, tmp_path / "copy.db", step_pages=1, pause_s=0.002))
        )
        copier.start()
        copier.join(timeout=60)
        written_during = len(committed)
    finally:
        stop.set()
        thread.join()
    assert done, "the stepped backup finished while the writer kept committing"
    assert written_during > 20, "writes were committed between the copy's steps"
    copy = sqlite3.connect(done[0])
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    new = [int(name[1:]) for (name,) in copy.execute("SELECT name FROM village WHERE name LIKE '新%'")]
    copy.close()
    assert sorted(new) == list(range(1, len(new) + 1)), "a prefix of the writes: one snapshot, no gaps"
    assert len(new) < written_during


@pytest.mark.anyio
async def test_orders_placed_and_credited_during_a_backup_leave_a_copy_whose_ledger_balances(
    settings: Settings, client: Any, world: World, auth: dict[str, dict[str, str]]
) -> None:
    """The app's own database, orders placed and completed (credited) through the API while the copy runs:
    none is refused, and the copy opens, passes its integrity check and its ledger balances."""
    if not settings.is_sqlite:
        # The job copies the embedded SQLite file; on PostgreSQL it says so and names pg_dump, touching nothing.
        with pytest.raises(BackupError, match="pg_dump"):
            sqlite_path(settings)
        return
    secretary = auth["secretary_a"]
    policy = {"platform_bp": {"douyin": 500}, "operator_bp": 300, "collective_bp": 1000}
    answer = await client.put(f"/api/v1/villages/{world.villages['a']}/fee-policy", json=policy, headers=secretary)
    assert answer.status_code == 200, answer.text
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990},
            headers=secretary,
        )
    ).json()
    lot = {"quantity": 1000, "contributions": [{"household_id": world.households["a1"], "quantity": 1000}]}
    answer = await client.post(f"/api/v1/products/{product['id']}/lots", json=lot, headers=secretary)
    assert answer.status_code == 201, answer.text

    async def sale() -> int:
        body = {"items": [{"product_id": product["id"], "quantity": 1}], "source": "douyin"}
        placed = await client.post("/api/v1/orders", json=body, headers=secretary)
        assert placed.status_code == 201, placed.text
        for status in ("shipped", "completed"):
            moved = await client.post(
                f"/api/v1/orders/{placed.json()['id']}/status", json={"status": status}, headers=secretary
            )
            assert moved.status_code == 200, moved.text
        return int(placed.json()["id"])

    before = [await sale() for _ in range(5)]
    source = sqlite_path(settings)
    copies: list[Path] = []
    copier = threading.Thread(
        target=lambda: copies.append(backup_sqlite(source, settings.var_dir / "copy.db", step_pages=8, pause_s=0.01))
    )
    copier.start()
    during = []
    while copier.is_alive() and len(during) < 200:
        during.append(await sale())
    copier.join(timeout=60)
    [target] = copies
    assert during, "orders were placed and credited while the copy ran"

    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {row[0] for row in copy.execute("SELECT id FROM shop_order")}
    copy.close()
    assert set(before) <= ids
    copied = Settings(database_url=f"sqlite+aiosqlite:///{target}", secret_key="x", var_dir=settings.var_dir)
    alchemy = create_alchemy_config(copied)
    try:
        async with read_session(alchemy) as session:
            assert await check_balances(session) == []
            credited = (await session.execute(select(func.count()).select_from(LedgerTransaction))).scalar_one()
    finally:
        await alchemy.get_engine().dispose()
    assert credited >= len(before)


@pytest.mark.skipif(not hasattr(os, "getpriority") or sys.platform != "linux", reason="per-thread priority is Linux's")
def test_the_backup_thread_runs_at_a_lower_priority_and_the_caller_does_not() -> None:
    seen: list[int] = []

    def in_thread() -> None:
        lower_thread_priority()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [max(10, before)]  # already nicer than 10: left as it is
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
