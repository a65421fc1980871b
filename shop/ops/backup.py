"""Online backup of the embedded SQLite database: a consistent copy taken while the service writes.

Restoring is copying the file back while the service is stopped. On PostgreSQL use ``pg_dump``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from shop.settings import Settings
from shop.timeutil import utcnow

log = logging.getLogger("shop.ops")


class BackupError(RuntimeError):
    pass


def sqlite_path(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise BackupError("shop backup copies the embedded SQLite database; on PostgreSQL use pg_dump")
    return Path(settings.database_url.split("///", 1)[1])


# The copy goes in steps of this many pages (8 MB at SQLite's 4 KB pages), each written to disk before the next
# with a short pause, so the copy never leaves gigabytes of unwritten pages for the order writer's commit to wait
# behind (its fsync queues behind every dirty page of the file system).
STEP_PAGES = 2048
STEP_PAUSE_S = 0.005
BACKUP_NICENESS = 10


def backup_sqlite(source: Path, target: Path, *, step_pages: int = STEP_PAGES, pause_s: float = STEP_PAUSE_S) -> Path:
    """Copy with SQLite's backup API from one read transaction: a consistent snapshot taken beside live writers.

    The database runs in WAL mode, where a reader holds no lock a writer waits for: the order writer commits
    throughout. The read transaction is opened here and held across every step, so each step reads the same
    snapshot; when the backup API opens its own for each step instead, a write by another connection between
    two steps restarts the copy from page one (a busy shop's copy would never finish). While the snapshot is
    held, checkpoints cannot move pages committed after it into the database file; the WAL grows by what is
    written during the copy and the next checkpoint after it catches up.
    """
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if step_pages < 1:
        raise ValueError("step_pages must be at least 1")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30, isolation_level=None)
    try:
        dst = sqlite3.connect(partial, isolation_level=None)
        try:
            dst.execute("PRAGMA synchronous=OFF")  # each step is written out below, and the whole file at the end
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_schema").fetchone()  # the snapshot starts here
            fd = os.open(partial, os.O_RDONLY)
            try:

                def written(_status: int, _remaining: int, _total: int) -> None:
                    _sync(fd)
                    time.sleep(pause_s)

                src.backup(dst, pages=step_pages, progress=written)
            finally:
                os.close(fd)
            src.execute("COMMIT")  # release the snapshot before the check below
            copied = time.monotonic() - started
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
        finally:
            dst.close()
    finally:
        src.close()
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    partial.replace(target)  # a reader never sees a half-written backup
    log.info(
        "sqlite backup copied",
        extra={
            "fields": {"file": target.name, "copy_s": round(copied, 1), "total_s": round(time.monotonic() - started, 1)}
        },
    )
    return target


_sync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def lower_thread_priority(niceness: int = BACKUP_NICENESS) -> None:
    """Lower the calling thread's CPU priority (Linux schedules threads one by one; elsewhere nothing)."""
    if sys.platform != "linux":
        return  # elsewhere a thread's id is no process id: setpriority would reach another process
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


def nightly_backup(settings: Settings, *, now: datetime | None = None) -> Path:
    """Write ``var/backups/shop-YYYYMMDD-HHMMSS.db`` and keep the newest ``settings.backup_keep``."""
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    target = backup_sqlite(sqlite_path(settings), settings.backup_dir / f"shop-{stamp}.db")
    copies = sorted(settings.backup_dir.glob("shop-*.db"))
    for old in copies[: max(0, len(copies) - settings.backup_keep)]:
        old.unlink(missing_ok=True)
    return target
