"""Installed like a deployment: data under the working directory, templates found inside the package."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from shop.settings import PROJECT_ROOT, TEMPLATES_DIR, Settings


def test_var_dir_defaults_to_var_under_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"SHOP_SECRET_KEY": "k"})
    assert settings.var_dir == tmp_path.resolve() / "var"
    assert settings.database_url.endswith(str(tmp_path.resolve() / "var" / "shop.db"))


def test_templates_are_looked_up_inside_the_package() -> None:
    assert TEMPLATES_DIR.parent == PROJECT_ROOT / "shop"
    assert (TEMPLATES_DIR / "base.html").is_file()
    assert Settings.from_env({"SHOP_SECRET_KEY": "k", "SHOP_VAR_DIR": "/nonexistent"}).templates_dir == TEMPLATES_DIR


def test_the_wheel_declares_every_kind_of_file_it_needs() -> None:
    """The full proof is ``.ci/wheel-check`` (builds, installs, serves); this catches a dropped line fast."""
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = data["tool"]["setuptools"]["package-data"]["shop"]
    for pattern in ("templates/**/*.html", "static/*", "locales/*/LC_MESSAGES/*.po", "migrations/versions/*.py"):
        assert pattern in shipped
