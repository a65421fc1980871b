"""iCalendar (RFC 5545) feeds of streams and classes, for phones to subscribe to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event, vDuration

from shop.timeutil import as_utc

PRODID = "-//Cunbo Shop//Village Livestream Calendar//ZH"
REMINDER_BEFORE = timedelta(minutes=30)
# Subscribed calendars poll on their own schedule; asking for hourly lets a reschedule show up the same day.
REFRESH_EVERY = timedelta(hours=1)
# SEQUENCE counts seconds of updated_at from here: it only has to grow with each edit and stay
# within RFC 5545's 32-bit INTEGER, which it does until 2092.
_SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One entry of a feed. Naive datetimes are taken as UTC, as everywhere else in the shop."""

    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if as_utc(self.ends_at) < as_utc(self.starts_at):
            raise ValueError(f"event {self.uid!r} ends before it starts")

    @property
    def sequence(self) -> int:
        """Grows with every edit, so a calendar that already holds the event takes the new times."""
        if self.updated_at is None:
            return 0
        return max(0, int((as_utc(self.updated_at) - _SEQUENCE_EPOCH).total_seconds()))


# Another domain's events in a user's feed (training adds the classes of the user's cohorts):
# fn(session, user_id, base_url=...) → events.
CalendarSource = Callable[..., Awaitable[list[CalendarEvent]]]


def build_calendar(events: Iterable[CalendarEvent], *, name: str, now: datetime) -> bytes:
    """The whole feed as an ``.ics`` body (UTF-8, CRLF line endings, long lines folded)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    calendar.add("refresh-interval", REFRESH_EVERY, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_EVERY))
    stamp = as_utc(now)
    for event in sorted(events, key=lambda e: (as_utc(e.starts_at), e.uid)):
        calendar.add_component(_vevent(event, stamp))
    ical: bytes = calendar.to_ical()
    return ical


def _vevent(event: CalendarEvent, stamp: datetime) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", as_utc(event.starts_at))
    # RFC 5545 wants DTEND strictly later than DTSTART; without one, the event is an instant.
    if as_utc(event.ends_at) > as_utc(event.starts_at):
        vevent.add("dtend", as_utc(event.ends_at))
    vevent.add("summary", event.title)
    if event.location:
        vevent.add("location", event.location)
    if event.description:
        vevent.add("description", event.description)
    if event.url:
        vevent.add("url", event.url)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("sequence", event.sequence)
    if event.updated_at is not None:
        vevent.add("last-modified", as_utc(event.updated_at))
    if not event.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", -REMINDER_BEFORE)
        vevent.add_component(alarm)
    return vevent
