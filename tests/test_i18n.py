"""Languages: a complete Chinese catalog, per-request choice, the remembered switch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from shop import i18n

ROOT = Path(__file__).resolve().parent.parent


def test_every_message_in_code_and_templates_has_a_chinese_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "shop/locales/babel.cfg",
            "-k",
            "N_",
            "-k",
            "gettext_",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with (ROOT / "shop/locales/zh_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id and m.string and all(m.string)}
    missing = sorted(wanted - translated)
    assert not missing, f"{len(missing)} untranslated: {missing[:10]}"


def test_placeholders_match_between_english_and_chinese() -> None:
    import re

    with (ROOT / "shop/locales/zh_CN/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    pattern = re.compile(r"%\((\w+)\)[sd]")
    for message in catalog:
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        assert set(pattern.findall(message.id)) == set(pattern.findall(message.string)), message.id


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5", "en"),
        ("en;q=0.2, zh;q=0.8", "zh_CN"),
        ("de", None),
        ("", None),
    ],
)
def test_accept_language_picks_the_best_supported_language(header: str, expected: str | None) -> None:
    assert i18n.locale_from_accept_language(header) == expected


def test_using_locale_translates_and_restores() -> None:
    with i18n.using_locale("zh_CN"):
        assert i18n.gettext_("Households") == "农户"
        with i18n.using_locale("en"):
            assert i18n.gettext_("Households") == "Households"
        assert i18n.gettext_("Village %(name)s created.", name="从家店村") == "已创建 从家店村。"
