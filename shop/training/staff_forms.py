"""What the secretary's training forms send, read into what the training services take: whole numbers, days,
a class's times, a completion rule, a lesson's fields, the village an admin chose.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from shop.accounts.principal import Principal
from shop.errors import N_, InvalidInput
from shop.paging import Paging
from shop.timeutil import local_to_utc
from shop.training.inputs import LessonFields
from shop.training.rules import CompletionRule
from shop.villages.services import VillageService
from shop.web.deps import DbSession

LIST_LIMIT = 200
DEFAULT_CLASS_MINUTES = 120


def whole_number(form: Any, field: str, *, default: int | None = None) -> int:
    text = str(form.get(field) or "").strip()
    if not text and default is not None:
        return default
    if not text.isdigit():
        raise InvalidInput(field, N_("Enter a whole number."))
    return int(text)


def form_day(form: Any, field: str, *, required: bool) -> date | None:
    text = str(form.get(field) or "").strip()
    if not text:
        if required:
            raise InvalidInput(field, N_("Pick a date."))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(field, N_("The date must look like 2026-12-01.")) from exc


def class_times(form: Any) -> tuple[datetime, datetime]:
    """``starts_at`` is Beijing wall-clock time from a datetime-local input; the length is in minutes."""
    text = str(form.get("starts_at") or "").strip()
    try:
        starts = local_to_utc(datetime.fromisoformat(text))
    except ValueError as exc:
        raise InvalidInput("starts_at", N_("Pick the day and the time the class starts.")) from exc
    minutes = whole_number(form, "length", default=DEFAULT_CLASS_MINUTES)
    if not 1 <= minutes <= 12 * 60:
        raise InvalidInput("length", N_("A class lasts at most 12 hours."))
    return starts, starts + timedelta(minutes=minutes)


def form_rule(form: Any) -> CompletionRule:
    return CompletionRule(
        require_all_lessons=form.get("require_all_lessons") == "on",
        min_attendance_percent=whole_number(form, "min_attendance_percent", default=0),
        min_practice_streams=whole_number(form, "min_practice_streams", default=0),
    )


def lesson_fields(form: Any) -> LessonFields:
    minutes_text = str(form.get("minutes") or "").strip()
    return LessonFields(
        title=str(form.get("title") or ""),
        body_md=str(form.get("body_md") or ""),
        minutes=whole_number(form, "minutes") if minutes_text else None,
        video_url=str(form.get("video_url") or ""),
    )


async def village_options(actor: Principal, db_session: DbSession) -> list[tuple[int, str]]:
    if not actor.is_admin:
        return []
    villages, _total = await VillageService(session=db_session).list_for(actor, Paging(limit=LIST_LIMIT))
    return [(v.id, v.name) for v in villages]


def optional_village(form: Any) -> int | None:
    text = str(form.get("village_id") or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("village_id", N_("Choose a village."))
    return int(text)
