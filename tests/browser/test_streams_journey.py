"""Browser: plan a stream with a heritage guest and a three-product lineup; open the run-of-show and the
live board on a phone; a second phone's board follows the pin over server-sent events, with the
Content-Security-Policy on and no violation reported."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shop.timeutil import local_today
from tests.browser.helpers import api, check_phone_page, log_in, staff_token
from tests.conftest import PASSWORD, PHONE, LiveServer

pytestmark = pytest.mark.browser


def test_plan_a_heritage_stream_and_run_it_from_a_phone(live_server: LiveServer, browser, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    token = staff_token(live_server.url, "secretary_a", PASSWORD)
    for name, price, category in (
        ("剪纸·福字", 5800, "craft"),
        ("朝阳小米 5kg装", 7500, "grain"),
        ("红松籽 500g", 8800, "mountain"),
    ):
        product = api(
            live_server.url,
            "POST",
            "/api/v1/products",
            {"name": name, "category": category, "unit": "件" if category == "craft" else "袋", "price_fen": price},
            token=token,
        )
        api(
            live_server.url,
            "POST",
            f"/api/v1/products/{product['id']}/lots",
            {"quantity": 20, "contributions": [{"household_id": live_server.world.households["a1"], "quantity": 20}]},
            token=token,
        )

    context = browser.new_context(**PHONE)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    log_in(page, live_server.url, "secretary_a", PASSWORD)
    page.goto(f"{live_server.url}/guests")
    page.fill("#f-name", "孟凤兰")
    page.fill("#f-title", "市级非遗剪纸项目传承人")
    page.fill("#f-craft", "剪纸")
    page.click("button[type=submit].block")
    page.wait_for_url("**/guests")

    page.goto(f"{live_server.url}/streams/new")
    page.fill("#f-title", "剪纸传承人进直播间")
    page.fill("#f-date", (local_today() + timedelta(days=1)).isoformat())
    page.fill("#f-start_time", "19:30")
    page.fill("#f-end_time", "21:00")
    page.check("text=孟凤兰")
    for row, name in enumerate(("剪纸·福字", "朝阳小米 5kg装", "红松籽 500g"), start=1):
        page.select_option(
            f"select[name=product_{row}]",
            label=next(
                o for o in page.locator(f"select[name=product_{row}] option").all_inner_texts() if o.startswith(name)
            ),
        )
        page.fill(f"textarea[name=points_{row}]", f"{name}的讲解要点")
    page.fill("input[name=price_2]", "69.90")
    check_phone_page(page, shots, "01-plan")
    page.click("button[type=submit].block")
    page.wait_for_url("**/streams/*")
    assert "剪纸传承人进直播间" in page.inner_text("h1")
    check_phone_page(page, shots, "02-detail")
    stream_url = page.url

    page.goto(stream_url + "/script")
    assert "孟凤兰" in page.inner_text("main")
    assert "¥69.90" in page.inner_text("main")
    check_phone_page(page, shots, "03-run-of-show")

    page.goto(stream_url + "/live")
    page.click("text=● 开播")
    page.wait_for_selector(".pinned")
    assert "剪纸·福字" in page.inner_text(".pinned h2")
    check_phone_page(page, shots, "04-live-board")

    watcher_context = browser.new_context(**PHONE)
    watcher = watcher_context.new_page()
    watcher.on("console", lambda message: console.append(message.text))
    log_in(watcher, live_server.url, "secretary_a", PASSWORD)
    board = watcher.goto(stream_url + "/live")
    assert board is not None
    assert "script-src 'self'" in board.headers["content-security-policy"]
    watcher.wait_for_timeout(500)  # the event stream connects
    page.click("text=下一个商品 →")
    page.wait_for_load_state("networkidle")
    # The second phone was not reloaded: its board follows the pin over server-sent events.
    watcher.wait_for_function("document.querySelector('.pinned h2').textContent.includes('朝阳小米')", timeout=10_000)
    assert watcher.inner_text("[data-live='pinned.price']") == "¥69.90"
    check_phone_page(watcher, shots, "05-second-phone-follows")
    # The board's script is a file the policy allows: the browser refused nothing on either phone.
    violations = [text for text in console if "Content Security Policy" in text or "Refused to" in text]
    assert violations == []
    watcher_context.close()
    context.close()
