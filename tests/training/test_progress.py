"""Completion: the certificate is issued when lessons, attendance (excused absences aside) and practice
streams all meet the course's rule; withdrawn certificates stay withdrawn; the dashboard names who is at risk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shop.accounts.principal import Principal
from shop.scheduling import JobContext
from shop.timeutil import utcnow
from shop.training.models import Certificate, Enrollment, LessonProgress
from shop.training.progress import CertificateService
from shop.training.scheduled import issue_due_certificates
from tests.conftest import World
from tests.training.helpers import add_practice_stream, hours_from_now, schedule, trained_world

pytestmark = pytest.mark.anyio


async def _held_classes(client, auth, cohort_id: int, count: int) -> list[int]:
    return [
        (await schedule(client, auth, cohort_id, hours_from_now(-24 * (count - i) - 3)))["id"] for i in range(count)
    ]


async def _roll(client, auth, class_ids: list[int], user_id: int, *statuses: str) -> None:
    for class_id, status in zip(class_ids, statuses, strict=True):
        response = await client.post(
            f"/api/v1/classes/{class_id}/attendance",
            json={"marks": [{"user_id": user_id, "status": status}]},
            headers=auth["secretary_a"],
        )
        assert response.status_code == 200, response.text


async def _finish_lessons(client, auth, course: dict, who: str = "trainee_a") -> None:
    for lesson in course["lessons"]:
        response = await client.post(f"/api/v1/lessons/{lesson['id']}/complete", headers=auth[who])
        assert response.status_code == 200


async def _progress(client, auth, who: str = "trainee_a") -> dict:
    (entry,) = (await client.get("/api/v1/me/progress", headers=auth[who])).json()
    return entry


async def _run_job(app) -> int:
    return await issue_due_certificates(
        JobContext(app.state.alchemy_config, app.state.settings, utcnow(), app.state.domains.events)
    )


async def test_the_certificate_waits_for_the_practice_stream_then_the_job_issues_it(
    app, client, world: World, auth, db
):
    course, cohort = await trained_world(client, auth, world, min_attendance_percent=75, min_practice_streams=1)
    classes = await _held_classes(client, auth, cohort["id"], 4)
    trainee = world.users["trainee_a"]
    await _roll(client, auth, classes, trainee, "present", "late", "present", "excused")
    await _finish_lessons(client, auth, course)
    waiting = await _progress(client, auth)
    assert waiting["attended_classes"] == 3
    assert waiting["required_classes"] == 3  # 75 % of the 3 classes not excused
    assert waiting["completed"] is False
    assert "certificate_url" not in waiting
    await add_practice_stream(db, world.villages["a"], trainee, status="planned")
    assert await _run_job(app) == 0  # a planned stream is not a hosted one
    await add_practice_stream(db, world.villages["a"], trainee, status="ended")
    assert await _run_job(app) == 1
    assert await _run_job(app) == 0  # running again issues nothing twice
    done = await _progress(client, auth)
    assert done["completed"] is True
    assert done["practice_streams_hosted"] == 1
    certificates = await db.scalars(select(Certificate).where(Certificate.user_id == trainee))
    assert len(certificates) == 1
    assert done["certificate_url"] == f"/certificates/{certificates[0].code}"


async def test_an_absence_where_an_excused_absence_would_pass_keeps_the_certificate_back(client, world: World, auth):
    course, cohort = await trained_world(client, auth, world, min_attendance_percent=80, min_practice_streams=0)
    classes = await _held_classes(client, auth, cohort["id"], 4)
    await _finish_lessons(client, auth, course)
    await _roll(client, auth, classes, world.users["trainee_a"], "present", "present", "present", "absent")
    assert (await _progress(client, auth))["completed"] is False  # 3 of 4 is 75 %
    await _roll(client, auth, classes[3:], world.users["trainee_a"], "excused")
    after = await _progress(client, auth)
    assert after["completed"] is True  # 3 of the 3 not excused
    assert after["required_classes"] == 3


async def test_practice_streams_of_another_host_or_before_the_cohort_do_not_count(client, world: World, auth, db):
    _course, _cohort = await trained_world(client, auth, world, min_attendance_percent=0, require_all_lessons=False)
    await add_practice_stream(db, world.villages["a"], world.users["secretary_a"])
    await add_practice_stream(db, world.villages["a"], world.users["trainee_a"], days_ago=4000)
    assert (await _progress(client, auth))["practice_streams_hosted"] == 0


async def test_a_gentler_rule_issues_the_certificates_that_are_now_due(client, world: World, auth, db) -> None:
    course, _cohort = await trained_world(client, auth, world, min_attendance_percent=0, min_practice_streams=2)
    await _finish_lessons(client, auth, course)
    assert (await _progress(client, auth))["completed"] is False
    patched = await client.patch(
        f"/api/v1/courses/{course['id']}", json={"min_practice_streams": 0}, headers=auth["secretary_a"]
    )
    assert patched.status_code == 200
    assert (await _progress(client, auth))["completed"] is True


async def test_a_withdrawn_certificate_is_not_issued_again_by_itself(app, client, world: World, auth, db) -> None:
    course, _cohort = await trained_world(client, auth, world, min_attendance_percent=0, min_practice_streams=0)
    await _finish_lessons(client, auth, course)
    certificate = await db.scalar(select(Certificate))
    async with db.write() as session:
        await CertificateService(session=session).set_revoked(Principal.system(), certificate.id, True)
    assert await _run_job(app) == 0
    entry = await _progress(client, auth)
    assert entry["completed"] is False
    page = await client.get(f"/certificates/{certificate.code}?lang=en")
    assert "withdrawn" in page.text
    assert certificate.holder_name not in page.text


async def test_the_dashboard_names_who_missed_classes_and_whose_lessons_stalled(client, world: World, auth, db):
    course, cohort = await trained_world(client, auth, world, min_attendance_percent=50, min_practice_streams=0)
    classes = await _held_classes(client, auth, cohort["id"], 3)
    await _roll(client, auth, classes[:2], world.users["trainee_a"], "absent", "absent")
    first = course["lessons"][0]["id"]
    await client.post(f"/api/v1/lessons/{first}/complete", headers=auth["trainee_a"])
    async with db.write() as session:
        # Enrolled ten days ago, last lesson eight days ago.
        (await session.execute(select(Enrollment))).scalar_one().created_at = utcnow() - timedelta(days=10)
        (await session.execute(select(LessonProgress))).scalar_one().completed_at = utcnow() - timedelta(days=8)
    rows = (await client.get(f"/api/v1/cohorts/{cohort['id']}/progress", headers=auth["secretary_a"])).json()["items"]
    assert rows[0]["at_risk"] == ["missed", "unreachable", "stalled"]
