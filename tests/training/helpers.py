"""Building blocks for the training tests: a course, a cohort with trainees, classes, practice streams."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shop.streams.models import Stream
from shop.timeutil import utcnow

LESSONS = [
    {"title": "用手机开播", "body_md": "## 光线\n\n面朝窗户。", "minutes": 20},
    {"title": "拍好产品", "body_md": "- 干净的背景\n- 自然光", "minutes": 25},
    {"title": "讲好故事", "body_md": "讲村子，讲人。"},
]


async def make_course(client, auth, who: str = "secretary_a", **changes: Any) -> dict:
    body = {"title": "电商直播入门", "description": "六节课", "lessons": LESSONS, **changes}
    response = await client.post("/api/v1/courses", json=body, headers=auth[who])
    assert response.status_code == 201, response.text
    return response.json()


async def make_cohort(client, auth, course_id: int, who: str = "secretary_a", name: str = "第1期") -> dict:
    response = await client.post(
        "/api/v1/cohorts", json={"course_id": course_id, "name": name, "starts_on": "2026-01-05"}, headers=auth[who]
    )
    assert response.status_code == 201, response.text
    return response.json()


async def enroll(client, auth, cohort_id: int, user_id: int, who: str = "secretary_a") -> dict:
    response = await client.post(
        f"/api/v1/cohorts/{cohort_id}/enrollments", json={"user_id": user_id}, headers=auth[who]
    )
    assert response.status_code == 201, response.text
    return response.json()


async def schedule(
    client, auth, cohort_id: int, starts_at: datetime, minutes: int = 120, who: str = "secretary_a", topic: str = "试播"
) -> dict:
    response = await client.post(
        f"/api/v1/cohorts/{cohort_id}/classes",
        json={
            "topic": topic,
            "place": "村委会会议室",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(minutes=minutes)).isoformat(),
        },
        headers=auth[who],
    )
    assert response.status_code == 201, response.text
    return response.json()


async def trained_world(client, auth, world, **course_changes: Any) -> tuple[dict, dict]:
    """A course of village a with one cohort, trainee_a enrolled."""
    course = await make_course(client, auth, **course_changes)
    cohort = await make_cohort(client, auth, course["id"])
    await enroll(client, auth, cohort["id"], world.users["trainee_a"])
    return course, cohort


async def add_practice_stream(db, village_id: int, host_id: int, *, status: str = "ended", days_ago: int = 1) -> int:
    starts = utcnow() - timedelta(days=days_ago)
    async with db.write() as session:
        stream = Stream(
            village_id=village_id,
            title="练习直播：小米",
            platform="douyin",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            host_user_id=host_id,
            status=status,
            practice=True,
        )
        session.add(stream)
        await session.flush()
        return stream.id


def hours_from_now(hours: float) -> datetime:
    return (utcnow() + timedelta(hours=hours)).replace(microsecond=0)
