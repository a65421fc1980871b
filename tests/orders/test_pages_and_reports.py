"""Order pages: quick entry on the live board, comments to orders, packing lists, shipping (the only place
with full phone and address), the post-stream report, and masking everywhere else."""

from __future__ import annotations

import re

import pytest

from tests.conftest import World
from tests.forms import form_token
from tests.web.test_pages import login_page_client

pytestmark = pytest.mark.anyio

PHONE = "13812345678"
ADDRESS = "辽宁省朝阳市双塔区凌河街道幸福小区3号楼"


async def _live_stream(client, auth, world: World) -> tuple[dict, list[int]]:
    ids = []
    for name, lots in (("朝阳小米", [("a1", 6), ("a2", 3)]), ("黑木耳", [("a2", 10)])):
        product = (
            await client.post(
                "/api/v1/products",
                json={"name": name, "category": "grain", "unit": "袋", "price_fen": 3990},
                headers=auth["secretary_a"],
            )
        ).json()
        await client.post(
            f"/api/v1/products/{product['id']}/lots",
            json={
                "quantity": sum(q for _, q in lots),
                "contributions": [{"household_id": world.households[h], "quantity": q} for h, q in lots],
            },
            headers=auth["secretary_a"],
        )
        ids.append(product["id"])
    stream = (
        await client.post(
            "/api/v1/streams",
            json={
                "title": "新米直播",
                "platform": "douyin",
                "starts_at": "2031-12-01T19:30:00+08:00",
                "ends_at": "2031-12-01T21:00:00+08:00",
                "lineup": [{"product_id": ids[0]}, {"product_id": ids[1]}],
            },
            headers=auth["secretary_a"],
        )
    ).json()
    await client.post(f"/api/v1/streams/{stream['id']}/status", json={"status": "live"}, headers=auth["secretary_a"])
    return stream, ids


async def test_quick_entry_on_the_live_board_records_and_the_board_shows_it(client, world: World, auth) -> None:
    stream, ids = await _live_stream(client, auth, world)
    await login_page_client(client, "secretary_a")
    board = f"/streams/{stream['id']}/live"
    token = await form_token(client, board)
    response = await client.post(
        "/orders/quick",
        data={
            "stream_id": str(stream["id"]),
            "product_id": str(ids[0]),
            "quantity": "2",
            "buyer_name": "张三丰",
            "buyer_phone": PHONE,
            "address": ADDRESS,
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == board
    page = await client.get(board)
    assert "¥79.80" in page.text
    assert "张**" in page.text
    assert PHONE not in page.text
    assert ADDRESS not in page.text


async def test_short_quick_entry_says_why_and_records_nothing(client, world: World, auth) -> None:
    stream, ids = await _live_stream(client, auth, world)
    await login_page_client(client, "secretary_a")
    token = await form_token(client, f"/streams/{stream['id']}/live")
    await client.post(
        "/orders/quick",
        data={"stream_id": str(stream["id"]), "product_id": str(ids[0]), "quantity": "99", "_csrf_token": token},
    )
    page = await client.get(f"/streams/{stream['id']}/live")
    assert "朝阳小米" in page.text
    assert "只剩" in page.text or "left" in page.text
    assert (await client.get("/api/v1/orders", headers=auth["secretary_a"])).json()["total"] == 0


async def test_comments_become_drafts_and_only_confirmed_ones_become_orders(client, world: World, auth) -> None:
    stream, ids = await _live_stream(client, auth, world)
    await login_page_client(client, "secretary_a")
    path = f"/streams/{stream['id']}/comments"
    token = await form_token(client, path)
    drafts = await client.post(
        path, data={"text": f"张三 A1+2 {PHONE} {ADDRESS}\n李四 黑木耳三袋\n主播好漂亮", "_csrf_token": token}
    )
    assert drafts.status_code == 200
    assert drafts.text.count('class="draft card') == 2
    assert (await client.get("/api/v1/orders", headers=auth["secretary_a"])).json()["total"] == 0
    confirmed = await client.post(
        path + "/confirm",
        data={
            "keep_0": "on",
            "product_0": str(ids[0]),
            "quantity_0": "2",
            "name_0": "张三",
            "phone_0": PHONE,
            "address_0": ADDRESS,
            "product_1": str(ids[1]),
            "quantity_1": "3",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    orders = (await client.get("/api/v1/orders", headers=auth["secretary_a"])).json()
    assert orders["total"] == 1
    assert orders["items"][0]["source"] == "comment"
    assert orders["items"][0]["stream_id"] == stream["id"]


async def test_report_counts_takings_whose_goods_sold_and_not_cancelled_orders(client, world: World, auth) -> None:
    stream, ids = await _live_stream(client, auth, world)
    for quantity in (3, 3):
        await client.post(
            "/api/v1/orders",
            json={"items": [{"product_id": ids[0], "quantity": quantity}]},
            headers=auth["secretary_a"],
        )
    cancelled = (
        await client.post(
            "/api/v1/orders", json={"items": [{"product_id": ids[1], "quantity": 1}]}, headers=auth["secretary_a"]
        )
    ).json()
    await client.post(
        f"/api/v1/orders/{cancelled['id']}/status", json={"status": "cancelled"}, headers=auth["secretary_a"]
    )
    report = (await client.get(f"/api/v1/streams/{stream['id']}/report", headers=auth["secretary_a"])).json()
    assert (report["orders"], report["units"], report["gross_fen"]) == (2, 6, 6 * 3990)
    assert [(p["name"], p["units"]) for p in report["products"]] == [("朝阳小米", 6)]
    # The millet lot came from a1 (6 units) and a2 (3): the 6 sold units are split 4 : 2.
    assert {h["code"]: h["units"] for h in report["households"]} == {"CJD-001": 4, "CJD-002": 2}
    assert sum(bucket["orders"] for bucket in report["per_10_minutes"]) == 2
    await login_page_client(client, "secretary_a")
    page = await client.get(f"/streams/{stream['id']}/report")
    assert "<svg" in page.text
    assert "¥239.40" in page.text
    assert len(page.content) < 60_000


async def test_shipping_page_and_csv_have_full_data_other_pages_are_masked(client, world: World, auth) -> None:
    stream, ids = await _live_stream(client, auth, world)
    order = (
        await client.post(
            "/api/v1/orders",
            json={
                "items": [{"product_id": ids[0], "quantity": 1}],
                "buyer_name": '=HYPERLINK("x")',
                "buyer_phone": PHONE,
                "address": ADDRESS,
            },
            headers=auth["secretary_a"],
        )
    ).json()
    assert order["buyer_phone"] == "138****5678"
    await login_page_client(client, "secretary_a")
    for path in (
        "/orders",
        f"/orders/{order['id']}",
        f"/orders/packing?stream_id={stream['id']}",
        f"/streams/{stream['id']}/live",
        f"/streams/{stream['id']}/report",
    ):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert PHONE not in page.text, path
        assert ADDRESS not in page.text, path
    shipping = await client.get(f"/orders/shipping?stream_id={stream['id']}")
    assert PHONE in shipping.text
    assert ADDRESS in shipping.text
    csv = await client.get(f"/orders/shipping.csv?stream_id={stream['id']}")
    text = csv.content.decode("utf-8-sig")
    assert PHONE in text
    assert "'=HYPERLINK" in text  # a formula is neutralised, not executed by the spreadsheet


async def test_packing_list_by_household_follows_the_lots(client, world: World, auth) -> None:
    stream, ids = await _live_stream(client, auth, world)
    await client.post(
        "/api/v1/orders", json={"items": [{"product_id": ids[0], "quantity": 9}]}, headers=auth["secretary_a"]
    )
    await login_page_client(client, "secretary_a")
    page = await client.get(f"/orders/packing?stream_id={stream['id']}")
    assert re.search(r"CJD-001</strong> 户主a1</td>\s*<td[^>]*>朝阳小米 × 6", page.text)
    assert re.search(r"CJD-002</strong> 户主a2</td>\s*<td[^>]*>朝阳小米 × 3", page.text)


async def test_order_page_moves_an_order_and_refuses_illegal_moves_with_a_reason(client, world: World, auth) -> None:
    _stream, ids = await _live_stream(client, auth, world)
    order = (
        await client.post(
            "/api/v1/orders", json={"items": [{"product_id": ids[0], "quantity": 1}]}, headers=auth["secretary_a"]
        )
    ).json()
    await login_page_client(client, "secretary_a")
    token = await form_token(client, f"/orders/{order['id']}")
    await client.post(
        f"/orders/{order['id']}/status", data={"status": "shipped", "tracking_no": "ZT998877", "_csrf_token": token}
    )
    page = await client.get(f"/orders/{order['id']}")
    assert "ZT998877" in page.text
    page = await client.post(f"/orders/{order['id']}/status", data={"status": "cancelled", "_csrf_token": token})
    assert "flash error" in page.text  # the redirect back to the order shows why
    assert "ZT998877" in page.text
