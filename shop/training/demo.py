"""Training in the demo village 从家店村: the starter course, cohort 第1期 with two trainees at different stages.

李小红 has done every lesson, attended five of six classes and hosted a practice stream: she holds the
certificate. 赵小军 has done two lessons, the last one nine days ago, and missed classes: he shows as at risk.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher
from shop.accounts.services import principal_for_user
from shop.streams.models import Stream
from shop.timeutil import SHANGHAI, local_today, utcnow
from shop.training.classes import ClassService
from shop.training.cohorts import CohortService
from shop.training.content import import_starter_course
from shop.training.courses import CourseService
from shop.training.models import Cohort
from shop.training.progress import TrainingProgress

COHORT_NAME = "第1期"
PLACE = "从家店村村委会二楼会议室"
# days from today (negative: already held), topic
CLASSES = (
    (-26, "开播前的准备：手机、支架和补光"),
    (-21, "拍产品实操：小米和榛蘑上镜"),
    (-14, "讲故事：请剪纸传承人来村里讲"),
    (-10, "定价、库存和直播脚本"),
    (-5, "发货打包和售后实操"),
    (3, "结业练习直播点评"),
)
# username → (lessons done, days ago each was done), marks for the five held classes
TRAINEES = {
    "cjd-xueyuan1": ((25, 20, 15, 11, 7, 4), ("present", "present", "late", "present", "present")),
    "cjd-xueyuan2": ((24, 9), ("present", "absent", "excused", "absent", None)),
}


def _beijing(days: int, hour: int) -> datetime:
    return datetime.combine(local_today() + timedelta(days=days), time(hour), tzinfo=SHANGHAI)


async def seed_training_demo(session: AsyncSession, admin: Principal, village_id: int, hasher: SecretHasher) -> None:
    """Seed the demo's training (once: a second call finds 第1期 and changes nothing).

    The trainees' accounts exist already, so ``hasher`` is not needed today; it is part of the signature
    every domain's demo seeding shares.
    """
    course, _created = await import_starter_course(session, admin, village_id)
    existing = await session.execute(select(Cohort).where(Cohort.course_id == course.id, Cohort.name == COHORT_NAME))
    if existing.scalar_one_or_none() is not None:
        return
    users = {
        u.username: u
        for u in (
            await session.execute(select(User).where(User.username.in_(TRAINEES), User.village_id == village_id))
        ).scalars()
    }
    cohorts = CohortService(session=session)
    cohort = await cohorts.create_cohort(
        admin,
        course_id=course.id,
        name=COHORT_NAME,
        starts_on=local_today() - timedelta(days=28),
        ends_on=local_today() + timedelta(days=14),
    )
    for user in users.values():
        enrollment = await cohorts.enroll(admin, cohort.id, user.id)
        # They joined when the cohort began, four weeks ago (the stalled-lessons rule counts from then).
        enrollment.created_at = _beijing(-28, 9)

    classes = ClassService(session=session)
    held = []
    for days, topic in CLASSES:
        scheduled = await classes.schedule_class(
            admin,
            cohort.id,
            topic=topic,
            place=PLACE,
            starts_at=_beijing(days, 14),
            ends_at=_beijing(days, 16),
        )
        if days < 0:
            held.append(scheduled)

    progress = TrainingProgress(session)
    courses = CourseService(session=session)
    lessons = list(course.lessons)
    for username, (done_days, marks) in TRAINEES.items():
        member = users.get(username)
        if member is None:
            continue
        trainee = principal_for_user(member)
        for lesson, days_ago in zip(lessons, done_days, strict=False):
            await courses.complete_lesson(trainee, lesson.id, now=utcnow() - timedelta(days=days_ago))
        for training_class, status in zip(held, marks, strict=True):
            if status:
                await classes.record_attendance(admin, training_class.id, {member.id: status})
    await _seed_practice_streams(session, village_id, users)
    for user in users.values():
        await progress.issue_if_met(cohort, user.id)


async def _seed_practice_streams(session: AsyncSession, village_id: int, users: dict[str, User]) -> None:
    hosted = users.get("cjd-xueyuan1")
    planned = users.get("cjd-xueyuan2")
    if hosted is not None:
        session.add(
            Stream(
                village_id=village_id,
                title="练习直播：朝阳小米",
                platform="douyin",
                starts_at=_beijing(-3, 19),
                ends_at=_beijing(-3, 20),
                host_user_id=hosted.id,
                status="ended",
                practice=True,
                went_live_at=_beijing(-3, 19),
                ended_at=_beijing(-3, 20),
            )
        )
    if planned is not None:
        session.add(
            Stream(
                village_id=village_id,
                title="练习直播：野生榛蘑",
                platform="kuaishou",
                starts_at=_beijing(4, 19),
                ends_at=_beijing(4, 20),
                host_user_id=planned.id,
                status="planned",
                practice=True,
            )
        )
    await session.flush()
