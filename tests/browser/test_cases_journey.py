"""Browser, JavaScript off, 375 px: a villager questions a sale from their home, the secretary answers and
resolves it, and the villager rates it with two taps; the township's home shows it counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import PageWeight, api, check_phone_page, log_in, staff_token
from tests.browser.test_earnings_journey import _sell_and_complete
from tests.conftest import PASSWORD, PHONE, LiveServer

pytestmark = pytest.mark.browser

NO_SCRIPT = {**PHONE, "java_script_enabled": False}


def test_a_villager_questions_a_sale_the_secretary_answers_and_the_villager_rates_it(
    live_server: LiveServer, browser, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    base, world = live_server.url, live_server.world
    admin = staff_token(base, "admin", PASSWORD)
    api(
        base,
        "POST",
        "/api/v1/users",
        {"username": "xiang", "password": PASSWORD, "role": "township", "township": "东大道乡", "county": "朝阳县"},
        token=admin,
    )
    _sell_and_complete(base, staff_token(base, "secretary_a", PASSWORD), world)

    villager = browser.new_context(**NO_SCRIPT)
    page = villager.new_page()
    weight = PageWeight(page)
    page.goto(f"{base}/household/login?code=CJD-001")
    page.fill("#f-pin", world.pins["a1"])
    page.click("button[type=submit].block")
    page.wait_for_url("**/household")
    page.click(".sales-list a.ask")
    page.wait_for_url("**/household/cases/new?entry=*")
    assert "¥65.43" in page.inner_text(".recorded")  # what the books say, before the villager types anything
    page.select_option("#f-topic", "price")
    page.fill("#f-claimed", "¥45")
    page.fill("#f-text", "直播间说的是45元一袋")
    weight.reset()
    page.click("button[type=submit].block")
    page.wait_for_url("**/household/cases/*")
    assert "已提交" in page.inner_text(".case-status")
    assert "在村里办理" in page.inner_text(".holder")
    check_phone_page(page, shots, "01-villager-case-submitted", weight)
    case_url = page.url

    secretary = browser.new_context(**NO_SCRIPT)
    desk = secretary.new_page()
    log_in(desk, base, "secretary_a", PASSWORD)
    desk.goto(f"{base}/cases")
    desk.click("ul.cases a.row")
    desk.wait_for_url("**/cases/*")
    assert "¥45" in desk.inner_text("main")
    desk.fill("#f-text", "我们查一下直播间的价格")
    desk.click("form[action$='/reply'] button")
    desk.wait_for_url("**/cases/*")
    desk.select_option("#f-outcome", "upheld")
    desk.fill("#f-resolution", "直播间价格是39.90元，截图在村委会")
    desk.click("form[action$='/resolve'] button")
    desk.wait_for_url("**/cases/*")
    assert "等村民评价" in desk.inner_text(".holder")
    check_phone_page(desk, shots, "02-secretary-case")
    secretary.close()

    page.goto(case_url)
    assert "已答复，请您评价" in page.inner_text(".case-status")
    assert "直播间价格是39.90元" in page.inner_text(".timeline")
    page.click("button[name=solved][value=yes]")
    page.wait_for_url(case_url)
    assert "请再回答另一个问题" in page.inner_text("main")  # the first tap was recorded on its own
    page.click("button[name=satisfaction][value=fair]")
    page.wait_for_url(case_url)
    assert "已办结" in page.inner_text(".case-status")
    check_phone_page(page, shots, "03-villager-case-closed")
    villager.close()

    officer = browser.new_context(**NO_SCRIPT)
    township = officer.new_page()
    log_in(township, base, "xiang", PASSWORD)
    township.wait_for_url("**/township")
    assert "从家店村" in township.inner_text("main")
    check_phone_page(township, shots, "04-township-home")
    officer.close()
