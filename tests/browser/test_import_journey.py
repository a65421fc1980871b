"""Browser: on a phone the secretary uploads a 抖店 export with rows whose product is unknown, watches the
import finish, maps the product in the holding area, and the held orders are imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import api, check_phone_page, log_in, staff_token
from tests.conftest import PASSWORD, PHONE, LiveServer
from tests.orders.import_files import Row, export_csv

pytestmark = pytest.mark.browser


def _product(url: str, token: str, household_id: int, name: str, code: str, units: int) -> int:
    product = api(
        url,
        "POST",
        "/api/v1/products",
        {"name": name, "category": "craft", "unit": "件", "price_fen": 5800, "merchant_code": code},
        token=token,
    )
    api(
        url,
        "POST",
        f"/api/v1/products/{product['id']}/lots",
        {"quantity": units, "contributions": [{"household_id": household_id, "quantity": units}]},
        token=token,
    )
    return int(product["id"])


def test_secretary_imports_an_export_maps_a_held_product_and_reprocesses(
    live_server: LiveServer, browser, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    url = live_server.url
    token = staff_token(url, "secretary_a", PASSWORD)
    household = live_server.world.households["a1"]
    _product(url, token, household, "朝阳小米", "XM-50", 20)
    _product(url, token, household, "福字剪纸", "FU-30", 10)
    export = tmp_path / "1760000000_订单.csv"
    export.write_bytes(
        export_csv(
            [
                Row("6930000000000000101", "6930000000000001011", quantity=2),
                Row("6930000000000000102", "6930000000000001021", name="剪纸·福字 30cm", code="JZ-FU", price="58.00"),
                Row("6930000000000000102", "6930000000000001022", status="已完成"),
                Row("6930000000000000103", "6930000000000001031", name="剪纸·福字 30cm", code="JZ-FU", price="58.00"),
                Row("6930000000000000104", "6930000000000001041", status="已发货", tracking="SF1234567890"),
            ]
        )
    )

    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, url, "secretary_a", PASSWORD)
    page.goto(f"{url}/orders/import")
    page.select_option("#f-platform", "douyin")
    page.set_input_files("#f-file", str(export))
    check_phone_page(page, shots, "01-upload")
    page.click("button[type=submit].block")
    page.wait_for_url("**/orders/imports/*")
    # The page refreshes itself until the import is done (then it shows the result, without refreshing).
    page.wait_for_selector(".flash.success", timeout=20_000)
    check_phone_page(page, shots, "02-result")
    stats = page.inner_text(".stats")
    assert "2" in stats
    assert "JZ-FU" in page.inner_text("main")

    page.click("a.button[href='/orders/held']")
    page.wait_for_url("**/orders/held")
    assert "剪纸·福字 30cm" in page.inner_text("main")
    page.select_option("select[name=product_id]", label="福字剪纸 (FU-30)")
    check_phone_page(page, shots, "03-held")
    page.click("button[type=submit].block")
    page.wait_for_url("**/orders/held")
    flash = page.inner_text(".flash.success")
    assert "2" in flash
    assert "JZ-FU" not in page.inner_text("main")
    check_phone_page(page, shots, "04-mapped")

    orders = api(url, "GET", "/api/v1/orders?source=douyin", token=token)
    assert orders["total"] == 4
    statuses = {order["external_id"]: order["status"] for order in orders["items"]}
    assert statuses["6930000000000000104"] == "shipped"
    assert statuses["6930000000000000102"] == "completed"
