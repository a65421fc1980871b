"""Browser: the secretary registers a household on a phone; the household logs in on a 375 px phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import PageWeight, check_phone_page
from tests.conftest import PASSWORD, PHONE, LiveServer

pytestmark = pytest.mark.browser


def test_secretary_adds_a_household_who_then_logs_in_on_a_phone(live_server: LiveServer, browser, tmp_path: Path):
    shots = tmp_path / "shots"
    secretary = browser.new_context(**PHONE)
    page = secretary.new_page()
    page.goto(f"{live_server.url}/login")
    check_phone_page(page, shots, "01-staff-login")
    page.fill("#f-username", "secretary_a")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit].block")
    page.wait_for_url("**/village")
    check_phone_page(page, shots, "02-village-desk")

    page.goto(f"{live_server.url}/households/new")
    page.fill("#f-code", "CJD-021")
    page.fill("#f-name", "马秀兰")
    page.fill("#f-phone", "13904210021")
    page.fill("#f-members", "马小虎\n马小花")
    page.fill("#f-pin", "482915")
    check_phone_page(page, shots, "03-register-household")
    page.click("button[type=submit].block")
    page.wait_for_url("**/households/*")
    assert "马秀兰" in page.inner_text("h1")
    assert "已登记" in page.inner_text(".flash")
    page.click("a.button:has-text('打印登录卡')")
    assert page.locator("svg.qr").count() == 1
    check_phone_page(page, shots, "04-login-card")
    secretary.close()

    villager = browser.new_context(**PHONE)
    page = villager.new_page()
    weight = PageWeight(page)
    page.goto(f"{live_server.url}/household/login?code=CJD-021")
    assert page.input_value("#f-code") == "CJD-021"
    check_phone_page(page, shots, "05-household-login", weight)
    page.fill("#f-pin", "482915")
    weight.reset()
    page.click("button[type=submit].block")
    page.wait_for_url("**/household")
    assert "马秀兰" in page.inner_text(".household-hero")
    assert "马小花" in page.inner_text(".people")
    assert "还没有销售记录" in page.inner_text("main")
    check_phone_page(page, shots, "06-household-home", weight)
    font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_size >= 20, "villager pages use large type"
    villager.close()


def test_pages_switch_to_english_and_back(live_server: LiveServer, browser, tmp_path: Path) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/household/login")
    page.click("text=English")
    assert "Household login" in page.inner_text("h1")
    page.goto(f"{live_server.url}/login")
    assert "Staff login" in page.inner_text("h1"), "the choice is remembered"
    page.click("text=中文")
    assert "工作人员登录" in page.inner_text("h1")
    check_phone_page(page, tmp_path / "shots", "lang-switch")
    context.close()
