"""The training API per the contract: courses with lesson ids, cohorts, enrolments, lessons done, my progress."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.training.helpers import enroll, make_cohort, make_course, trained_world

pytestmark = pytest.mark.anyio


async def test_creating_a_course_answers_its_id_and_every_lesson_id_in_order(client, world: World, auth) -> None:
    course = await make_course(client, auth)
    assert isinstance(course["id"], int)
    assert [lesson["position"] for lesson in course["lessons"]] == [1, 2, 3]
    assert all(isinstance(lesson["id"], int) for lesson in course["lessons"])
    assert course["lessons"][2]["minutes"] >= 1  # estimated when not given
    assert course["village_id"] == world.villages["a"]
    again = await client.get(f"/api/v1/courses/{course['id']}", headers=auth["secretary_a"])
    assert [lesson["id"] for lesson in again.json()["lessons"]] == [lesson["id"] for lesson in course["lessons"]]


async def test_bad_course_input_is_a_4xx_naming_the_field(client, world: World, auth) -> None:
    blank = await client.post("/api/v1/courses", json={"title": "  ", "lessons": []}, headers=auth["secretary_a"])
    assert blank.status_code == 400
    assert blank.json()["field"] == "title"
    lesson = await client.post(
        "/api/v1/courses",
        json={"title": "课", "lessons": [{"title": "一", "body_md": "x", "video_url": "javascript:alert(1)"}]},
        headers=auth["secretary_a"],
    )
    assert lesson.status_code == 400
    assert lesson.json()["field"] == "lessons[0].video_url"
    typed = await client.post(
        "/api/v1/courses", json={"title": "课", "min_attendance_percent": 120}, headers=auth["secretary_a"]
    )
    assert typed.status_code == 400
    assert "min_attendance_percent" in typed.json()["detail"]


async def test_only_staff_create_courses_and_an_admin_names_the_village(client, world: World, auth) -> None:
    trainee = await client.post("/api/v1/courses", json={"title": "课"}, headers=auth["trainee_a"])
    assert trainee.status_code == 403
    admin = await client.post("/api/v1/courses", json={"title": "课"}, headers=auth["admin"])
    assert admin.status_code == 400
    assert admin.json()["field"] == "village_id"
    named = await client.post(
        "/api/v1/courses", json={"title": "课", "village_id": world.villages["b"]}, headers=auth["admin"]
    )
    assert named.status_code == 201
    assert named.json()["village_id"] == world.villages["b"]


async def test_cohorts_and_enrolments_follow_the_contract(client, world: World, auth) -> None:
    course = await make_course(client, auth)
    cohort = await make_cohort(client, auth, course["id"])
    assert cohort["course_id"] == course["id"]
    assert cohort["name"] == "第1期"
    assert cohort["starts_on"] == "2026-01-05"
    enrollment = await enroll(client, auth, cohort["id"], world.users["trainee_a"])
    assert enrollment["user_id"] == world.users["trainee_a"]
    assert enrollment["cohort_id"] == cohort["id"]
    again = await client.post(
        f"/api/v1/cohorts/{cohort['id']}/enrollments",
        json={"user_id": world.users["trainee_a"]},
        headers=auth["secretary_a"],
    )
    assert again.status_code == 201
    assert again.json()["id"] == enrollment["id"]  # a retry is harmless
    listing = await client.get(f"/api/v1/cohorts/{cohort['id']}/enrollments", headers=auth["secretary_a"])
    assert listing.json()["total"] == 1


async def test_a_trainee_of_another_village_or_a_secretary_cannot_be_enrolled(client, world: World, auth) -> None:
    course = await make_course(client, auth)
    cohort = await make_cohort(client, auth, course["id"])
    for user in ("trainee_b", "secretary_a"):
        response = await client.post(
            f"/api/v1/cohorts/{cohort['id']}/enrollments",
            json={"user_id": world.users[user]},
            headers=auth["secretary_a"],
        )
        assert response.status_code == 400, user
        assert response.json()["field"] == "user_id"


async def test_a_second_cohort_of_the_same_course_is_refused_for_an_enrolled_trainee(
    client, world: World, auth
) -> None:
    course, _first = await trained_world(client, auth, world)
    second = await make_cohort(client, auth, course["id"], name="第2期")
    response = await client.post(
        f"/api/v1/cohorts/{second['id']}/enrollments",
        json={"user_id": world.users["trainee_a"]},
        headers=auth["secretary_a"],
    )
    assert response.status_code == 409
    assert "第1期" in response.json()["detail"]


async def test_duplicate_cohort_name_is_a_conflict_naming_the_field(client, world: World, auth) -> None:
    course = await make_course(client, auth)
    await make_cohort(client, auth, course["id"])
    again = await client.post(
        "/api/v1/cohorts",
        json={"course_id": course["id"], "name": "第1期", "starts_on": "2026-02-01"},
        headers=auth["secretary_a"],
    )
    assert again.status_code == 409
    assert again.json()["field"] == "name"


async def test_completing_lessons_moves_my_progress(client, world: World, auth) -> None:
    course, cohort = await trained_world(client, auth, world, min_attendance_percent=0, min_practice_streams=0)
    before = await client.get("/api/v1/me/progress", headers=auth["trainee_a"])
    assert before.status_code == 200
    assert before.json() == [
        {
            "course_id": course["id"],
            "cohort_id": cohort["id"],
            "completed_lessons": 0,
            "total_lessons": 3,
            "percent": 0,
            "attended_classes": 0,
            "required_classes": 0,
            "practice_streams_hosted": 0,
            "required_practice_streams": 0,
            "completed": False,
        }
    ]
    first = course["lessons"][0]["id"]
    done = await client.post(f"/api/v1/lessons/{first}/complete", headers=auth["trainee_a"])
    assert done.status_code == 200, done.text
    assert done.json()["progress"][0]["completed_lessons"] == 1
    assert done.json()["progress"][0]["percent"] == 33
    twice = await client.post(f"/api/v1/lessons/{first}/complete", headers=auth["trainee_a"])
    assert twice.json()["progress"][0]["completed_lessons"] == 1
    for lesson in course["lessons"][1:]:
        await client.post(f"/api/v1/lessons/{lesson['id']}/complete", headers=auth["trainee_a"])
    after = (await client.get("/api/v1/me/progress", headers=auth["trainee_a"])).json()[0]
    assert after["percent"] == 100
    assert after["completed"] is True
    assert after["certificate_url"].startswith("/certificates/")
    check = await client.get(after["certificate_url"])
    assert check.status_code == 200


async def test_a_trainee_completes_only_lessons_of_their_own_published_courses(client, world: World, auth) -> None:
    course = await make_course(client, auth)
    lesson_id = course["lessons"][0]["id"]
    not_enrolled = await client.post(f"/api/v1/lessons/{lesson_id}/complete", headers=auth["trainee_a"])
    assert not_enrolled.status_code == 404
    other_village = await client.post(f"/api/v1/lessons/{lesson_id}/complete", headers=auth["trainee_b"])
    assert other_village.status_code == 404
    draft = await make_course(client, auth, published=False)
    cohort = await make_cohort(client, auth, draft["id"])
    await enroll(client, auth, cohort["id"], world.users["trainee_a"])
    hidden = await client.post(f"/api/v1/lessons/{draft['lessons'][0]['id']}/complete", headers=auth["trainee_a"])
    assert hidden.status_code == 404
    staff = await client.post(f"/api/v1/lessons/{lesson_id}/complete", headers=auth["secretary_a"])
    assert staff.status_code == 403


async def test_lists_are_paged_and_reach_is_by_village(client, world: World, auth) -> None:
    for n in range(3):
        await make_course(client, auth, title=f"课程{n}")
    await make_course(client, auth, who="secretary_b", title="大平房的课")
    page = await client.get("/api/v1/courses?limit=2&offset=0", headers=auth["secretary_a"])
    body = page.json()
    assert body["total"] == 3
    assert len(body["items"]) == 2
    assert {c["title"] for c in (await client.get("/api/v1/courses", headers=auth["admin"])).json()["items"]} >= {
        "课程0",
        "大平房的课",
    }
    other = body["items"][0]["id"]
    assert (await client.get(f"/api/v1/courses/{other}", headers=auth["secretary_b"])).status_code == 404


async def test_a_trainee_sees_only_their_own_courses_and_no_one_elses_progress(client, world: World, auth) -> None:
    course, cohort = await trained_world(client, auth, world)
    mine = await client.get("/api/v1/courses", headers=auth["trainee_a"])
    assert [c["id"] for c in mine.json()["items"]] == [course["id"]]
    assert (await client.get("/api/v1/courses", headers=auth["trainee_b"])).json()["total"] == 0
    dashboard = await client.get(f"/api/v1/cohorts/{cohort['id']}/progress", headers=auth["trainee_a"])
    assert dashboard.status_code == 403
    other = await client.get("/api/v1/me/progress", headers=auth["trainee_b"])
    assert other.json() == []
    assert (await client.get(f"/api/v1/cohorts/{cohort['id']}", headers=auth["trainee_b"])).status_code == 404


async def test_cohort_progress_lists_every_trainee_for_staff(client, world: World, auth) -> None:
    course, cohort = await trained_world(client, auth, world)
    await client.post(f"/api/v1/lessons/{course['lessons'][0]['id']}/complete", headers=auth["trainee_a"])
    response = await client.get(f"/api/v1/cohorts/{cohort['id']}/progress", headers=auth["secretary_a"])
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    row = body["items"][0]
    assert row["user_id"] == world.users["trainee_a"]
    assert row["progress"]["completed_lessons"] == 1
    assert row["at_risk"] == []
    assert (
        await client.get(f"/api/v1/cohorts/{cohort['id']}/progress", headers=auth["secretary_b"])
    ).status_code == 404


async def test_patching_a_course_changes_its_rule_and_unpublishing_hides_it(client, world: World, auth) -> None:
    course, _cohort = await trained_world(client, auth, world)
    patched = await client.patch(
        f"/api/v1/courses/{course['id']}",
        json={"min_attendance_percent": 50, "published": False},
        headers=auth["secretary_a"],
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["min_attendance_percent"] == 50
    assert patched.json()["min_practice_streams"] == 1  # untouched
    assert (await client.get("/api/v1/me/progress", headers=auth["trainee_a"])).json() == []
