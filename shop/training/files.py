"""Files attached to lessons (a PDF checklist to print): checked, stored by content hash, found again safely.

They live under ``var/lesson-files``, outside the public media folder: only the lesson's readers get them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from shop.errors import N_, InvalidInput, NotFound, TooLarge

MAX_LESSON_FILE_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class StoredLessonFile:
    key: str
    name: str
    bytes: int


def lesson_files_dir(var_dir: Path) -> Path:
    return var_dir / "lesson-files"


def clean_file_name(name: str) -> str:
    """The name the download is saved under: no folders, no control characters, ends in .pdf."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?').strip(" .")[:100]
    if not base.lower().endswith(".pdf"):
        base = f"{base or 'lesson'}.pdf"
    return base


def store_lesson_file(data: bytes, name: str, root: Path) -> StoredLessonFile:
    """Checks that ``data`` is a PDF of at most 10 MB and stores it once under its SHA-256."""
    if len(data) > MAX_LESSON_FILE_BYTES:
        raise TooLarge(N_("The file is larger than %(limit)s MB."), field="file", limit=MAX_LESSON_FILE_BYTES >> 20)
    if not data.startswith(PDF_MAGIC):
        raise InvalidInput("file", N_("Attach a PDF file (for example a checklist to print)."))
    key = hashlib.sha256(data).hexdigest()
    path = root / f"{key}.pdf"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{key}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    return StoredLessonFile(key=key, name=clean_file_name(name), bytes=len(data))


def lesson_file_path(root: Path, key: str) -> Path:
    # Keys are hex digests written by store_lesson_file; anything else is not ours to serve.
    if len(key) != 64 or any(ch not in "0123456789abcdef" for ch in key):
        raise NotFound()
    path = root / f"{key}.pdf"
    if not path.is_file():
        raise NotFound()
    return path
