"""Browser: a fresh deployment's first administrator — the login page says how, the CLI creates them, they log in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.helpers import check_phone_page
from tests.conftest import PHONE, serving

pytestmark = pytest.mark.browser
CREATE_ADMIN = ("--username", "county-op", "--password", "first-admin-pass", "--role", "admin")


def test_fresh_database_first_admin_from_the_hint_on_the_login_page(settings, browser, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    env = {
        "SHOP_DATABASE_URL": settings.database_url,
        "SHOP_VAR_DIR": str(settings.var_dir),
        "SHOP_SECRET_KEY": settings.secret_key,
        "PATH": "/usr/bin:/bin",
    }
    with serving(settings) as url:
        page = browser.new_context(**PHONE).new_page()
        page.goto(f"{url}/login")
        hint = page.locator("#first-admin")
        assert "还没有管理员账号" in hint.inner_text()
        command = page.inner_text("#first-admin code")
        assert command.startswith("shop users create")
        check_phone_page(page, shots, "01-login-with-first-admin-hint")

        # The operator follows the hint at the server's console.
        created = subprocess.run(
            [sys.executable, "-m", "shop", "users", "create", *CREATE_ADMIN],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        assert "created admin county-op" in created.stdout

        page.goto(f"{url}/login")
        assert page.locator("#first-admin").count() == 0
        page.fill("#f-username", "county-op")
        page.fill("#f-password", "first-admin-pass")
        page.click("button[type=submit].block")
        page.wait_for_url("**/admin/villages")
        check_phone_page(page, shots, "02-first-admin-signed-in")
