"""Browser: on 375 px phones a trainee reads a lesson, marks it done and sees the progress bar move, checks in
with the code on the secretary's screen and earns the certificate; the secretary adds a trainee and takes the
roll on the phone."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from shop.streams.models import Stream
from shop.timeutil import utcnow
from tests.browser.helpers import PageWeight, api, check_phone_page, log_in, staff_token
from tests.conftest import PASSWORD, PHONE, LiveServer

pytestmark = pytest.mark.browser

LESSONS = [
    {"title": "用手机开播：光线、声音、网络", "body_md": "## 面朝窗户\n\n- 白天用窗户光\n- 千万别背光", "minutes": 25},
    {"title": "拍好产品", "body_md": "## 干净的背景\n\n小米装在白碗里拍。", "minutes": 25},
    {"title": "讲好故事", "body_md": "## 讲村子\n\n讲谷子怎么种出来的。", "minutes": 25},
]


def _hosted_practice_stream(live_server: LiveServer, host_id: int) -> None:
    """The streams side ends practice streams; here one has already ended with the trainee as host."""
    from shop.app import create_app
    from shop.db import unit_of_work

    async def insert() -> None:
        app = create_app(live_server.settings)
        try:
            async with unit_of_work(app.state.alchemy_config) as session:
                starts = utcnow() - timedelta(days=2)
                session.add(
                    Stream(
                        village_id=live_server.world.villages["a"],
                        title="练习直播：朝阳小米",
                        platform="douyin",
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=1),
                        host_user_id=host_id,
                        status="ended",
                        practice=True,
                    )
                )
        finally:
            await app.state.alchemy_config.get_engine().dispose()

    # Playwright's sync API keeps an event loop running in this thread: use another one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, insert()).result()


def _progress_width(page) -> float:
    """How full the browser draws the bar (a native <progress>: no style attribute for the policy to refuse)."""
    return page.evaluate("document.querySelector('.course-card progress.progress').position")


def test_a_trainee_learns_on_a_phone_and_the_secretary_takes_the_roll(
    live_server: LiveServer, browser, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    base = live_server.url
    world = live_server.world
    token = staff_token(base, "secretary_a", PASSWORD)
    course = api(
        base,
        "POST",
        "/api/v1/courses",
        {"title": "电商直播入门", "lessons": LESSONS, "min_attendance_percent": 50, "min_practice_streams": 1},
        token=token,
    )
    cohort = api(
        base,
        "POST",
        "/api/v1/cohorts",
        {"course_id": course["id"], "name": "第1期", "starts_on": "2026-01-05"},
        token=token,
    )
    api(base, "POST", f"/api/v1/cohorts/{cohort['id']}/enrollments", {"user_id": world.users["trainee_a"]}, token=token)
    starts = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    cls = api(
        base,
        "POST",
        f"/api/v1/cohorts/{cohort['id']}/classes",
        {
            "topic": "拍产品实操",
            "place": "村委会二楼会议室",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
        },
        token=token,
    )
    _hosted_practice_stream(live_server, world.users["trainee_a"])

    # The trainee's phone: home, a lesson, done, the bar moves.
    trainee = browser.new_context(**PHONE)
    phone = trainee.new_page()
    weight = PageWeight(phone)
    log_in(phone, base, "trainee_a", PASSWORD)
    weight.reset()
    phone.goto(f"{base}/training")
    assert phone.get_attribute(".course-card .progress", "value") == "0"
    assert phone.locator("a[href^='/streams/'][href$='/report']").count() == 1  # the practice stream's report
    check_phone_page(phone, shots, "01-trainee-home", weight)
    before = _progress_width(phone)

    phone.click("a.next-lesson")
    phone.wait_for_url("**/training/lessons/*")
    assert "面朝窗户" in phone.inner_text("article.lesson-body h2")
    weight.reset()
    phone.reload()
    check_phone_page(phone, shots, "02-lesson", weight)
    phone.click("#lesson-done")
    phone.wait_for_url("**/training*")
    assert phone.get_attribute(".course-card .progress", "value") == "33"
    after = _progress_width(phone)
    assert after > before
    assert phone.locator(".flash.success").count() >= 1
    check_phone_page(phone, shots, "03-progress-moved")

    # The secretary's phone: the check-in screen, a new trainee, the roll.
    secretary = browser.new_context(**PHONE)
    desk = secretary.new_page()
    log_in(desk, base, "secretary_a", PASSWORD)
    desk.goto(f"{base}/training/classes/{cls['id']}/qr")
    check_phone_page(desk, shots, "04-check-in-screen")
    digits = re.sub(r"\D", "", desk.inner_text(".qr-screen .code"))
    assert len(digits) == 6

    phone.goto(f"{base}/training/classes/{cls['id']}/check-in")
    phone.fill("#f-code", digits)
    check_phone_page(phone, shots, "05-check-in")
    phone.click("button[type=submit].block")
    phone.wait_for_url(f"**/training/classes/{cls['id']}")
    assert phone.locator(".tag.ok").count() == 1

    desk.goto(f"{base}/training/cohorts/{cohort['id']}")
    desk.fill("#f-display_name", "孙悦")
    desk.fill("#f-phone", "13904215555")
    desk.fill("#f-password", "sunyue-2026")
    desk.click("form[action$='/trainees'] button[type=submit]")
    desk.wait_for_url(f"**/training/cohorts/{cohort['id']}")
    assert "孙悦" in desk.inner_text("ul.trainees")

    desk.goto(f"{base}/training/classes/{cls['id']}")
    here = desk.locator(f"input[name='s-{world.users['trainee_a']}'][value=present]")
    assert here.is_checked()  # the scan marked her already
    newcomer = desk.locator("fieldset.roll-row", has_text="孙悦")
    newcomer.locator("label.choice.late").click()
    check_phone_page(desk, shots, "06-roll-call")
    desk.click("form.roll button[type=submit]")
    desk.wait_for_url(f"**/training/classes/{cls['id']}")
    assert desk.locator("fieldset.roll-row", has_text="孙悦").locator("input[value=late]").is_checked()
    assert desk.locator(".flash.success").count() == 1

    # The last two lessons: every requirement met, the certificate is there and checks out in public.
    for _ in range(2):
        phone.goto(f"{base}/training")
        phone.click("a.next-lesson")
        phone.wait_for_url("**/training/lessons/*")
        phone.click("#lesson-done")
        phone.wait_for_url("**/training*")
    assert phone.get_attribute(".course-card .progress", "value") == "100"
    check_phone_page(phone, shots, "07-completed")
    phone.click(".course-card a[href$='/certificate']")
    phone.wait_for_url("**/certificate")
    code = phone.inner_text(".cert-code")
    assert phone.locator(".certificate svg.qr").count() == 1
    check_phone_page(phone, shots, "08-certificate")

    desk.goto(f"{base}/training/cohorts/{cohort['id']}")
    check_phone_page(desk, shots, "09-cohort-dashboard")

    public = browser.new_context(**PHONE).new_page()
    public.goto(f"{base}/certificates/{code}")
    assert "电商直播入门" in public.inner_text("main")
    check_phone_page(public, shots, "10-certificate-check")
    trainee.close()
    secretary.close()
