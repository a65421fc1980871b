"""Browser: a trainee left the programme and her phone with it; the secretary switches her account off on a
phone, and the trainee's session on her old phone ends at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import check_phone_page
from tests.conftest import PASSWORD, PHONE, LiveServer

pytestmark = pytest.mark.browser


def _login(page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit].block")


def test_a_secretary_switches_a_trainee_off_and_her_old_phone_is_signed_out(
    live_server: LiveServer, browser, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    url = live_server.url
    old_phone = browser.new_context(**PHONE)
    trainee = old_phone.new_page()
    _login(trainee, url, "trainee_a")
    trainee.wait_for_url("**/training")

    secretary = browser.new_context(**PHONE).new_page()
    _login(secretary, url, "secretary_a")
    secretary.wait_for_url("**/village")
    secretary.click("a[href='/staff']")
    check_phone_page(secretary, shots, "01-accounts")
    secretary.click(f"a[href='/staff/{live_server.world.users['trainee_a']}']")
    check_phone_page(secretary, shots, "02-trainee-account")
    secretary.click("button:has-text('停用账号')")
    assert "已停用" in secretary.inner_text(".flash")
    assert "已停用" in secretary.inner_text(".card .tag")
    check_phone_page(secretary, shots, "03-switched-off")

    trainee.goto(f"{url}/training")
    assert "/login" in trainee.url, "the old phone's session ended"
    _login(trainee, url, "trainee_a")
    assert "/login" in trainee.url
    assert trainee.locator(".field-error, .flash.error").count() >= 1
    old_phone.close()
