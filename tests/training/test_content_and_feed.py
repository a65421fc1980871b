"""The starter course as shipped, its CLI import, the calendar events of a trainee, and the demo's training."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from shop.accounts.principal import Principal
from shop.cli import _with_session, main
from shop.demo import seed_demo
from shop.markdown import render_markdown
from shop.timeutil import utcnow
from shop.training.classes import class_events_for_user
from shop.training.content import import_starter_course, starter_course
from shop.training.demo import seed_training_demo
from shop.training.models import Attendance, Certificate, Cohort, Course, Enrollment, TrainingClass
from shop.training.progress import TrainingProgress
from shop.villages.services import VillageService
from tests.conftest import World
from tests.training.helpers import schedule, trained_world


def test_the_starter_course_has_six_real_lessons_in_order() -> None:
    course = starter_course()
    assert course.title == "电商直播入门"
    assert len(course.lessons) == 6
    assert course.lessons[0].title.startswith("用手机开播")
    assert course.lessons[5].title.startswith("平台规则")
    for lesson in course.lessons:
        assert len(lesson.body_md) > 1000
        assert "<h2>" in render_markdown(lesson.body_md)
        assert 1 <= (lesson.minutes or 0) <= 60


@pytest.mark.anyio
async def test_importing_the_starter_course_twice_keeps_one_copy(app, world: World, db) -> None:
    async with db.write() as session:
        first, created = await import_starter_course(session, Principal.system(), world.villages["a"])
    async with db.write() as session:
        second, again = await import_starter_course(session, Principal.system(), world.villages["a"])
    assert (created, again) == (True, False)
    assert first.id == second.id
    assert await db.scalar(select(func.count()).select_from(Course)) == 1


def test_the_cli_loads_the_starter_course_by_village_name(settings, monkeypatch) -> None:
    async def make_village(session):
        return await VillageService(session=session).create_village(Principal.system(), name="大营子村")

    village = asyncio.run(_with_session(settings, make_village))
    monkeypatch.setenv("SHOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SHOP_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("SHOP_SECRET_KEY", settings.secret_key)
    runner = CliRunner()
    first = runner.invoke(main, ["courses", "import-starter", "--village", "大营子村"])
    assert first.exit_code == 0, first.output
    assert "6 lessons" in first.output
    second = runner.invoke(main, ["courses", "import-starter", "--village", str(village.id)])
    assert second.exit_code == 0
    assert "nothing changed" in second.output
    unknown = runner.invoke(main, ["courses", "import-starter", "--village", "没有这个村"])
    assert unknown.exit_code != 0
    assert "no single village" in unknown.output


@pytest.mark.anyio
async def test_a_trainees_calendar_holds_their_cohorts_classes_with_cancelled_ones_marked(
    client, world: World, auth, db
) -> None:
    _course, cohort = await trained_world(client, auth, world)
    starts = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    kept = await schedule(client, auth, cohort["id"], starts, topic="讲好故事")
    dropped = await schedule(client, auth, cohort["id"], starts + timedelta(days=7))
    await client.post(f"/api/v1/classes/{dropped['id']}/cancel", headers=auth["secretary_a"])
    async with db.write() as session:
        events = await class_events_for_user(session, world.users["trainee_a"], base_url="https://cunbo.example")
        strangers = await class_events_for_user(session, world.users["trainee_b"])
    assert [e.uid for e in events] == [f"class-{kept['id']}@cunbo", f"class-{dropped['id']}@cunbo"]
    assert [e.cancelled for e in events] == [False, True]
    assert "讲好故事" in events[0].title
    assert events[0].starts_at == starts
    assert events[0].location == "村委会会议室"
    assert events[0].url == f"https://cunbo.example/training/classes/{kept['id']}"
    assert events[1].updated_at is not None
    assert strangers == []


@pytest.mark.anyio
async def test_the_demo_has_a_cohort_with_one_certified_trainee_and_one_at_risk(app, db) -> None:
    async with db.write() as session:
        result = await seed_demo(session, app.state.hasher, app.state.domains.events)
        await seed_training_demo(session, Principal.system(), result.village_id, app.state.hasher)
        await seed_training_demo(session, Principal.system(), result.village_id, app.state.hasher)  # idempotent
    assert await db.scalar(select(func.count()).select_from(Cohort)) == 1
    assert await db.scalar(select(func.count()).select_from(Enrollment)) == 2
    assert await db.scalar(select(func.count()).select_from(TrainingClass)) == 6
    assert await db.scalar(select(func.count()).select_from(Attendance)) > 0
    certificates = await db.scalars(select(Certificate))
    assert [c.holder_name for c in certificates] == ["李小红"]
    async with db.write() as session:
        cohort = (await session.execute(select(Cohort))).scalar_one()
        enrollments = list((await session.execute(select(Enrollment))).scalars())
        rows = await TrainingProgress(session).standings(cohort, enrollments, utcnow())
    by_name = {row.enrollment.user.name: row for row in rows}
    assert by_name["李小红"].completed
    assert by_name["赵小军"].standing.lessons_done == 2
    assert {r.key for r in by_name["赵小军"].risks(utcnow())} >= {"missed", "stalled"}
