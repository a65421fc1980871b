"""Streams over the API: planning with guests and a lineup, double-booking, status, pinning, reminders, reach."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.notifications.models import Reminder
from tests.conftest import World

pytestmark = pytest.mark.anyio


async def _product(client, auth, name: str = "朝阳小米", price: int = 7500) -> int:
    response = await client.post(
        "/api/v1/products",
        json={"name": name, "category": "grain", "unit": "袋", "price_fen": price},
        headers=auth["secretary_a"],
    )
    return response.json()["id"]


async def _guest(client, auth, name: str = "孟凤兰", who: str = "secretary_a") -> int:
    response = await client.post(
        "/api/v1/guests", json={"name": name, "title": "市级非遗剪纸项目传承人", "craft": "剪纸"}, headers=auth[who]
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _body(**changes) -> dict:
    body = {
        "title": "新米节",
        "platform": "douyin",
        "starts_at": "2031-12-01T19:30:00+08:00",
        "ends_at": "2031-12-01T21:00:00+08:00",
    }
    body.update(changes)
    return body


async def test_plan_with_guest_and_lineup(client, world: World, auth) -> None:
    millet, fu = await _product(client, auth), await _product(client, auth, "剪纸·福字", 5800)
    guest = await _guest(client, auth)
    response = await client.post(
        "/api/v1/streams",
        json=_body(
            guest_ids=[guest],
            lineup=[
                {"product_id": fu, "talking_points": "现场剪", "planned_minutes": 15, "quantity_cap": 10},
                {"product_id": millet, "live_price_fen": 6990},
            ],
        ),
        headers=auth["secretary_a"],
    )
    assert response.status_code == 201, response.text
    stream = response.json()
    assert stream["status"] == "planned"
    assert stream["starts_at"].startswith("2031-12-01T11:30:00")
    assert stream["host_user_id"] == world.users["secretary_a"]
    assert [(i["short_code"], i["price_fen"]) for i in stream["lineup"]] == [("A1", 5800), ("A2", 6990)]
    assert stream["guests"][0]["name"] == "孟凤兰"
    show = (await client.get(f"/api/v1/streams/{stream['id']}/run-of-show", headers=auth["secretary_a"])).json()
    assert [b["kind"] for b in show] == ["opening", "guest", "product", "product", "closing"]


async def test_time_without_offset_is_beijing_time(client, world: World, auth) -> None:
    response = await client.post(
        "/api/v1/streams",
        json=_body(starts_at="2031-12-02T20:00:00", ends_at="2031-12-02T21:00:00"),
        headers=auth["secretary_a"],
    )
    assert response.json()["starts_at"].startswith("2031-12-02T12:00:00")


async def test_double_booked_host_is_409_naming_the_clashing_stream(client, world: World, auth) -> None:
    first = (await client.post("/api/v1/streams", json=_body(title="第一场"), headers=auth["secretary_a"])).json()
    clash = await client.post(
        "/api/v1/streams",
        json=_body(title="第二场", starts_at="2031-12-01T20:30:00+08:00", ends_at="2031-12-01T22:00:00+08:00"),
        headers=auth["secretary_a"],
    )
    assert clash.status_code == 409
    assert "第一场" in clash.json()["detail"]
    assert clash.json()["clashing_stream_id"] == first["id"]
    touching = await client.post(
        "/api/v1/streams",
        json=_body(title="接着播", starts_at="2031-12-01T21:00:00+08:00", ends_at="2031-12-01T22:00:00+08:00"),
        headers=auth["secretary_a"],
    )
    assert touching.status_code == 201


async def test_double_booked_guest_is_409_even_with_another_host(client, world: World, auth, db) -> None:
    guest = await _guest(client, auth)
    await client.post("/api/v1/streams", json=_body(guest_ids=[guest]), headers=auth["secretary_a"])
    other_host = await client.post(
        "/api/v1/streams",
        json=_body(
            title="学员练习",
            guest_ids=[guest],
            host_user_id=world.users["trainee_a"],
            practice=True,
            starts_at="2031-12-01T20:00:00+08:00",
            ends_at="2031-12-01T20:30:00+08:00",
        ),
        headers=auth["secretary_a"],
    )
    assert other_host.status_code == 409
    assert "孟凤兰" in other_host.json()["detail"]


async def test_cancelled_stream_frees_the_slot_and_withdraws_reminders(client, world: World, auth, db) -> None:
    stream = (await client.post("/api/v1/streams", json=_body(), headers=auth["secretary_a"])).json()
    reminders = await db.scalars(select(Reminder).where(Reminder.subject_id == stream["id"]))
    assert {r.kind for r in reminders} == {"stream.24h", "stream.1h", "stream.10m"}
    cancelled = await client.post(
        f"/api/v1/streams/{stream['id']}/status", json={"status": "cancelled"}, headers=auth["secretary_a"]
    )
    assert cancelled.json()["status"] == "cancelled"
    after = await db.scalars(select(Reminder).where(Reminder.subject_id == stream["id"]))
    assert {r.status for r in after} == {"withdrawn"}
    again = await client.post("/api/v1/streams", json=_body(title="改期"), headers=auth["secretary_a"])
    assert again.status_code == 201


async def test_rescheduling_moves_unsent_reminders(client, world: World, auth, db) -> None:
    stream = (await client.post("/api/v1/streams", json=_body(), headers=auth["secretary_a"])).json()
    moved = await client.patch(
        f"/api/v1/streams/{stream['id']}",
        json={"starts_at": "2031-12-03T19:30:00+08:00", "ends_at": "2031-12-03T21:00:00+08:00"},
        headers=auth["secretary_a"],
    )
    assert moved.status_code == 200
    rows = await db.scalars(select(Reminder).where(Reminder.subject_id == stream["id"], Reminder.kind == "stream.1h"))
    assert len(rows) == 1
    assert rows[0].status == "pending"
    assert rows[0].due_at.isoformat().startswith("2031-12-03T10:30:00")


async def test_households_whose_goods_are_in_the_lineup_are_reminded_the_evening_before(
    client, world, auth, db
) -> None:
    millet = await _product(client, auth)
    await client.post(
        f"/api/v1/products/{millet}/lots",
        json={"quantity": 5, "contributions": [{"household_id": world.households["a2"], "quantity": 5}]},
        headers=auth["secretary_a"],
    )
    stream = (
        await client.post("/api/v1/streams", json=_body(lineup=[{"product_id": millet}]), headers=auth["secretary_a"])
    ).json()
    rows = await db.scalars(
        select(Reminder).where(Reminder.subject_id == stream["id"], Reminder.kind == "stream.households")
    )
    assert [(r.recipient_kind, r.recipient_id) for r in rows] == [("household", world.households["a2"])]
    assert rows[0].due_at.isoformat().startswith("2031-11-30T11:00:00")  # 19:00 Beijing the day before


async def test_a_planned_stream_with_guests_and_lineup_can_be_edited(client, world: World, auth) -> None:
    millet, fu = await _product(client, auth), await _product(client, auth, "剪纸·福字", 5800)
    guest = await _guest(client, auth)
    body = _body(guest_ids=[guest], lineup=[{"product_id": millet}, {"product_id": fu}])
    stream = (await client.post("/api/v1/streams", json=body, headers=auth["secretary_a"])).json()
    path = f"/api/v1/streams/{stream['id']}"
    notes = await client.patch(path, json={"notes": "先讲小米"}, headers=auth["secretary_a"])
    assert notes.status_code == 200, notes.text
    assert [item["product_id"] for item in notes.json()["lineup"]] == [millet, fu]
    swapped = await client.patch(
        path, json={"lineup": [{"product_id": fu}, {"product_id": millet}]}, headers=auth["secretary_a"]
    )
    assert swapped.status_code == 200, swapped.text
    assert [item["product_id"] for item in swapped.json()["lineup"]] == [fu, millet]


async def test_status_moves_and_illegal_moves_are_409(client, world: World, auth) -> None:
    stream = (await client.post("/api/v1/streams", json=_body(), headers=auth["secretary_a"])).json()
    path = f"/api/v1/streams/{stream['id']}/status"
    assert (await client.post(path, json={"status": "ended"}, headers=auth["secretary_a"])).status_code == 409
    assert (await client.post(path, json={"status": "live"}, headers=auth["secretary_a"])).json()["status"] == "live"
    assert (await client.post(path, json={"status": "cancelled"}, headers=auth["secretary_a"])).status_code == 409
    assert (await client.post(path, json={"status": "ended"}, headers=auth["secretary_a"])).json()["status"] == "ended"
    assert (
        await client.patch(f"/api/v1/streams/{stream['id']}", json={"title": "x"}, headers=auth["secretary_a"])
    ).status_code == 409


async def test_going_live_pins_the_first_product_and_pin_next_moves_on(client, world: World, auth) -> None:
    a, b = await _product(client, auth, "小米"), await _product(client, auth, "木耳")
    stream = (
        await client.post(
            "/api/v1/streams", json=_body(lineup=[{"product_id": a}, {"product_id": b}]), headers=auth["secretary_a"]
        )
    ).json()
    live = (
        await client.post(
            f"/api/v1/streams/{stream['id']}/status", json={"status": "live"}, headers=auth["secretary_a"]
        )
    ).json()
    assert live["pinned_item_id"] == live["lineup"][0]["id"]
    nxt = (
        await client.post(f"/api/v1/streams/{stream['id']}/pin", json={"step": 1}, headers=auth["secretary_a"])
    ).json()
    assert nxt["pinned_item_id"] == live["lineup"][1]["id"]
    last = (
        await client.post(f"/api/v1/streams/{stream['id']}/pin", json={"step": 1}, headers=auth["secretary_a"])
    ).json()
    assert last["pinned_item_id"] == live["lineup"][1]["id"]  # stays on the last product


async def test_weekly_series_is_all_or_nothing(client, world: World, auth) -> None:
    series = await client.post(
        "/api/v1/streams", json=_body(title="集日直播", repeat_weekly=4), headers=auth["secretary_a"]
    )
    assert series.status_code == 201
    listing = (await client.get("/api/v1/streams?limit=50", headers=auth["secretary_a"])).json()
    assert listing["total"] == 4
    assert len({s["series_id"] for s in listing["items"]}) == 1
    # A series clashing in its third week is refused whole.
    clash = await client.post(
        "/api/v1/streams",
        json=_body(
            title="另一个集日",
            starts_at="2031-11-17T20:00:00+08:00",
            ends_at="2031-11-17T20:30:00+08:00",
            repeat_weekly=3,
        ),
        headers=auth["secretary_a"],
    )
    assert clash.status_code == 409
    assert (await client.get("/api/v1/streams?limit=50", headers=auth["secretary_a"])).json()["total"] == 4


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2031-12-01T19:00:00+08:00"}, "ends_at"),
        ({"ends_at": "2031-12-02T19:30:00+08:00"}, "ends_at"),
        ({"platform": "tiktok"}, "platform"),
        ({"title": ""}, "title"),
        ({"lineup": [{"product_id": 999999}]}, "lineup"),
        ({"host_user_id": 999999}, "host_user_id"),
    ],
)
async def test_bad_plans_are_400_naming_the_field(client, world: World, auth, changes, field) -> None:
    response = await client.post("/api/v1/streams", json=_body(**changes), headers=auth["secretary_a"])
    assert response.status_code == 400, response.text
    assert field in str(response.json())


async def test_reach_other_village_404_and_trainee_sees_only_own_practice(client, world: World, auth) -> None:
    stream = (await client.post("/api/v1/streams", json=_body(), headers=auth["secretary_a"])).json()
    practice = (
        await client.post(
            "/api/v1/streams",
            json=_body(
                title="练习",
                host_user_id=world.users["trainee_a"],
                practice=True,
                starts_at="2031-12-05T10:00:00+08:00",
                ends_at="2031-12-05T10:30:00+08:00",
            ),
            headers=auth["secretary_a"],
        )
    ).json()
    assert (await client.get(f"/api/v1/streams/{stream['id']}", headers=auth["secretary_b"])).status_code == 404
    assert (await client.get(f"/api/v1/streams/{stream['id']}", headers=auth["trainee_a"])).status_code == 404
    assert (await client.get(f"/api/v1/streams/{practice['id']}", headers=auth["trainee_a"])).status_code == 200
    mine = (await client.get("/api/v1/streams", headers=auth["trainee_a"])).json()
    assert [s["id"] for s in mine["items"]] == [practice["id"]]
    assert (await client.get("/api/v1/streams", headers=auth["household_a1"])).status_code == 403
    guest = await client.post("/api/v1/guests", json={"name": "x"}, headers=auth["trainee_a"])
    assert guest.status_code == 403
    trainee_plans = await client.post("/api/v1/streams", json=_body(), headers=auth["trainee_a"])
    assert trainee_plans.status_code == 403
