"""Stream pages (planning form, run-of-show, live board, server-sent events) and the calendar feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import icalendar
import pytest
from sqlalchemy import select

from shop.accounts.models import User
from tests.conftest import World
from tests.forms import form_token
from tests.web.test_pages import login_page_client

pytestmark = pytest.mark.anyio


async def _stream(client, auth, **changes) -> dict:
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "剪纸·福字", "category": "craft", "unit": "件", "price_fen": 5800},
            headers=auth["secretary_a"],
        )
    ).json()
    body = {
        "title": "剪纸直播",
        "platform": "douyin",
        "starts_at": "2031-12-01T19:30:00+08:00",
        "ends_at": "2031-12-01T21:00:00+08:00",
        "lineup": [{"product_id": product["id"], "talking_points": "孟老师现场剪福字"}],
    }
    body.update(changes)
    return (await client.post("/api/v1/streams", json=body, headers=auth["secretary_a"])).json()


async def test_planning_form_in_beijing_time(client, world: World, auth) -> None:
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 7500},
            headers=auth["secretary_a"],
        )
    ).json()
    await login_page_client(client, "secretary_a")
    token = await form_token(client, "/streams/new")
    response = await client.post(
        "/streams/new",
        data={
            "title": "周末集",
            "platform": "kuaishou",
            "date": "2031-12-06",
            "start_time": "20:00",
            "end_time": "21:30",
            "host_user_id": str(world.users["secretary_a"]),
            "product_1": str(product["id"]),
            "price_1": "69.90",
            "minutes_1": "12",
            "points_1": "新米",
            "repeat_weekly": "1",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    stream = (await client.get("/api/v1/streams", headers=auth["secretary_a"])).json()["items"][0]
    assert stream["starts_at"].startswith("2031-12-06T12:00:00")
    assert stream["lineup"][0]["price_fen"] == 6990
    detail = await client.get(response.headers["location"])
    assert "20:00–21:30" in detail.text


async def test_clash_on_the_form_is_shown_beside_the_time_and_keeps_the_input(client, world: World, auth) -> None:
    await _stream(client, auth)
    await login_page_client(client, "secretary_a")
    token = await form_token(client, "/streams/new")
    response = await client.post(
        "/streams/new",
        data={
            "title": "撞车了",
            "platform": "douyin",
            "date": "2031-12-01",
            "start_time": "20:00",
            "end_time": "20:30",
            "host_user_id": str(world.users["secretary_a"]),
            "_csrf_token": token,
        },
    )
    assert response.status_code == 409
    assert "剪纸直播" in response.text
    assert 'value="撞车了"' in response.text


async def test_run_of_show_and_live_board_render(client, world: World, auth) -> None:
    stream = await _stream(client, auth)
    await login_page_client(client, "secretary_a")
    script = await client.get(f"/streams/{stream['id']}/script")
    assert script.status_code == 200
    assert "19:30" in script.text
    assert "孟老师现场剪福字" in script.text
    board = await client.get(f"/streams/{stream['id']}/live")
    assert board.status_code == 200
    assert "开播" in board.text
    token = await form_token(client, f"/streams/{stream['id']}/live")
    await client.post(f"/streams/{stream['id']}/status", data={"status": "live", "_csrf_token": token})
    live = await client.get(f"/streams/{stream['id']}/live")
    assert "剪纸·福字" in live.text
    assert "¥58.00" in live.text
    assert len(live.content) < 60_000


async def test_event_stream_sends_the_board_state(client, world: World, auth, app) -> None:
    stream = await _stream(client, auth)
    await client.post(f"/api/v1/streams/{stream['id']}/status", json={"status": "live"}, headers=auth["secretary_a"])
    # An ended stream's event stream sends its last state and closes, so the test client can read it whole.
    await client.post(f"/api/v1/streams/{stream['id']}/status", json={"status": "ended"}, headers=auth["secretary_a"])
    await login_page_client(client, "secretary_a")
    async with client.stream("GET", f"/streams/{stream['id']}/live/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                state = json.loads(line.removeprefix("data:").strip())
                break
    assert state["status"] == "ended"
    assert state["pinned"]["name"] == "剪纸·福字"
    assert state["pinned"]["price"] == "¥58.00"


async def test_other_village_cannot_open_the_live_board(client, world: World, auth) -> None:
    stream = await _stream(client, auth)
    await login_page_client(client, "secretary_b")
    assert (await client.get(f"/streams/{stream['id']}/live")).status_code == 404
    assert (await client.get(f"/streams/{stream['id']}/live/events")).status_code == 404


async def test_calendar_feed_parses_and_holds_utc_times(client, world: World, auth, db) -> None:
    await _stream(client, auth)
    cancelled = await _stream(
        client, auth, title="取消的", starts_at="2031-12-02T19:30:00+08:00", ends_at="2031-12-02T20:30:00+08:00"
    )
    await client.post(
        f"/api/v1/streams/{cancelled['id']}/status", json={"status": "cancelled"}, headers=auth["secretary_a"]
    )
    secret = await db.scalar(select(User.calendar_secret).where(User.id == world.users["secretary_a"]))
    response = await client.get(f"/calendar/{secret}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert events["剪纸直播"].decoded("DTSTART") == datetime(2031, 12, 1, 11, 30, tzinfo=UTC)
    assert events["剪纸直播"].decoded("DTEND") == datetime(2031, 12, 1, 13, 0, tzinfo=UTC)
    assert str(events["取消的"]["STATUS"]) == "CANCELLED"
    assert (await client.get("/calendar/not-a-secret.ics")).status_code == 404
    other = await db.scalar(select(User.calendar_secret).where(User.id == world.users["secretary_b"]))
    assert "剪纸直播" not in (await client.get(f"/calendar/{other}.ics")).text


async def test_a_day_at_the_calendars_edge_on_the_form_is_a_400_in_chinese_keeping_the_input(
    client, world: World
) -> None:
    await login_page_client(client, "secretary_a")
    token = await form_token(client, "/streams/new")
    response = await client.post(
        "/streams/new",
        data={
            "title": "万年直播",
            "platform": "douyin",
            "date": "9999-12-31",
            "start_time": "23:00",
            "end_time": "00:30",  # past midnight: one day later would leave the calendar
            "host_user_id": str(world.users["secretary_a"]),
            "_csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "请选 2000 年到 2099 年之间的时间" in response.text
    assert 'value="万年直播"' in response.text
