"""The rotating class check-in code: six digits derived from the class and the current minute.

The code is an HMAC of the class id and the minute under the server's secret key, so it cannot be
guessed or worked out in advance. The secretary's screen shows the current one; the server accepts the
code of the current and of the previous minute (a trainee scanning at :59 still gets in) and refuses
anything older, so a code passed on to someone at home stops working within two minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from shop.timeutil import as_utc

CODE_DIGITS = 6
ACCEPTED_MINUTES = 2  # the current minute and the one before it


def minute_of(moment: datetime) -> int:
    """Minutes since the Unix epoch: the slot a code belongs to."""
    return int(as_utc(moment).timestamp()) // 60


def checkin_code(secret_key: str, class_id: int, minute: int) -> str:
    message = f"class-checkin:{class_id}:{minute}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS
    return f"{number:0{CODE_DIGITS}d}"


def current_code(secret_key: str, class_id: int, now: datetime) -> str:
    return checkin_code(secret_key, class_id, minute_of(now))


def seconds_until_next_code(now: datetime) -> int:
    """How long the code on screen stays current: the page refreshes itself then."""
    return 60 - int(as_utc(now).timestamp()) % 60


def is_valid_code(secret_key: str, class_id: int, code: str, now: datetime) -> bool:
    typed = (code or "").strip()
    if len(typed) != CODE_DIGITS or not typed.isdigit():
        return False
    minute = minute_of(now)
    # Compare against every accepted minute (no early exit), in constant time.
    matches = [
        hmac.compare_digest(checkin_code(secret_key, class_id, minute - back), typed)
        for back in range(ACCEPTED_MINUTES)
    ]
    return any(matches)
