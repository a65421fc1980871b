"""Backups: a copy taken while the service writes opens, passes its integrity check, and holds every row
committed before it started, and nothing half-committed."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from shop.ops.backup import BackupError, backup_sqlite, nightly_backup
from shop.settings import Settings

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
