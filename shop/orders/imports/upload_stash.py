"""Uploads waiting for the secretary to map their columns: kept under var/ for a day, then removed (by the
scheduler's ``orders.expire_held_uploads`` job, and on the next upload). A village holds at most
``QUOTA_COUNT`` of them and ``QUOTA_BYTES`` in all: one more is refused with a message saying so."""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from shop.errors import N_, Conflict, NotFound

KEEP_SECONDS = 24 * 60 * 60
QUOTA_COUNT = 5
QUOTA_BYTES = 128 * 1024 * 1024  # two exports of the largest size the import takes
# Check-then-write of one process at a time (several workers may each let one more through, no more).
_quota_lock = threading.Lock()


class UploadQuotaExceeded(Conflict):
    def __init__(self, count: int, megabytes: float) -> None:
        super().__init__(
            N_(
                "Your village already has %(count)s uploads (%(size)s MB) waiting for their columns; at most "
                "%(limit)s uploads and %(limit_mb)s MB can wait. Finish or cancel one of them, or wait a day "
                "until they are removed."
            ),
            count=count,
            size=f"{megabytes:.1f}",
            limit=QUOTA_COUNT,
            limit_mb=QUOTA_BYTES >> 20,
        )


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class StashedUpload:
    token: str
    village_id: int
    platform: str
    filename: str
    data: bytes


def _folder(var_dir: Path) -> Path:
    return var_dir / "order-uploads"


def stash_upload(
    var_dir: Path, village_id: int, platform: str, filename: str, data: bytes, *, now: float | None = None
) -> str:
    """Keep the file until its columns are mapped; the token names it (unguessable, no path in it).

    ``UploadQuotaExceeded`` when the village's waiting uploads, this one included, would pass the quota."""
    folder = _folder(var_dir)
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time() if now is None else now
    with _quota_lock:
        remove_expired(var_dir, now=now)
        count, size = village_usage(var_dir, village_id)
        if count + 1 > QUOTA_COUNT or size + len(data) > QUOTA_BYTES:
            raise UploadQuotaExceeded(count, size / (1024 * 1024))
        token = secrets.token_urlsafe(24)
        (folder / f"{token}.data").write_bytes(data)
        meta = {"village_id": village_id, "platform": platform, "filename": filename}
        (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def village_usage(var_dir: Path, village_id: int) -> tuple[int, int]:
    """(how many uploads, how many bytes) the village has waiting."""
    count = size = 0
    for meta_path in _folder(var_dir).glob("*.json"):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("village_id") != village_id:
                continue
            size += meta_path.with_suffix(".data").stat().st_size
        except (OSError, ValueError):
            continue
        count += 1
    return count, size


def load_upload(var_dir: Path, token: str, village_id: int | None) -> StashedUpload:
    """The stashed upload; another village's (or an expired one) is simply not there."""
    if not _TOKEN.match(token or ""):
        raise NotFound(N_("This upload is no longer waiting; upload the file again."))
    folder = _folder(var_dir)
    try:
        if (folder / f"{token}.data").stat().st_mtime < time.time() - KEEP_SECONDS:
            raise NotFound(N_("This upload is no longer waiting; upload the file again."))
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.data").read_bytes()
    except (OSError, ValueError) as exc:
        raise NotFound(N_("This upload is no longer waiting; upload the file again.")) from exc
    if village_id is not None and meta["village_id"] != village_id:
        raise NotFound(N_("This upload is no longer waiting; upload the file again."))
    return StashedUpload(token, int(meta["village_id"]), str(meta["platform"]), str(meta["filename"]), data)


def drop_upload(var_dir: Path, token: str) -> None:
    if _TOKEN.match(token or ""):
        for suffix in (".data", ".json"):
            (_folder(var_dir) / f"{token}{suffix}").unlink(missing_ok=True)


def remove_expired(var_dir: Path, *, now: float | None = None) -> int:
    """Remove every upload older than ``KEEP_SECONDS``; how many files were removed."""
    folder = _folder(var_dir)
    if not folder.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - KEEP_SECONDS
    removed = 0
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed
