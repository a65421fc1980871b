"""Online backup of the embedded SQLite database: a consistent copy taken while the service writes.

Restoring is copying the file back while the service is stopped. On PostgreSQL use ``pg_dump``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from shop.settings import Settings
from shop.timeutil import utcnow


class BackupError(RuntimeError):
    pass


def sqlite_path(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise BackupError("shop backup copies the embedded SQLite database; on PostgreSQL use pg_dump")
    return Path(settings.database_url.split("///", 1)[1])


def backup_sqlite(source: Path, target: Path) -> Path:
    """Copy with SQLite's backup API: it reads a consistent snapshot page by page, beside live writers."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # One step: in WAL mode this reads one consistent snapshot while writers carry on
            # (copying in slices would restart on every concurrent write and might never finish).
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
        finally:
            dst.close()
    finally:
        src.close()
    partial.replace(target)  # a reader never sees a half-written backup
    return target


def nightly_backup(settings: Settings, *, now: datetime | None = None) -> Path:
    """Write ``var/backups/shop-YYYYMMDD-HHMMSS.db`` and keep the newest ``settings.backup_keep``."""
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    target = backup_sqlite(sqlite_path(settings), settings.backup_dir / f"shop-{stamp}.db")
    copies = sorted(settings.backup_dir.glob("shop-*.db"))
    for old in copies[: max(0, len(copies) - settings.backup_keep)]:
        old.unlink(missing_ok=True)
    return target
