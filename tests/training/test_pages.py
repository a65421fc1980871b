"""Training pages: safe lesson text, the trainee's home and lesson pages, the roll and the check-in, what other
trainees and the public may see, and forms that keep what was typed."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.accounts.services import UserService
from shop.timeutil import utcnow
from shop.training import checkin
from shop.training.models import Attendance, Certificate, Enrollment
from shop.web.templating import qr_svg
from tests.conftest import PASSWORD, World
from tests.forms import csrf_token
from tests.training.helpers import add_practice_stream, enroll, make_cohort, make_course, schedule, trained_world

pytestmark = pytest.mark.anyio

HOSTILE = """## 小心

<script>alert('x')</script>

[点我领红包](javascript:alert(1))

<img src=x onerror="alert(2)">

<b>粗体</b> 和 <iframe src="https://evil.example"></iframe>

[正常链接](https://www.douyin.com)
"""


async def _login(client, username: str, password: str = PASSWORD) -> None:
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@asynccontextmanager
async def _browser_of(app, username: str):
    """A second person with their own cookies."""
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        await _login(other, username)
        yield other


async def _post_form(client, path: str, data: dict, page: str | None = None, **kwargs):
    token = csrf_token((await client.get(page or "/training")).text)
    return await client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False, **kwargs)


async def test_lesson_text_loses_scripts_javascript_links_and_raw_html(client, world: World, auth) -> None:
    course = await make_course(client, auth, lessons=[{"title": "<i>标题</i>", "body_md": HOSTILE}])
    cohort = await make_cohort(client, auth, course["id"])
    await enroll(client, auth, cohort["id"], world.users["trainee_a"])
    await _login(client, "trainee_a")
    page = await client.get(f"/training/lessons/{course['lessons'][0]['id']}")
    assert page.status_code == 200
    body = page.text.split('<article class="lesson-body">')[1].split("</article>")[0]
    assert "<script" not in body
    assert not re.search(r"href=[\"']?\s*javascript:", body)  # the link stays plain text
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", body)  # no element carries an event handler
    assert "<img" not in body
    assert "<iframe" not in body
    assert "<b>" not in body
    assert "&lt;b&gt;粗体&lt;/b&gt;" in body  # raw HTML shows as the text that was typed
    assert '<a href="https://www.douyin.com" rel="noopener noreferrer nofollow">正常链接</a>' in body
    assert "<h2>小心</h2>" in body
    assert "&lt;i&gt;标题&lt;/i&gt;" in page.text  # the title is escaped too


async def test_the_trainee_home_shows_progress_next_lesson_next_class_and_practice_streams(
    client, world: World, auth, db
) -> None:
    course, cohort = await trained_world(client, auth, world)
    await client.post(f"/api/v1/lessons/{course['lessons'][0]['id']}/complete", headers=auth["trainee_a"])
    cls = await schedule(client, auth, cohort["id"], (utcnow() + timedelta(days=2)).replace(microsecond=0))
    stream_id = await add_practice_stream(db, world.villages["a"], world.users["trainee_a"])
    await _login(client, "trainee_a")
    home = await client.get("/training")
    assert home.status_code == 200
    assert 'max="100" value="33"' in home.text
    assert f'href="/training/lessons/{course["lessons"][1]["id"]}"' in home.text
    assert f'href="/training/classes/{cls["id"]}"' in home.text
    assert f'href="/streams/{stream_id}/report"' in home.text
    assert len(home.content) < 60_000


async def test_marking_a_lesson_done_on_its_page_moves_the_bar(client, world: World, auth) -> None:
    course, _cohort = await trained_world(client, auth, world)
    await _login(client, "trainee_a")
    lesson = course["lessons"][0]["id"]
    page = await client.get(f"/training/lessons/{lesson}")
    assert 'id="lesson-done"' in page.text
    done = await client.post(
        f"/training/lessons/{lesson}/done", data={"_csrf_token": csrf_token(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    home = await client.get(done.headers["location"])
    assert 'max="100" value="33"' in home.text
    again = await client.get(f"/training/lessons/{lesson}")
    assert 'id="lesson-done"' not in again.text


async def test_a_trainee_cannot_open_another_trainees_progress_or_certificate_draft(
    app, client, world: World, auth, db
) -> None:
    _course, cohort = await trained_world(client, auth, world)
    async with db.write() as session:
        classmate = await UserService(session=session).create_user(
            Principal.system(),
            app.state.hasher,
            username="classmate",
            password=PASSWORD,
            role="trainee",
            village_id=world.villages["a"],
            display_name="同班同学",
        )
    await enroll(client, auth, cohort["id"], classmate.id)
    enrollments = {e.user_id: e.id for e in await db.scalars(select(Enrollment))}
    mine, theirs = enrollments[world.users["trainee_a"]], enrollments[classmate.id]
    await _login(client, "trainee_a")
    assert (await client.get(f"/training/enrollments/{mine}")).status_code == 200
    assert (await client.get(f"/training/enrollments/{mine}/certificate")).status_code == 200
    for path in (f"/training/enrollments/{theirs}", f"/training/enrollments/{theirs}/certificate"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "同班同学" not in response.text
    async with _browser_of(app, "trainee_b") as stranger:
        assert (await stranger.get(f"/training/enrollments/{mine}")).status_code == 404
    async with _browser_of(app, "secretary_b") as other_secretary:
        assert (await other_secretary.get(f"/training/enrollments/{mine}")).status_code == 404
    async with _browser_of(app, "secretary_a") as secretary:
        assert (await secretary.get(f"/training/enrollments/{theirs}")).status_code == 200


async def test_certificate_check_shows_only_name_course_cohort_and_date(client, world: World, auth, db) -> None:
    course, _cohort = await trained_world(client, auth, world, min_attendance_percent=0, min_practice_streams=0)
    async with db.write() as session:
        trainee = await session.get(User, world.users["trainee_a"])
        trainee.display_name = "李小红"
        trainee.phone = "13904211234"
    for lesson in course["lessons"]:
        await client.post(f"/api/v1/lessons/{lesson['id']}/complete", headers=auth["trainee_a"])
    certificate = await db.scalar(select(Certificate))
    page = await client.get(f"/certificates/{certificate.code.lower()}")
    assert page.status_code == 200
    main = page.text.split("<main>")[1].split("</main>")[0]
    issued = certificate.issued_on
    for shown in ("李小红", "电商直播入门", "第1期", f"{issued.year}年{issued.month}月{issued.day}日"):
        assert shown in main
    for hidden in ("trainee_a", "13904211234", "211234", "从家店村", "用手机开播", "/training/", "3/3"):
        assert hidden not in main, hidden
    missing = await client.get("/certificates/NOSUCHCODE")
    assert missing.status_code == 404
    assert "NOSUCHCODE" in missing.text
    lookup = await client.get(f"/certificates?code={certificate.code}", follow_redirects=False)
    assert lookup.headers["location"] == f"/certificates/{certificate.code}"


async def test_the_printable_certificate_carries_its_code_and_a_qr_to_the_check_page(client, world: World, auth, db):
    course, _cohort = await trained_world(client, auth, world, min_attendance_percent=0, min_practice_streams=0)
    await _login(client, "trainee_a")
    enrollment = await db.scalar(select(Enrollment))
    draft = await client.get(f"/training/enrollments/{enrollment.id}/certificate?lang=en")
    assert "DRAFT" in draft.text
    assert "<svg" not in draft.text.split("<main>")[1]
    for lesson in course["lessons"]:
        await client.post(f"/api/v1/lessons/{lesson['id']}/complete", headers=auth["trainee_a"])
    certificate = await db.scalar(select(Certificate))
    printable = await client.get(f"/training/enrollments/{enrollment.id}/certificate")
    assert certificate.code in printable.text
    assert "<svg" in printable.text
    assert f"/certificates/{certificate.code}" in printable.text
    assert "watermark" not in printable.text


async def test_the_secretary_takes_the_roll_on_the_class_page(client, world: World, auth, db) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], (utcnow() - timedelta(minutes=20)).replace(microsecond=0))
    await _login(client, "secretary_a")
    page = await client.get(f"/training/classes/{cls['id']}")
    trainee = world.users["trainee_a"]
    assert f'name="s-{trainee}" value="late"' in page.text
    saved = await client.post(
        f"/training/classes/{cls['id']}/attendance",
        data={f"s-{trainee}": "late", "_csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert (await db.scalar(select(Attendance.status))) == "late"
    again = await client.get(f"/training/classes/{cls['id']}")
    assert f'name="s-{trainee}" value="late" checked' in again.text
    empty = await client.post(
        f"/training/classes/{cls['id']}/attendance",
        data={"_csrf_token": csrf_token(again.text)},
        follow_redirects=False,
    )
    assert empty.status_code == 400


async def test_the_qr_screen_refreshes_itself_and_leads_to_this_minutes_check_in(
    app, client, world: World, auth
) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], (utcnow() - timedelta(minutes=2)).replace(microsecond=0))
    await _login(client, "secretary_a")
    screen = await client.get(f"/training/classes/{cls['id']}/qr")
    assert screen.status_code == 200
    assert re.search(r'<meta http-equiv="refresh" content="\d+">', screen.text)
    shown = re.search(r'<p class="code"[^>]*>(\d{3}) (\d{3})</p>', screen.text)
    code = shown.group(1) + shown.group(2)
    assert checkin.is_valid_code(app.state.settings.secret_key, cls["id"], code, utcnow())
    url = f"http://testserver.local/training/classes/{cls['id']}/check-in/{code}"
    modules = re.search(r' d="([^"]+)"', str(qr_svg(url, scale=6))).group(1)
    assert modules in screen.text  # the QR code encodes this minute's check-in address
    assert "<svg" in screen.text
    assert "<script" not in screen.text


async def test_a_scanned_code_needs_one_button_press_to_check_in(app, client, world: World, auth, db) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], (utcnow() - timedelta(minutes=2)).replace(microsecond=0))
    await _login(client, "trainee_a")
    code = checkin.current_code(app.state.settings.secret_key, cls["id"], utcnow())
    landing = await client.get(f"/training/classes/{cls['id']}/check-in/{code}")
    assert landing.status_code == 200
    assert await db.scalar(select(Attendance.id)) is None  # a scan alone changes nothing
    assert f'name="code" value="{code}"' in landing.text
    done = await client.post(
        f"/training/classes/{cls['id']}/check-in",
        data={"code": code, "_csrf_token": csrf_token(landing.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert (await db.scalar(select(Attendance.status))) == "present"
    wrong = await client.post(
        f"/training/classes/{cls['id']}/check-in",
        data={"code": "000000" if code != "000000" else "111111", "_csrf_token": csrf_token(landing.text)},
    )
    assert wrong.status_code == 400
    assert (await db.scalar(select(Attendance.status))) == "present"  # a wrong code never undoes a check-in


async def test_an_old_code_on_the_page_is_refused_and_the_form_comes_back(app, client, world: World, auth) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], (utcnow() - timedelta(minutes=2)).replace(microsecond=0))
    await _login(client, "trainee_a")
    old = checkin.current_code(app.state.settings.secret_key, cls["id"], utcnow() - timedelta(minutes=5))
    form = await client.get(f"/training/classes/{cls['id']}/check-in")
    refused = await client.post(
        f"/training/classes/{cls['id']}/check-in", data={"code": old, "_csrf_token": csrf_token(form.text)}
    )
    assert refused.status_code == 400
    assert 'id="f-code"' in refused.text
    assert 'aria-invalid="true"' in refused.text


async def test_a_class_with_a_bad_time_keeps_what_was_typed(client, world: World, auth) -> None:
    _course, cohort = await trained_world(client, auth, world)
    await _login(client, "secretary_a")
    page = await client.get(f"/training/cohorts/{cohort['id']}")
    response = await client.post(
        f"/training/cohorts/{cohort['id']}/classes",
        data={
            "topic": "讲好故事",
            "place": "村委会",
            "starts_at": "明天下午",
            "length": "120",
            "_csrf_token": csrf_token(page.text),
        },
    )
    assert response.status_code == 400
    assert 'value="讲好故事"' in response.text
    assert 'id="e-starts_at"' in response.text
    good = await client.post(
        f"/training/cohorts/{cohort['id']}/classes",
        data={
            "topic": "讲好故事",
            "place": "村委会",
            "starts_at": "2026-12-20T14:00",
            "length": "90",
            "_csrf_token": csrf_token(page.text),
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    detail = await client.get(good.headers["location"])
    assert "14:00–15:30" in detail.text  # shown in Beijing time, as typed


async def test_a_new_trainee_gets_an_account_by_phone_and_is_enrolled(client, world: World, auth, db) -> None:
    _course, cohort = await trained_world(client, auth, world)
    await _login(client, "secretary_a")
    page = await client.get(f"/training/cohorts/{cohort['id']}")
    short = await client.post(
        f"/training/cohorts/{cohort['id']}/trainees",
        data={
            "display_name": "孙悦",
            "phone": "139 0421 5555",
            "password": "short",
            "_csrf_token": csrf_token(page.text),
        },
    )
    assert short.status_code == 400
    assert 'value="孙悦"' in short.text
    assert 'value="short"' not in short.text  # a password is never written back into the page
    made = await client.post(
        f"/training/cohorts/{cohort['id']}/trainees",
        data={
            "display_name": "孙悦",
            "phone": "139 0421 5555",
            "password": "sunyue-2026",
            "_csrf_token": csrf_token(page.text),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    user = await db.scalar(select(User).where(User.username == "13904215555"))
    assert user.role == "trainee"
    assert user.display_name == "孙悦"
    assert await db.scalar(select(Enrollment.id).where(Enrollment.user_id == user.id)) is not None


async def test_the_secretary_writes_a_course_with_a_pdf_handout_and_publishes_it(client, world: World, auth, db):
    await _login(client, "secretary_a")
    new = await client.get("/training/courses/new")
    created = await client.post(
        "/training/courses/new",
        data={
            "title": "农产品包装",
            "require_all_lessons": "on",
            "min_attendance_percent": "80",
            "min_practice_streams": "0",
            "_csrf_token": csrf_token(new.text),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    course_url = created.headers["location"]
    course_page = await client.get(course_url)
    publish_early = await client.post(
        f"{course_url}/publish", data={"published": "1", "_csrf_token": csrf_token(course_page.text)}
    )
    assert publish_early.status_code == 409  # nothing to publish yet
    lesson_form = await client.get(f"{course_url}/lessons/new")
    token = csrf_token(lesson_form.text)
    not_pdf = await client.post(
        f"{course_url}/lessons/new",
        data={"title": "打包", "body_md": "用纸箱。", "_csrf_token": token},
        files={"file": ("checklist.pdf", b"just text", "application/pdf")},
    )
    assert not_pdf.status_code == 400
    assert 'value="打包"' in not_pdf.text
    added = await client.post(
        f"{course_url}/lessons/new",
        data={"title": "打包", "body_md": "用纸箱。", "_csrf_token": token},
        files={"file": ("清单.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        follow_redirects=False,
    )
    assert added.status_code == 303
    published = await client.post(
        f"{course_url}/publish", data={"published": "1", "_csrf_token": token}, follow_redirects=False
    )
    assert published.status_code == 303
    course_id = int(course_url.rsplit("/", 1)[1])
    cohort = await make_cohort(client, auth, course_id)
    await enroll(client, auth, cohort["id"], world.users["trainee_a"])
    lesson = (await client.get(f"/api/v1/courses/{course_id}", headers=auth["secretary_a"])).json()["lessons"][0]
    assert lesson["file_url"] == f"/training/lessons/{lesson['id']}/file"
    await _login(client, "trainee_a")
    handout = await client.get(lesson["file_url"])
    assert handout.status_code == 200
    assert handout.content.startswith(b"%PDF-")
    assert handout.headers["content-type"] == "application/pdf"


async def test_the_starter_course_loads_once_and_reads_well(client, world: World, auth) -> None:
    await _login(client, "secretary_a")
    desk = await client.get("/training")
    first = await client.post(
        "/training/courses/import-starter", data={"_csrf_token": csrf_token(desk.text)}, follow_redirects=False
    )
    assert first.status_code == 303
    second = await client.post(
        "/training/courses/import-starter", data={"_csrf_token": csrf_token(desk.text)}, follow_redirects=False
    )
    assert second.headers["location"] == first.headers["location"]
    courses = (await client.get("/api/v1/courses", headers=auth["secretary_a"])).json()
    assert courses["total"] == 1
    starter = courses["items"][0]
    assert starter["title"] == "电商直播入门"
    assert len(starter["lessons"]) == 6
    assert starter["published"] is True
    lesson = await client.get(f"/training/lessons/{starter['lessons'][0]['id']}")
    assert "<h2>" in lesson.text
    assert len(lesson.content) < 60_000


async def test_lessons_are_reordered_and_removed_keeping_positions_contiguous(client, world: World, auth) -> None:
    course = await make_course(client, auth)
    first, second, third = (lesson["id"] for lesson in course["lessons"])
    await _login(client, "secretary_a")
    page = await client.get(f"/training/courses/{course['id']}")
    token = csrf_token(page.text)
    moved = await client.post(
        f"/training/lessons/{third}/move", data={"step": "up", "_csrf_token": token}, follow_redirects=False
    )
    assert moved.status_code == 303
    order = (await client.get(f"/api/v1/courses/{course['id']}", headers=auth["secretary_a"])).json()["lessons"]
    assert [(lesson["id"], lesson["position"]) for lesson in order] == [(first, 1), (third, 2), (second, 3)]
    await client.post(f"/training/lessons/{first}/delete", data={"_csrf_token": token}, follow_redirects=False)
    order = (await client.get(f"/api/v1/courses/{course['id']}", headers=auth["secretary_a"])).json()["lessons"]
    assert [(lesson["id"], lesson["position"]) for lesson in order] == [(third, 1), (second, 2)]


async def test_moving_and_cancelling_a_class_from_its_pages(client, world: World, auth, db) -> None:
    _course, cohort = await trained_world(client, auth, world)
    cls = await schedule(client, auth, cohort["id"], (utcnow() + timedelta(days=3)).replace(microsecond=0))
    await _login(client, "secretary_a")
    form = await client.get(f"/training/classes/{cls['id']}/edit")
    assert 'name="starts_at"' in form.text
    moved = await client.post(
        f"/training/classes/{cls['id']}/edit",
        data={
            "topic": "讲好故事",
            "place": "村小学教室",
            "starts_at": "2026-12-24T09:30",
            "length": "60",
            "_csrf_token": csrf_token(form.text),
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303
    detail = await client.get(f"/training/classes/{cls['id']}")
    assert "09:30–10:30" in detail.text
    assert "村小学教室" in detail.text
    cancelled = await client.post(
        f"/training/classes/{cls['id']}/cancel", data={"_csrf_token": csrf_token(detail.text)}, follow_redirects=False
    )
    assert cancelled.headers["location"] == f"/training/cohorts/{cohort['id']}"
    after = await client.get(f"/training/classes/{cls['id']}")
    assert f'action="/training/classes/{cls["id"]}/attendance"' not in after.text


async def test_an_admin_chooses_the_village_of_a_new_course(client, world: World, auth) -> None:
    await _login(client, "admin")
    new = await client.get("/training/courses/new")
    assert 'name="village_id"' in new.text
    made = await client.post(
        "/training/courses/new",
        data={
            "title": "大平房村的课",
            "village_id": str(world.villages["b"]),
            "min_attendance_percent": "80",
            "min_practice_streams": "1",
            "_csrf_token": csrf_token(new.text),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    courses = (await client.get("/api/v1/courses", headers=auth["secretary_b"])).json()["items"]
    assert [c["title"] for c in courses] == ["大平房村的课"]
    bad = await client.post(
        "/training/courses/new",
        data={
            "title": "",
            "village_id": str(world.villages["b"]),
            "min_attendance_percent": "八十",
            "_csrf_token": csrf_token(new.text),
        },
    )
    assert bad.status_code == 400
    assert 'id="e-min_attendance_percent"' in bad.text
