"""Browser: a sale completes; the villager checks what it earned on a 375 px phone (and in 长辈 mode);
the secretary pays every balance above ¥40 in one batch and the villager sees the payout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import PageWeight, api, check_phone_page, log_in, staff_token
from tests.conftest import PASSWORD, PHONE, LiveServer

pytestmark = pytest.mark.browser


def _sell_and_complete(base: str, token: str, world) -> None:
    api(
        base,
        "PUT",
        f"/api/v1/villages/{world.villages['a']}/fee-policy",
        {"platform_bp": {"douyin": 500}, "operator_bp": 300, "collective_bp": 1000},
        token=token,
    )
    product = api(
        base,
        "POST",
        "/api/v1/products",
        {"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990},
        token=token,
    )
    api(
        base,
        "POST",
        f"/api/v1/products/{product['id']}/lots",
        {
            "quantity": 3,
            "contributions": [
                {"household_id": world.households["a1"], "quantity": 2},
                {"household_id": world.households["a2"], "quantity": 1},
            ],
        },
        token=token,
    )
    order = api(
        base,
        "POST",
        "/api/v1/orders",
        {
            "items": [{"product_id": product["id"], "quantity": 3}],
            "source": "douyin",
            "buyer_name": "张三丰",
            "buyer_phone": "13812345678",
        },
        token=token,
    )
    for status in ("paid", "shipped", "completed"):
        api(base, "POST", f"/api/v1/orders/{order['id']}/status", {"status": status}, token=token)


def _villager_logs_in(page, base: str, code: str, pin: str) -> None:
    page.goto(f"{base}/household/login?code={code}")
    page.fill("#f-pin", pin)
    page.click("button[type=submit].block")
    page.wait_for_url("**/household")


def test_a_villager_sees_a_sale_and_then_the_payout(live_server: LiveServer, browser, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    base, world = live_server.url, live_server.world
    _sell_and_complete(base, staff_token(base, "secretary_a", PASSWORD), world)

    villager = browser.new_context(**PHONE)
    page = villager.new_page()
    weight = PageWeight(page)
    _villager_logs_in(page, base, "CJD-001", world.pins["a1"])
    hero = page.inner_text(".balance")
    assert "¥65.43" in hero  # DESIGN.md's worked example: household A's share
    assert "朝阳小米" in page.inner_text("main")
    assert "13812345678" not in page.content()
    check_phone_page(page, shots, "01-villager-earnings", weight)
    size = "parseFloat(getComputedStyle(document.querySelector({!r})).fontSize)"
    normal, figure = page.evaluate(size.format("main li")), page.evaluate(size.format(".balance .amount"))
    page.click("text=长辈模式")
    page.wait_for_url("**/household")
    assert page.evaluate(size.format("main li")) >= normal * 1.95  # 长辈模式 doubles the type
    assert page.evaluate(size.format(".balance .amount")) > figure
    check_phone_page(page, shots, "02-villager-large-type")

    secretary = browser.new_context(**PHONE)
    desk = secretary.new_page()
    log_in(desk, base, "secretary_a", PASSWORD)
    desk.click("a:has-text('给农户打款')")
    desk.wait_for_url("**/payouts")
    check_phone_page(desk, shots, "03-payouts")
    desk.fill("#f-min_balance", "40")
    desk.select_option("#f-batch_method", "wechat")
    desk.fill("#f-batch_reference", "11月结算")
    desk.click("button:has-text('全部打款')")
    desk.wait_for_url("**/payouts/batches/*")
    body = desk.inner_text("main")
    assert "户主a1" in body
    assert "户主a2" not in body  # ¥32.72 is under the line
    check_phone_page(desk, shots, "04-batch")
    secretary.close()

    page.reload()
    assert "¥0.00" in page.inner_text(".balance")
    assert "¥65.43" in page.inner_text(".payouts")
    check_phone_page(page, shots, "05-villager-after-payout")
    villager.close()
