"""Working days by China's official calendar (holidays and the adjusted working days, 调休), for the clocks
of villagers' cases: "respond within 2 working days" counts the way a government office counts.

The calendar comes from the ``chinese-calendar`` package, which carries the State Council's notice for each
year; nothing here types a holiday in. The notice for a year is published around November of the year
before, and the package needs a new release to know it. For a year the installed package does not know
yet, a working day is Monday to Friday (``calendar_known`` says so, the county admin's pages show a
warning, and ``pip install -U chinese-calendar`` fixes it); the clock then never stops for a public
holiday it cannot see, which errs towards answering villagers sooner.

A deadline "n working days after" a moment is the end (24:00 Beijing time) of the n-th working day after
that moment's Beijing day: raised on a Monday, 2 working days means by the end of Wednesday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import chinese_calendar

from shop.timeutil import SHANGHAI, local_day_bounds, to_local

# Where a reminder of a deadline lands: the morning of the working day before it.
REMINDER_HOUR = 8
# A deadline more than this many days out is a bug in the caller, not a calendar question.
_MAX_SPAN = 3660


@cache
def calendar_known(year: int) -> bool:
    """Whether the installed calendar has the official holidays of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@cache
def known_years() -> tuple[int, int]:
    """The first and last year the installed calendar knows."""
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def calendar_version() -> str:
    return str(getattr(chinese_calendar, "__version__", "?"))


@cache
def is_working_day(day: date) -> bool:
    """A working day by the official calendar (a 调休 Saturday is one, a Spring Festival Monday is not);
    Monday to Friday for a year the calendar does not know yet."""
    if calendar_known(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (``start`` itself never counts); ``n`` = 0 is ``start``."""
    if n < 0:
        raise ValueError("n cannot be negative")
    day = start
    for _ in range(_MAX_SPAN):
        if n == 0:
            return day
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    raise ValueError("no working day within ten years")


def working_days_between(first: date, last: date) -> int:
    """Working days d with ``first`` < d <= ``last`` (0 when ``last`` is not after ``first``)."""
    count = 0
    day = first
    while day < last:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def end_of_day(day: date) -> datetime:
    """The UTC instant at which a Beijing day ends (a deadline "by the end of ``day``")."""
    return local_day_bounds(day)[1]


def deadline_after(moment: datetime, working_days: int) -> datetime:
    """The end of the ``working_days``-th working day after the Beijing day of ``moment``."""
    return end_of_day(add_working_days(to_local(moment).date(), working_days))


def deadline_day(deadline: datetime) -> date:
    """The Beijing day a deadline closes (the day before the midnight it is stored as)."""
    return (to_local(deadline) - timedelta(microseconds=1)).date()


def shift_deadline(deadline: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """A deadline moved on by the working days that passed while its clock was paused."""
    lost = working_days_between(to_local(paused_at).date(), to_local(resumed_at).date())
    return end_of_day(add_working_days(deadline_day(deadline), lost))


def reminder_before(deadline: datetime) -> datetime:
    """08:00 Beijing time on the last working day before the deadline's day ("due tomorrow")."""
    day = deadline_day(deadline) - timedelta(days=1)
    for _ in range(_MAX_SPAN):
        if is_working_day(day):
            break
        day -= timedelta(days=1)
    return datetime.combine(day, time(REMINDER_HOUR), tzinfo=SHANGHAI).astimezone(UTC)


def unknown_years(first: date, last: date) -> list[int]:
    """The years from ``first`` to ``last`` whose official calendar is not installed."""
    return [year for year in range(first.year, last.year + 1) if not calendar_known(year)]
