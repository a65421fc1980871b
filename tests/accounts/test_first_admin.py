"""A fresh deployment has no well-known password: ``shop run`` seeds nothing and says how to create the
first administrator; ``shop demo`` refuses a database that holds real villages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from shop.cli import main
from shop.db import create_alchemy_config, read_session
from shop.settings import Settings


@pytest.fixture
def shop_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "SHOP_DATABASE_URL": settings.database_url,
        "SHOP_VAR_DIR": str(settings.var_dir),
        "SHOP_SECRET_KEY": settings.secret_key,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _count(settings: Settings, statement: Any) -> int:
    async def work() -> int:
        config = create_alchemy_config(settings)
        try:
            async with read_session(config) as session:
                return int((await session.execute(statement)).scalar_one())
        finally:
            await config.get_engine().dispose()

    return asyncio.run(work())


class _NoServe:
    """Stands in for granian: ``shop run`` gets as far as serving, and no further."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def serve(self) -> None:
        return None


def test_run_seeds_nothing_and_says_how_to_create_the_first_admin(shop_env, settings, monkeypatch) -> None:
    from shop.accounts.models import User
    from shop.villages.models import Village

    monkeypatch.setattr("granian.Granian", _NoServe)
    result = CliRunner().invoke(main, ["run", "--no-scheduler"])
    assert result.exit_code == 0, result.output
    assert "shop users create --username NAME" in result.output
    assert "--role admin" in result.output
    assert _count(settings, select(func.count()).select_from(Village)) == 0
    assert _count(settings, select(func.count()).select_from(User)) == 0

    created = CliRunner().invoke(
        main, ["users", "create", "--username", "county-op", "--password", "a-long-password", "--role", "admin"]
    )
    assert created.exit_code == 0, created.output
    again = CliRunner().invoke(main, ["run", "--no-scheduler"])
    assert again.exit_code == 0, again.output
    assert "no administrator" not in again.output


def test_run_has_no_demo_switch_any_more(shop_env, monkeypatch) -> None:
    monkeypatch.setattr("granian.Granian", _NoServe)
    result = CliRunner().invoke(main, ["run", "--no-demo"])
    assert result.exit_code != 0  # the option is gone: nothing to turn seeding on or off


def test_demo_refuses_a_database_with_real_villages_unless_forced(shop_env, settings) -> None:
    from shop.villages.models import Village

    runner = CliRunner()
    created = runner.invoke(
        main, ["users", "create", "--username", "op1", "--password", "long-enough-1", "--role", "admin"]
    )
    assert created.exit_code == 0, created.output

    async def add_village() -> None:
        from shop.accounts.principal import Principal
        from shop.db import unit_of_work
        from shop.villages.services import VillageService

        config = create_alchemy_config(settings)
        try:
            async with unit_of_work(config) as session:
                await VillageService(session=session).create_village(
                    Principal.system(), name="真村", township="真乡", county="真县", code_prefix="ZC"
                )
        finally:
            await config.get_engine().dispose()

    asyncio.run(add_village())
    refused = runner.invoke(main, ["demo"])
    assert refused.exit_code != 0
    assert "1 village(s) that are not the demo" in refused.output
    skipped = runner.invoke(main, ["demo", "--if-empty"])
    assert skipped.exit_code == 0, skipped.output
    assert "not seeded" in skipped.output
    assert _count(settings, select(func.count()).select_from(Village)) == 1
    forced = runner.invoke(main, ["demo", "--force"])
    assert forced.exit_code == 0, forced.output
    assert _count(settings, select(func.count()).select_from(Village)) == 2


def test_demo_if_empty_seeds_an_empty_database_once(shop_env) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "demo village seeded" in first.output
    second = runner.invoke(main, ["demo", "--if-empty"])
    assert second.exit_code == 0
    assert "already present" in second.output


@pytest.mark.anyio
async def test_login_page_says_how_to_create_the_first_admin_until_one_exists(client, app) -> None:
    zh = await client.get("/login")
    assert zh.status_code == 200
    assert "还没有管理员账号" in zh.text
    assert "--role admin" in zh.text
    en = await client.get("/login?lang=en")
    assert "No administrator exists yet." in en.text

    from shop.accounts.principal import Principal
    from shop.accounts.services import UserService
    from shop.db import unit_of_work

    async with unit_of_work(app.state.alchemy_config) as session:
        await UserService(session=session).create_user(
            Principal.system(), app.state.hasher, username="county-op", password="a-long-password", role="admin"
        )
    after = await client.get("/login")
    assert "还没有管理员账号" not in after.text
    assert "--role admin" not in after.text


@pytest.mark.anyio
async def test_login_page_with_the_world_seeded_shows_no_hint(client, world) -> None:
    page = await client.get("/login")
    assert "--role admin" not in page.text
