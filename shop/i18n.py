"""Languages: Chinese first (zh_CN), English available. Babel catalogs, chosen per request.

The msgids are English; ``shop/locales/zh_CN/LC_MESSAGES/messages.po`` holds the Chinese. Catalogs are
compiled in memory at start-up, so no build step and no binary .mo files in the repo.
A request picks its language from ``?lang=``, then the ``lang`` cookie, then (for the API) the
Accept-Language header; pages default to Chinese, the API to English.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_PAGE_LOCALE = "zh_CN"
DEFAULT_API_LOCALE = "en"
LANG_COOKIE = "lang"

_current: ContextVar[str] = ContextVar("shop_locale", default=DEFAULT_PAGE_LOCALE)


def normalise_locale(value: str | None) -> str | None:
    if not value:
        return None
    tag = value.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None


def locale_from_accept_language(header: str | None) -> str | None:
    """The first supported language in Accept-Language, honouring q-values."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        quality = 1.0
        for param in pieces[1:]:
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, index, pieces[0]))
    for neg_q, _index, tag in sorted(ranked):
        locale = normalise_locale(tag)
        if locale and neg_q < 0:
            return locale
    return None


@cache
def translations(locale: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def get_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    _current.set(locale)


@contextmanager
def using_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


def gettext_(message: str, **params: Any) -> str:
    text = translations(get_locale()).gettext(message)
    return text % params if params else text


def translate(message: str) -> str:
    """Translate without formatting (for DomainError.render, which formats itself)."""
    return translations(get_locale()).gettext(message)


def is_chinese() -> bool:
    return get_locale() == "zh_CN"
