"""iCalendar feeds: parse back, UTC instants, cancellations, Chinese text, reschedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar, Event

from shop.calendar_feed import CalendarEvent, build_calendar
from shop.timeutil import SHANGHAI

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
STREAM = CalendarEvent(
    uid="stream-7@cunbo.example",
    title="剪纸非遗专场直播",
    starts_at=datetime(2026, 12, 1, 19, 30, tzinfo=SHANGHAI),
    ends_at=datetime(2026, 12, 1, 21, 0, tzinfo=SHANGHAI),
    location="陈家店村党群服务中心",
    description="市级非遗剪纸项目传承人讲解窗花；同场上架小米、蜂蜜。",
    url="https://cunbo.example/streams/7",
    updated_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
)


def _stream(**changes: Any) -> CalendarEvent:
    return replace(STREAM, **changes)


def _events(ics: bytes) -> list[Event]:
    return Calendar.from_ical(ics).walk("VEVENT")


def test_feed_parses_back_with_calendar_headers() -> None:
    ics = build_calendar([_stream()], name="张书记的直播日历", now=NOW)

    calendar = Calendar.from_ical(ics)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "张书记的直播日历"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert len(calendar.walk("VEVENT")) == 1


def test_beijing_evening_is_written_as_the_utc_instant() -> None:
    ics = build_calendar([_stream()], name="日历", now=NOW)

    assert b"DTSTART:20261201T113000Z\r\n" in ics
    assert b"DTEND:20261201T130000Z\r\n" in ics
    event = _events(ics)[0]
    assert event.decoded("DTSTART") == datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == NOW


def test_event_carries_uid_text_fields_confirmed_status_and_alarm() -> None:
    event = _events(build_calendar([_stream()], name="日历", now=NOW))[0]

    assert str(event["UID"]) == "stream-7@cunbo.example"
    assert str(event["LOCATION"]) == "陈家店村党群服务中心"
    assert str(event["URL"]) == "https://cunbo.example/streams/7"
    assert str(event["STATUS"]) == "CONFIRMED"
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-30)


def test_cancelled_event_is_status_cancelled_without_alarm() -> None:
    ics = build_calendar([_stream(cancelled=True)], name="日历", now=NOW)

    assert b"STATUS:CANCELLED\r\n" in ics
    event = _events(ics)[0]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.walk("VALARM") == []


def test_chinese_text_with_ical_special_characters_round_trips() -> None:
    description = "第一行：报名请联系村委会，电话见公告；\n第二行：带上身份证"
    title = "助农直播·" + "新疆红枣与本村小米联合专场" * 4

    event = _events(build_calendar([_stream(title=title, description=description)], name="日历", now=NOW))[0]

    assert str(event["SUMMARY"]) == title
    assert str(event["DESCRIPTION"]) == description


def test_long_lines_are_folded_to_75_octets_with_crlf_endings() -> None:
    ics = build_calendar([_stream(title="非遗剪纸传承人带你认识窗花" * 6)], name="日历", now=NOW)

    assert ics.endswith(b"\r\n")
    assert b"\n" not in ics.replace(b"\r\n", b"")
    lines = ics.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)


def test_reschedule_raises_sequence() -> None:
    before = _stream(updated_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    after = _stream(
        starts_at=datetime(2026, 12, 2, 19, 30, tzinfo=SHANGHAI),
        ends_at=datetime(2026, 12, 2, 21, 0, tzinfo=SHANGHAI),
        updated_at=datetime(2026, 11, 20, 2, 0, 1, tzinfo=UTC),
    )

    (old,) = _events(build_calendar([before], name="日历", now=NOW))
    (new,) = _events(build_calendar([after], name="日历", now=NOW))

    assert int(new["SEQUENCE"]) > int(old["SEQUENCE"])
    assert int(new["SEQUENCE"]) < 2**31


def test_never_updated_event_has_sequence_zero() -> None:
    (event,) = _events(build_calendar([_stream(updated_at=None)], name="日历", now=NOW))

    assert int(event["SEQUENCE"]) == 0


def test_events_are_listed_in_start_order() -> None:
    late = _stream(
        uid="late", starts_at=datetime(2026, 12, 3, 12, tzinfo=UTC), ends_at=datetime(2026, 12, 3, 13, tzinfo=UTC)
    )
    early = _stream(uid="early")

    uids = [str(e["UID"]) for e in _events(build_calendar([late, early], name="日历", now=NOW))]

    assert uids == ["early", "late"]


def test_empty_feed_is_still_a_valid_calendar() -> None:
    calendar = Calendar.from_ical(build_calendar([], name="日历", now=NOW))

    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "日历"


def test_event_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        _stream(ends_at=datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI))
