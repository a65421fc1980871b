"""The one rule for text people type, on every page, API and import: what is kept, what is refused.

Invisible control characters (a NUL pasted from a chat app, which PostgreSQL refuses in text; a bell; an
escape) are dropped. A block of text keeps its tabs and line breaks (``\\r\\n`` becomes ``\\n``); a single
line turns them into spaces. Spaces around the text go. Then it must be there when required and fit its
column's length; either failure is a 400 naming the field.
"""

from __future__ import annotations

import re

from shop.errors import N_, InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, line feed, carriage return
_LINE_BREAKS = re.compile(r"[\t\r\n]+")


def clean_text(
    value: str | None,
    field: str,
    *,
    max_len: int,
    required: bool = False,
    line: bool = False,
    missing: str | None = None,
) -> str:
    """``value`` by the rule above; ``line`` for one-line fields; ``missing`` replaces the "is required" message."""
    text = _CONTROL.sub("", value or "")
    text = _LINE_BREAKS.sub(" ", text) if line else text.replace("\r\n", "\n")
    text = text.strip()
    if not text and (required or missing):
        raise InvalidInput(field, missing or N_("%(name)s is required."), name=field)
    if len(text) > max_len:
        raise InvalidInput(field, N_("%(name)s is longer than %(max)d characters."), name=field, max=max_len)
    return text
