"""Uploads waiting for the secretary to map their columns: kept under var/ for a day, then removed."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from shop.errors import N_, NotFound

KEEP_SECONDS = 24 * 60 * 60
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


def stash_upload(var_dir: Path, village_id: int, platform: str, filename: str, data: bytes) -> str:
    """Keep the file until its columns are mapped; the token names it (unguessable, no path in it)."""
    folder = _folder(var_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_old(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.data").write_bytes(data)
    meta = {"village_id": village_id, "platform": platform, "filename": filename}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def load_upload(var_dir: Path, token: str, village_id: int | None) -> StashedUpload:
    """The stashed upload; another village's (or an expired one) is simply not there."""
    if not _TOKEN.match(token or ""):
        raise NotFound(N_("This upload is no longer waiting; upload the file again."))
    folder = _folder(var_dir)
    try:
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


def _remove_old(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue
