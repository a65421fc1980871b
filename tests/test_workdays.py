"""Working days by the official calendar: holidays stop the clock, 调休 Saturdays run it, and a year the
installed calendar does not know counts Monday to Friday."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shop import workdays
from shop.timeutil import SHANGHAI, to_local


def test_an_adjusted_saturday_is_a_working_day_and_a_spring_festival_monday_is_not() -> None:
    assert workdays.is_working_day(date(2026, 2, 14))  # Saturday, worked before the Spring Festival
    assert not workdays.is_working_day(date(2026, 2, 16))  # Monday inside the Spring Festival break
    assert not workdays.is_working_day(date(2026, 10, 1))
    assert workdays.is_working_day(date(2026, 10, 10))  # Saturday, worked after National Day


def test_two_working_days_from_a_monday_end_on_wednesday_night() -> None:
    raised = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # Monday
    deadline = workdays.deadline_after(raised, 2)
    assert to_local(deadline) == datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI)
    assert workdays.deadline_day(deadline) == date(2026, 11, 25)


def test_the_clock_jumps_the_spring_festival_and_counts_the_adjusted_saturday() -> None:
    # Friday 13 Feb 2026: Saturday 14th is worked, then 15–23 are the holiday.
    assert workdays.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert workdays.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert workdays.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2


def test_national_day_week_is_skipped() -> None:
    assert workdays.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_a_paused_clock_moves_the_deadline_by_the_working_days_lost() -> None:
    deadline = workdays.end_of_day(date(2026, 11, 27))  # Friday
    paused = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday
    resumed = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the next Monday: Thu, Fri, Mon passed
    moved = workdays.shift_deadline(deadline, paused, resumed)
    assert workdays.deadline_day(moved) == date(2026, 12, 2)
    assert workdays.shift_deadline(deadline, paused, paused) == deadline


def test_the_reminder_comes_the_working_morning_before() -> None:
    deadline = workdays.end_of_day(date(2026, 2, 24))  # Tuesday after the Spring Festival
    assert to_local(workdays.reminder_before(deadline)) == datetime(2026, 2, 14, 8, 0, tzinfo=SHANGHAI)


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday() -> None:
    first, last = workdays.known_years()
    future = last + 1
    assert not workdays.calendar_known(future)
    assert workdays.calendar_known(last)
    assert workdays.calendar_known(first)
    # 1 January is a holiday in every known year, but a weekday of an unknown year is simply worked.
    new_year = date(future, 1, 1)
    assert workdays.is_working_day(new_year) == (new_year.weekday() < 5)
    assert workdays.unknown_years(date(last, 12, 1), date(future, 1, 31)) == [future]


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        workdays.add_working_days(date(2026, 1, 5), -1)
