"""Bar charts as small inline SVG: no JavaScript, no fonts or stylesheets to fetch, sharp in print."""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_FILL = "#c8811a"
HIGHLIGHT_FILL = "#a8322d"
TEXT_FILL = "#222"
MUTED_FILL = "#666"
GRID_STROKE = "#d6cbbb"
AXIS_STROKE = "#999"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    highlight: bool = False


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    value_label: Callable[[int], str] = str,
    width: int = 640,
    height: int = 220,
    empty_label: str = "暂无数据",
    label_latest: bool = False,
) -> Markup:
    """An SVG bar chart that scales to its container's width (``width``/``height`` only set the aspect ratio).

    ``value_label`` turns a value into text (``shop.money.format_fen`` for fen). Values are written on
    the bars when every one fits above its bar; otherwise the top gridline carries the scale. Negative
    values (a month of refunds) hang below the zero line. When labels must thin out, ``label_latest``
    keeps the last bar's (the current month) rather than the first's. ``empty_label`` is shown when there is nothing
    to draw, so pass it translated.
    """
    bars = list(bars)
    value_texts = [value_label(bar.value) for bar in bars]
    scale = _Scale.of(bars, value_texts, width, height)
    desc = "; ".join(f"{bar.label}: {text}" for bar, text in zip(bars, value_texts, strict=True)) or empty_label
    chart_id = "chart-" + hashlib.blake2s(f"{title}\0{desc}".encode(), digest_size=4).hexdigest()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img"'
        f' aria-labelledby="{chart_id}-t {chart_id}-d" class="chart" font-family="sans-serif" font-size="{scale.fs}">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>',
        *_gridlines(scale, value_label),
        *_bar_rects(scale, bars, value_texts),
    ]
    if scale.show_values:
        parts.append(_value_texts(scale, bars, value_texts))
    elif not scale.span:
        parts.append(_text(width / 2, (scale.plot_top + scale.plot_bottom) / 2, empty_label, MUTED_FILL))
    if bars:
        parts.append(
            _axis_labels(
                bars,
                slot=scale.slot,
                pad=scale.pad,
                fs=scale.fs,
                width=width,
                baseline=height - scale.fs * 0.35,
                from_end=label_latest,
            )
        )
    parts.append("</svg>")
    # Every piece of caller text above went through escape(); the rest is our own markup.
    return Markup("".join(parts))  # noqa: S704


@dataclass(frozen=True)
class _Scale:
    """Where things go: the text size, each bar's slot, the value range and the plot's top and bottom."""

    width: int
    fs: int
    pad: int
    slot: float
    bar_w: float
    top: int
    bottom: int
    plot_top: int
    plot_bottom: int
    show_values: bool

    @classmethod
    def of(cls, bars: Sequence[Bar], value_texts: Sequence[str], width: int, height: int) -> _Scale:
        n = len(bars)
        # Text is sized against the viewBox: 640 wide shrinks to ~343 px on a 375 px phone, and 1/30 of
        # the width is then still ~11 px.
        fs = max(12, round(width / 30))
        row = round(fs * 1.4)
        pad = round(fs * 0.4)
        slot = (width - 2 * pad) / n if n else 0.0
        values = [bar.value for bar in bars]
        bottom = -_nice_ceiling(-min([0, *values]))
        return cls(
            width=width,
            fs=fs,
            pad=pad,
            slot=slot,
            bar_w=slot * 0.72,
            top=_nice_ceiling(max([0, *values])),
            bottom=bottom,
            plot_top=row,
            plot_bottom=height - row - (row if bottom < 0 else 0),
            # Values go on the bars only when every one fits above its bar.
            show_values=n > 0 and max(_text_width(text, fs) for text in value_texts) <= slot * 0.98,
        )

    @property
    def span(self) -> int:
        return self.top - self.bottom

    def y_of(self, value: int) -> float:
        # A zero span (no data, or all zeros) would divide by zero: everything sits on the baseline.
        if not self.span:
            return float(self.plot_bottom)
        return self.plot_top + (self.top - value) / self.span * (self.plot_bottom - self.plot_top)


def _gridlines(scale: _Scale, value_label: Callable[[int], str]) -> list[str]:
    """The zero line, and the scale's top and bottom lines when the bars carry no values."""
    left, right = scale.pad, scale.width - scale.pad
    lines = []
    if not scale.show_values and scale.top > 0:
        lines.append(_hline(left, right, scale.plot_top, GRID_STROKE))
        lines.append(_text(left, scale.plot_top - scale.fs * 0.3, value_label(scale.top), MUTED_FILL, anchor="start"))
    if not scale.show_values and scale.bottom < 0:
        lines.append(_hline(left, right, scale.plot_bottom, GRID_STROKE))
        lines.append(_text(left, scale.plot_bottom + scale.fs, value_label(scale.bottom), MUTED_FILL, anchor="start"))
    lines.append(_hline(left, right, scale.y_of(0), AXIS_STROKE))
    return lines


def _bar_rects(scale: _Scale, bars: Sequence[Bar], value_texts: Sequence[str]) -> list[str]:
    """One rectangle per non-zero bar, from the zero line up (or down, for a negative value)."""
    zero_y = scale.y_of(0)
    rects = []
    for i, bar in enumerate(bars):
        if bar.value == 0 or not scale.span:
            continue
        y0, y1 = sorted((scale.y_of(bar.value), zero_y))
        fill = f' fill="{HIGHLIGHT_FILL}"' if bar.highlight else ""
        x = scale.pad + i * scale.slot + (scale.slot - scale.bar_w) / 2
        rects.append(
            f'<rect x="{_n(x)}" y="{_n(y0)}" width="{_n(scale.bar_w)}"'
            f' height="{_n(y1 - y0)}"{fill}><title>{escape(bar.label)}: {escape(value_texts[i])}</title></rect>'
        )
    return [f'<g fill="{BAR_FILL}">{"".join(rects)}</g>'] if rects else []


def _value_texts(scale: _Scale, bars: Sequence[Bar], value_texts: Sequence[str]) -> str:
    """Each value written just above its bar (below it, for a negative one)."""
    labels = []
    for i, (bar, text) in enumerate(zip(bars, value_texts, strict=True)):
        cx = scale.pad + (i + 0.5) * scale.slot
        ty = scale.y_of(bar.value) + scale.fs if bar.value < 0 else scale.y_of(bar.value) - scale.fs * 0.3
        labels.append(f'<text x="{_n(cx)}" y="{_n(ty)}">{escape(text)}</text>')
    return f'<g fill="{TEXT_FILL}" text-anchor="middle">{"".join(labels)}</g>'


def _axis_labels(
    bars: Sequence[Bar], *, slot: float, pad: int, fs: int, width: int, baseline: float, from_end: bool = False
) -> str:
    """Category labels under the bars, every ``step``-th one when they would otherwise overlap (counted
    from the first bar, or back from the last)."""
    cap = max(slot * 0.95, width / 5)
    texts = [_truncate(bar.label, cap, fs) for bar in bars]
    widest = max(_text_width(t, fs) for t in texts)
    step = max(1, math.ceil((widest + fs * 0.5) / slot))
    labels = []
    for i in sorted(range(len(bars) - 1, -1, -step)) if from_end else range(0, len(bars), step):
        half = _text_width(texts[i], fs) / 2
        # Keep the first and last labels inside the viewBox rather than clipped at the edge.
        cx = min(max(pad + (i + 0.5) * slot, half + 2), width - half - 2)
        labels.append(f'<text x="{_n(cx)}" y="{_n(baseline)}">{escape(texts[i])}</text>')
    return f'<g fill="{MUTED_FILL}" text-anchor="middle">{"".join(labels)}</g>'


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value``, so the scale reads as a round number."""
    if value <= 0:
        return 0
    magnitude: int = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    raise AssertionError("unreachable: 10 × magnitude always exceeds value")  # pragma: no cover


def _text_width(text: str, fs: float) -> float:
    """An estimate without font metrics: CJK glyphs are about 1 em wide, Latin and digits about 0.6 em."""
    return sum(fs if unicodedata.east_asian_width(ch) in "WF" else fs * 0.6 for ch in text)


def _truncate(text: str, max_width: float, fs: float) -> str:
    if _text_width(text, fs) <= max_width:
        return text
    room = max_width - fs  # the ellipsis
    kept = []
    for ch in text:
        room -= _text_width(ch, fs)
        if room < 0:
            break
        kept.append(ch)
    return "".join(kept) + "…"


def _hline(x0: float, x1: float, y: float, stroke: str) -> str:
    return f'<path d="M{_n(x0)} {_n(y)}H{_n(x1)}" stroke="{stroke}"/>'


def _text(x: float, y: float, text: str, fill: str, *, anchor: str = "middle") -> str:
    return f'<text x="{_n(x)}" y="{_n(y)}" fill="{fill}" text-anchor="{anchor}">{escape(text)}</text>'


def _n(value: float) -> str:
    """Coordinates to one decimal without trailing zeros: the SVG stays small."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text
