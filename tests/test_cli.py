"""The ``shop`` command as an operator uses it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from shop.cli import main


@pytest.fixture
def shop_env(settings, monkeypatch) -> dict[str, str]:
    env = {
        "SHOP_DATABASE_URL": settings.database_url,
        "SHOP_VAR_DIR": str(settings.var_dir),
        "SHOP_SECRET_KEY": settings.secret_key,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def test_demo_seeds_once_and_a_second_run_changes_nothing(shop_env) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    assert "seeded" in first.output
    second = runner.invoke(main, ["demo"])
    assert second.exit_code == 0
    assert "already present" in second.output


def test_users_create_by_village_name_and_refuses_bad_input(shop_env) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["demo"]).exit_code == 0
    ok = runner.invoke(
        main,
        [
            "users",
            "create",
            "--username",
            "new-shuji",
            "--password",
            "long-enough-1",
            "--role",
            "secretary",
            "--village",
            "从家店村",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "created secretary new-shuji" in ok.output
    short = runner.invoke(main, ["users", "create", "--username", "x1y", "--password", "short", "--role", "admin"])
    assert short.exit_code != 0
    assert "at least 8" in short.output
    nowhere = runner.invoke(
        main,
        [
            "users",
            "create",
            "--username",
            "abc",
            "--password",
            "long-enough-1",
            "--role",
            "trainee",
            "--village",
            "没有这个村",
        ],
    )
    assert nowhere.exit_code != 0
    assert "no single village" in nowhere.output


def test_scheduler_run_once_with_now_runs_the_jobs_and_exits(shop_env, settings) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shop", "scheduler", "--run-once", "--now", "2026-12-01T03:30:00+08:00"],
        env={**shop_env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ops.purge_expired_sessions" in result.stdout
    if settings.is_sqlite:
        assert list(settings.backup_dir.glob("shop-20261130-*.db")) or list(settings.backup_dir.glob("shop-*.db"))


def test_backup_command_writes_a_copy(shop_env, settings, tmp_path) -> None:
    if not settings.is_sqlite:
        refused = CliRunner().invoke(main, ["backup", str(tmp_path / "x.db")])
        assert refused.exit_code != 0
        assert "pg_dump" in refused.output
        return
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "copy.db").stat().st_size > 0


def test_officers_are_created_for_a_township_the_villages_name_and_the_demo_has_a_case_in_each_state(
    shop_env,
) -> None:
    import asyncio

    from sqlalchemy import select

    from shop.cases.models import Case
    from shop.db import create_alchemy_config, read_session
    from shop.settings import Settings

    runner = CliRunner()
    assert runner.invoke(main, ["demo"]).exit_code == 0
    base = ["users", "create", "--password", "long-enough-1", "--role", "township", "--county", "朝阳县"]
    typo = runner.invoke(main, [*base, "--username", "xiang2", "--township", "东大道"])
    assert typo.exit_code != 0
    assert "东大道" in typo.output
    ok = runner.invoke(main, [*base, "--username", "xiang2", "--township", "东大道乡"])
    assert ok.exit_code == 0, ok.output
    assert "created township xiang2" in ok.output

    async def states() -> set[tuple[str, str, bool, bool]]:
        config = create_alchemy_config(Settings.from_env())
        try:
            async with read_session(config) as session:
                rows = await session.execute(
                    select(Case.status, Case.level, Case.paused_since.is_not(None), Case.unrated)
                )
                return {tuple(r) for r in rows.all()}
        finally:
            await config.get_engine().dispose()

    seen = asyncio.run(states())
    assert ("open", "village", False, False) in seen  # just raised
    assert ("open", "village", True, False) in seen  # waiting for the villager
    assert ("open", "township", False, False) in seen  # a missed deadline
    assert ("open", "county", False, False) in seen  # rated badly twice
    assert ("answered", "village", False, False) in seen  # waiting for a rating
    assert ("answered", "village", False, True) in seen  # 未评价
    assert ("closed", "village", False, False) in seen  # satisfied


def test_run_starts_one_web_worker_per_core_unless_told(monkeypatch, tmp_path) -> None:
    from shop.settings import Settings

    env = {"SHOP_VAR_DIR": str(tmp_path), "SHOP_SECRET_KEY": "k"}
    monkeypatch.setattr("shop.settings.os.cpu_count", lambda: 6)
    assert Settings.from_env(env).workers == 6
    assert Settings.from_env({**env, "SHOP_WORKERS": ""}).workers == 6
    assert Settings.from_env({**env, "SHOP_WORKERS": "3"}).workers == 3
    for wrong in ("0", "two", "-1"):
        with pytest.raises(ValueError, match="SHOP_WORKERS"):
            Settings.from_env({**env, "SHOP_WORKERS": wrong})


def test_users_set_password_and_switch_off_at_the_console(shop_env) -> None:
    """An operator who forgot their password, or a colleague who left: the console mends both."""
    runner = CliRunner()
    for name in ("op1", "op2"):
        made = runner.invoke(
            main, ["users", "create", "--username", name, "--password", "long-enough-1", "--role", "admin"]
        )
        assert made.exit_code == 0, made.output
    reset = runner.invoke(main, ["users", "set-password", "--username", "op1", "--password", "console-pass-77"])
    assert reset.exit_code == 0, reset.output
    assert "new password set for op1" in reset.output
    short = runner.invoke(main, ["users", "set-password", "--username", "op1", "--password", "short"])
    assert short.exit_code != 0
    assert "at least 8" in short.output
    off = runner.invoke(main, ["users", "switch", "--username", "op2", "off"])
    assert off.exit_code == 0, off.output
    assert "op2 is switched off" in off.output
    unknown = runner.invoke(main, ["users", "switch", "--username", "nobody_here", "off"])
    assert unknown.exit_code != 0
    assert "nobody_here" in unknown.output
