"""The Jinja2 environment: one base layout, translations, money/time/phone filters, inline QR codes."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from litestar.connection import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from shop import channels, i18n
from shop.errors import Label
from shop.money import fen_to_yuan_text, format_fen
from shop.privacy import mask_address, mask_phone
from shop.settings import Settings
from shop.timeutil import to_local

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


@cache
def static_version(name: str) -> str:
    """A content hash in the URL, so static files can be cached for a year and still change."""
    path = STATIC_DIR / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else "0"


def static_url(name: str) -> str:
    return f"/static/{name}?v={static_version(name)}"


def local_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return to_local(value).strftime(fmt) if value else ""


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.isoformat()


def lang_url(request: Request[Any, Any, Any], locale: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", "zh" if locale == "zh_CN" else "en"))
    return f"{request.url.path}?{urlencode(params)}"


def qr_svg(data: str, scale: int = 4, title: str = "") -> Markup:
    """A QR code as inline SVG (no image service, prints sharp)."""
    qr = segno.make(data, error="m", micro=False)
    svg = qr.svg_inline(scale=scale, border=2, title=title or None, svgclass="qr", lineclass=None)
    return Markup(svg)  # noqa: S704 - segno builds the markup from the encoded modules only


@cache
@pass_context
def _gettext(context: Context, message: str, **params: Any) -> str:
    """Jinja's new-style ``_``, except that a ``Label`` parameter (a status, a method) is translated too."""
    text = i18n.translate(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  # the catalog's own text, trusted as jinja2.ext.i18n trusts it
    return text % {key: i18n.translate(value) if isinstance(value, Label) else value for key, value in params.items()}


def platform_label(platform: str) -> str:
    return i18n.translate(channels.platform_label(platform))


def source_label(source: str) -> str:
    return i18n.translate(channels.source_label(source))


def build_environment(templates_dir: Path) -> Environment:
    """One environment per template folder and process: compiled templates are shared by every app."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added to the Environment by jinja2.ext.i18n
        gettext=lambda message: i18n.translate(message),
        ngettext=lambda s, p, n: i18n.translations(i18n.get_locale()).ngettext(s, p, n),
        newstyle=True,
    )
    env.globals["_"] = env.globals["gettext"] = _gettext
    env.filters.update(
        fen=format_fen,
        yuan=fen_to_yuan_text,
        local=local_datetime,
        localdate=local_date,
        mask_phone=mask_phone,
        mask_address=mask_address,
    )
    env.globals.update(
        static=static_url,
        lang_url=lang_url,
        current_locale=i18n.get_locale,
        is_chinese=i18n.is_chinese,
        qr_svg=qr_svg,
        platform_label=platform_label,
        source_label=source_label,
    )
    return env


def build_template_config(settings: Settings) -> TemplateConfig[Any]:
    env = build_environment(settings.templates_dir)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
