"""Money: integer fen (分) everywhere, rates in basis points. Nothing else does arithmetic on money."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

BP_PER_WHOLE = 10_000
_YUAN_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class MoneyFormatError(ValueError):
    """A price text that is not an amount of yuan."""


def format_fen(fen: int, *, symbol: str = "¥") -> str:
    """12345 → '¥123.45'; negative amounts keep their sign in front: '-¥1.05'."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), 100)
    return f"{sign}{symbol}{whole:,}.{part:02d}"


def fen_to_yuan_text(fen: int) -> str:
    """For form fields and exports: 12345 → '123.45' (no symbol, no grouping)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{part:02d}"


def parse_yuan(text: str | int | float | Decimal) -> int:
    """Yuan as people type or export it ('39.9', '¥1,234.50', '１２.５', 75) → fen, exactly.

    Refuses more than two decimals rather than rounding money silently; floats go through
    their shortest repr, never through binary arithmetic.
    """
    if isinstance(text, bool):
        raise MoneyFormatError("not an amount")
    if isinstance(text, int):
        return text * 100
    if isinstance(text, float):
        text = repr(text)
    raw = str(text).strip()
    # Full-width digits and punctuation from Chinese input methods.
    raw = raw.translate({0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF0E: ".", 0xFF0C: ",", 0xFFE5: "¥"})
    for token in ("¥", "￥", "元", "RMB", "CNY", ",", " ", "\u00a0"):
        raw = raw.replace(token, "")
    if not _YUAN_RE.match(raw):
        raise MoneyFormatError(f"not an amount of yuan: {text!r}")
    try:
        amount = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise MoneyFormatError(f"not an amount of yuan: {text!r}") from exc
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise MoneyFormatError(f"more than two decimals: {text!r}")
    return int(fen)


def fee_fen(gross_fen: int, rate_bp: int) -> int:
    """A fee of ``rate_bp`` basis points on ``gross_fen``, rounded half up to the fen (598.5 → 599)."""
    if rate_bp < 0:
        raise ValueError("a rate cannot be negative")
    exact = Decimal(gross_fen) * Decimal(rate_bp) / Decimal(BP_PER_WHOLE)
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))
