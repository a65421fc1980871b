"""What staff type for training, checked once for the API, the forms and the starter course: lines of text,
lesson bodies, video links, whole numbers, times and days, completion rules, a lesson's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from shop.errors import N_, InvalidInput
from shop.text import clean_text
from shop.timeutil import as_utc
from shop.training.rules import CompletionRule

LESSON_BODY_MAX = 20_000
# Reading time for a lesson whose minutes were not given: about 300 Chinese characters a minute on a phone.
CHARACTERS_PER_MINUTE = 300


EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def clean_video_url(value: str | None, field: str = "video_url") -> str:
    url = clean_text(value, field, max_len=500, line=True)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(field, N_("The video link must be a web address starting with https:// or http://."))
    return url


def clean_whole(value: object, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(field, N_("Enter a whole number from %(low)d to %(high)d."), low=low, high=high)
    return value


def clean_rule(rule: CompletionRule) -> CompletionRule:
    return CompletionRule(
        require_all_lessons=bool(rule.require_all_lessons),
        min_attendance_percent=clean_whole(rule.min_attendance_percent, "min_attendance_percent", low=0, high=100),
        min_practice_streams=clean_whole(rule.min_practice_streams, "min_practice_streams", low=0, high=50),
    )


def clean_instant(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(field, N_("Give the time with its time zone, e.g. 2026-12-01T14:00:00+08:00."))
    moment = as_utc(value)
    if not EARLIEST <= moment < LATEST:
        raise InvalidInput(field, N_("The time is out of range; check the year."))
    return moment


def clean_day(value: date | None, field: str) -> date | None:
    if value is not None and not EARLIEST.date() <= value < LATEST.date():
        raise InvalidInput(field, N_("The date is out of range; check the year."))
    return value


@dataclass
class LessonFields:
    """A lesson's editable text, checked once for the API, the forms and the starter course."""

    title: str
    body_md: str = ""
    minutes: int | None = None
    video_url: str = ""

    def cleaned(self, prefix: str = "") -> LessonFields:
        body = clean_text(self.body_md, f"{prefix}body_md", max_len=LESSON_BODY_MAX)
        minutes = self.minutes
        if minutes is None:
            minutes = max(1, -(-len(body) // CHARACTERS_PER_MINUTE))
        return LessonFields(
            title=clean_text(
                self.title, f"{prefix}title", max_len=100, line=True, missing=N_("Give the lesson a title.")
            ),
            body_md=body,
            minutes=clean_whole(minutes, f"{prefix}minutes", low=1, high=600),
            video_url=clean_video_url(self.video_url, f"{prefix}video_url"),
        )
