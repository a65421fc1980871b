"""The starter course 电商直播入门 shipped in ``shop/training/content``: read it, and load it into a village once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.training.courses import CourseService
from shop.training.inputs import LessonFields
from shop.training.models import Course

CONTENT_DIR = Path(__file__).resolve().parent / "content"
STARTER_KEY = "livestream-basics"


@dataclass(frozen=True)
class StarterCourse:
    title: str
    description: str
    lessons: tuple[LessonFields, ...]


@cache
def starter_course() -> StarterCourse:
    """The course as shipped: ``course.json`` names the lessons in order, each lesson's text is its own file."""
    manifest = json.loads((CONTENT_DIR / "course.json").read_text(encoding="utf-8"))
    lessons = tuple(
        LessonFields(
            title=entry["title"],
            body_md=(CONTENT_DIR / entry["file"]).read_text(encoding="utf-8"),
            minutes=int(entry["minutes"]),
        )
        for entry in manifest["lessons"]
    )
    return StarterCourse(title=manifest["title"], description=manifest["description"], lessons=lessons)


async def import_starter_course(session: AsyncSession, actor: Principal, village_id: int) -> tuple[Course, bool]:
    """Load the starter course into the village, published; a second call returns the first one unchanged."""
    actor.require_staff()
    actor.ensure_village(village_id)
    courses = CourseService(session=session)
    existing = await courses.find_starter(village_id, STARTER_KEY)
    if existing is not None:
        return existing, False
    starter = starter_course()
    course = await courses.create_course(
        actor,
        title=starter.title,
        description=starter.description,
        lessons=starter.lessons,
        published=True,
        village_id=village_id,
        starter_key=STARTER_KEY,
    )
    return course, True
