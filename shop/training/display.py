"""How training facts read on a page: class times in Beijing time, what is missing, attendance labels."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from markupsafe import Markup

from shop import i18n
from shop.errors import N_
from shop.timeutil import to_local
from shop.training.models import ATTENDANCE_LABELS, AttendanceStatus, TrainingClass
from shop.training.rules import Shortfall

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
CLASS_LENGTHS = (30, 45, 60, 90, 120, 150, 180, 240)


def class_when(training_class: TrainingClass) -> Markup:
    """'12月3日（周三）14:00–16:00' in Chinese, '12/3 (Wed) 14:00–16:00' in English; the hours never break."""
    starts, ends = to_local(training_class.starts_at), to_local(training_class.ends_at)
    day = i18n.gettext_(
        N_("%(month)d/%(day)d (%(weekday)s)"),
        month=starts.month,
        day=starts.day,
        weekday=i18n.translate(WEEKDAYS[starts.weekday()]),
    )
    return Markup('{} <span class="nowrap">{}–{}</span>').format(day, f"{starts:%H:%M}", f"{ends:%H:%M}")


def long_date(day: date) -> str:
    """How a certificate gives its date: 2026年11月28日, or 28 November 2026."""
    if i18n.is_chinese():
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def describe(shortfall: Shortfall) -> str:
    return i18n.gettext_(shortfall.message, **shortfall.params)


def attendance_options() -> list[tuple[str, str]]:
    return [(status.value, i18n.translate(ATTENDANCE_LABELS[status])) for status in AttendanceStatus]


def attendance_label(status: str | None) -> str:
    if not status:
        return i18n.gettext_(N_("Not marked"))
    return i18n.translate(ATTENDANCE_LABELS[AttendanceStatus(status)])


def file_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, size // 1024)} KB"


def class_length_options() -> list[tuple[str, str]]:
    return [(str(minutes), i18n.gettext_(N_("%(n)d minutes"), n=minutes)) for minutes in CLASS_LENGTHS]


def helpers() -> dict[str, Any]:
    """The functions every training template may call."""
    return {
        "when": class_when,
        "describe": describe,
        "attendance_label": attendance_label,
        "file_size": file_size,
        "long_date": long_date,
    }
