"""Browser: the secretary sets their phone, opens the SMS page and queues a test on a 375 px phone; a
villager switches SMS off on their home page, and the secretary's page then lists the household."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from shop.db import create_alchemy_config, read_session
from shop.sms.models import SmsMessage
from tests.browser.helpers import PageWeight, check_phone_page
from tests.conftest import PASSWORD, PHONE, LiveServer

pytestmark = pytest.mark.browser


def _messages(live_server: LiveServer) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        alchemy = create_alchemy_config(live_server.settings)
        try:
            async with read_session(alchemy) as session:
                rows = await session.execute(select(SmsMessage.kind, SmsMessage.status))
                return [(k, s) for k, s in rows]
        finally:
            await alchemy.get_engine().dispose()

    # Playwright's sync API keeps an event loop running in this thread: read from another one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, read()).result()


def test_secretary_sends_a_test_and_a_villager_switches_sms_off(live_server: LiveServer, browser, tmp_path: Path):
    shots = tmp_path / "shots"
    secretary = browser.new_context(**PHONE)
    page = secretary.new_page()
    weight = PageWeight(page)
    page.goto(f"{live_server.url}/login")
    page.fill("#f-username", "secretary_a")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit].block")
    page.wait_for_url("**/village")
    page.click("a[href='/sms']")
    page.wait_for_url("**/sms")
    assert "请先在“我的账号”页填写您的手机号" in page.inner_text("main")
    page.goto(f"{live_server.url}/account")
    page.fill("#f-phone", "13904218888")
    page.click("form[action='/account/sms'] button[type=submit]")
    page.wait_for_url("**/account")
    assert "已保存" in page.inner_text(".flash")
    weight.reset()
    page.goto(f"{live_server.url}/sms")
    assert "139****8888" in page.inner_text("main")
    check_phone_page(page, shots, "01-sms-page", weight)
    page.click("form[action='/sms/test'] button[type=submit]")
    page.wait_for_url("**/sms")
    assert "测试短信已排队" in page.inner_text(".flash")
    assert _messages(live_server) == [("test", "pending")], "queued for the scheduler, not sent by the page"
    secretary.close()

    villager = browser.new_context(**PHONE)
    page = villager.new_page()
    page.goto(f"{live_server.url}/household/login?code=CJD-001")
    page.fill("#f-pin", live_server.world.pins["a1"])
    page.click("button[type=submit].block")
    page.wait_for_url("**/household")
    page.click("form[action='/household/sms'] button[type=submit]")
    page.wait_for_url("**/household")
    assert "短信已关闭" in page.inner_text(".flash")
    assert "开启短信通知" in page.inner_text("form[action='/household/sms']")
    check_phone_page(page, shots, "02-household-sms-off")
    villager.close()

    secretary = browser.new_context(**PHONE)
    page = secretary.new_page()
    page.goto(f"{live_server.url}/login?next=/sms")
    page.fill("#f-username", "secretary_a")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit].block")
    page.wait_for_url("**/sms")
    assert "CJD-001" in page.inner_text("main")
    check_phone_page(page, shots, "03-sms-page-opted-out")
    secretary.close()
