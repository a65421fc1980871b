"""The money pages: the villager's earnings home, statements and 长辈 mode; paying out one household or
a batch; the fee policy form; the audit trail in words; the transparency board; the village desk; and
no buyer's phone number on any page a villager can open."""

from __future__ import annotations

import re
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.conftest import World
from tests.forms import form_token
from tests.ledger.test_crediting import _move, _policy
from tests.web.test_pages import login_page_client

pytestmark = pytest.mark.anyio

BUYER_PHONE = "13812345678"
PHONE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


async def _household_login(client, world: World, key: str) -> None:
    token = await form_token(client, "/household/login")
    code = {"a1": "CJD-001", "a2": "CJD-002", "b1": "DPF-001"}[key]
    response = await client.post(
        "/household/login",
        data={"code": code, "pin": world.pins[key], "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


async def _completed_sale_with_buyer(client, auth, world: World) -> dict:
    await _policy(client, auth, world)
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990},
            headers=auth["secretary_a"],
        )
    ).json()
    await client.post(
        f"/api/v1/products/{product['id']}/lots",
        json={
            "quantity": 3,
            "contributions": [
                {"household_id": world.households["a1"], "quantity": 2},
                {"household_id": world.households["a2"], "quantity": 1},
            ],
        },
        headers=auth["secretary_a"],
    )
    order = (
        await client.post(
            "/api/v1/orders",
            json={
                "items": [{"product_id": product["id"], "quantity": 3}],
                "source": "douyin",
                "buyer_name": "张三丰",
                "buyer_phone": BUYER_PHONE,
                "address": "辽宁省沈阳市和平区南京北街12号",
            },
            headers=auth["secretary_a"],
        )
    ).json()
    await _move(client, auth, order["id"], "shipped", "completed")
    return order


async def test_the_villager_sees_the_sale_in_big_numbers_and_in_the_list(client, world: World, auth) -> None:
    await _completed_sale_with_buyer(client, auth, world)
    await _household_login(client, world, "a1")
    home = await client.get("/household")
    assert home.status_code == 200
    assert "¥65.43" in home.text  # the worked example: household A's 6543 fen
    assert "朝阳小米" in home.text
    assert "<svg" in home.text  # the last 12 months
    english = await client.get("/household?lang=en")
    assert "Balance" in english.text


async def test_large_type_mode_is_remembered_on_the_phone(client, world: World, auth) -> None:
    await _household_login(client, world, "a1")
    token = await form_token(client, "/household")
    response = await client.post("/household/elder", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert "elder=1" in response.headers["set-cookie"]
    assert 'class="elder' in (await client.get("/household")).text or "elder" in (await client.get("/household")).text


async def test_no_villager_page_shows_a_buyers_phone(client, world: World, auth) -> None:
    await _completed_sale_with_buyer(client, auth, world)
    await _household_login(client, world, "a1")
    month = date.today().strftime("%Y-%m")
    for path in ("/household", f"/household/statement/{month}", "/inbox", "/household?lang=en"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert BUYER_PHONE not in page.text, path
        assert "张三丰" not in page.text, path
        assert not [p for p in PHONE_LIKE.findall(page.text) if not p.startswith("1390421")], path


async def test_a_villager_cannot_open_another_households_statement(client, world: World, auth) -> None:
    await _household_login(client, world, "a1")
    month = date.today().strftime("%Y-%m")
    other = await client.get(f"/households/{world.households['a2']}/statement/{month}", follow_redirects=False)
    assert other.status_code in (302, 303, 403, 404)
    assert "户主a2" not in other.text


async def test_the_secretary_pays_one_household_and_a_too_large_payout_is_refused_in_chinese(
    client, world: World, auth, db
) -> None:
    await _completed_sale_with_buyer(client, auth, world)
    await login_page_client(client, "secretary_a")
    token = await form_token(client, "/payouts")
    too_much = await client.post(
        "/payouts",
        data={"household_id": world.households["a1"], "amount": "70.00", "method": "cash", "_csrf_token": token},
    )
    assert too_much.status_code == 409
    assert "余额" in too_much.text
    paid = await client.post(
        "/payouts",
        data={
            "household_id": world.households["a1"],
            "amount": "65.43",
            "method": "wechat",
            "reference": "11月结算",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert paid.status_code == 303
    earnings = (
        await client.get(f"/api/v1/households/{world.households['a1']}/earnings", headers=auth["household_a1"])
    ).json()
    assert earnings["balance_fen"] == 0
    assert earnings["paid_out_fen"] == 6543
    bad = await client.post(
        "/payouts",
        data={"household_id": world.households["a2"], "amount": "1.234", "method": "cash", "_csrf_token": token},
    )
    assert bad.status_code == 400


async def test_a_batch_pays_every_balance_above_the_line_with_a_transfer_list(client, world: World, auth) -> None:
    await _completed_sale_with_buyer(client, auth, world)
    await login_page_client(client, "secretary_a")
    token = await form_token(client, "/payouts")
    response = await client.post(
        "/payouts/batch",
        data={"min_balance": "40", "batch_method": "bank", "batch_reference": "=HYPERLINK(1)", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    batch = response.headers["location"]
    page = await client.get(batch)
    assert "户主a1" in page.text
    assert "户主a2" not in page.text  # ¥32.72 is below the line
    sheet = await client.get(f"{batch}/transfers.xlsx")
    assert sheet.status_code == 200
    import io

    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(sheet.content)).active.iter_rows()]
    assert any(65.43 in row or "65.43" in row or 6543 in row for row in rows), rows
    assert not any(isinstance(v, str) and v.startswith("=") for row in rows for v in row)
    nothing = await client.post(
        "/payouts/batch",
        data={"min_balance": "1000", "batch_method": "cash", "_csrf_token": token},
        follow_redirects=False,
    )
    assert nothing.headers["location"] == "/payouts"


async def test_fee_policy_form_saves_a_new_version_and_refuses_bad_rates(client, world: World, auth) -> None:
    await login_page_client(client, "secretary_a")
    token = await form_token(client, "/village/fees")
    fields = {
        "platform_douyin": "500",  # basis points: 100 = 1%
        "platform_kuaishou": "500",
        "platform_weixin": "200",
        "operator_bp": "300",
        "collective_bp": "1000",
        "auto_complete_days": "10",
        "_csrf_token": token,
    }
    bad = await client.post("/village/fees", data={**fields, "collective_bp": "12000"})
    assert bad.status_code == 400
    ok = await client.post("/village/fees", data=fields, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    policy = (
        await client.get(f"/api/v1/villages/{world.villages['a']}/fee-policy", headers=auth["secretary_a"])
    ).json()
    assert policy["collective_bp"] == 1000
    assert policy["platform_bp"]["douyin"] == 500


async def test_the_audit_trail_says_who_did_what_in_words(client, world: World, auth) -> None:
    order = await _completed_sale_with_buyer(client, auth, world)
    await client.post(
        "/api/v1/payouts",
        json={"household_id": world.households["a2"], "amount_fen": 1000, "method": "cash"},
        headers=auth["secretary_a"],
    )
    await login_page_client(client, "secretary_a")
    page = await client.get("/audit")
    assert page.status_code == 200
    assert f"/orders/{order['id']}" in page.text
    assert "户主a2" in page.text
    assert "credit:line" not in page.text
    assert "secretary_a" in page.text
    english = await client.get("/audit?lang=en")
    assert "Sale credited to households" in english.text
    assert "Shipped" in english.text
    assert "Paid 户主a2 by Cash" in english.text
    assert "¥10.00" in english.text  # the payout's amount, from its entries


async def test_the_transparency_board_is_public_and_names_households_only_when_allowed(
    client, world: World, auth
) -> None:
    await _completed_sale_with_buyer(client, auth, world)
    board = await client.get(f"/v/{world.villages['a']}/transparency")
    assert board.status_code == 200
    assert "¥11.97" in board.text  # the collective's 1197 fen
    assert "户主a1" not in board.text
    assert BUYER_PHONE not in board.text


async def test_the_desk_shows_today_and_leads_to_every_task(client, world: World, auth) -> None:
    await _completed_sale_with_buyer(client, auth, world)
    await login_page_client(client, "secretary_a")
    desk = await client.get("/village")
    assert desk.status_code == 200
    for link in ("/payouts", "/village/fees", "/ledger", "/audit", f"/v/{world.villages['a']}/transparency"):
        assert f'href="{link}"' in desk.text
    assert "¥119.70" in desk.text  # today's takings
    assert "¥98.15" in desk.text  # owed to households
    assert len(desk.content) < 60_000


async def test_a_partial_refund_from_the_order_page(client, world: World, auth) -> None:
    order = await _completed_sale_with_buyer(client, auth, world)
    await login_page_client(client, "secretary_a")
    path = f"/orders/{order['id']}"
    token = await form_token(client, path)
    product_id = order["items"][0]["product_id"]
    too_many = await client.post(
        f"{path}/refund", data={f"units_{product_id}": "9", "_csrf_token": token}, follow_redirects=True
    )
    assert "3" in too_many.text
    done = await client.post(
        f"{path}/refund",
        data={f"units_{product_id}": "1", "note": "一袋破损", "_csrf_token": token},
        follow_redirects=True,
    )
    assert "一袋破损" in done.text
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=auth["secretary_a"])).json()["items"][0][
        "refunded_quantity"
    ] == 1
