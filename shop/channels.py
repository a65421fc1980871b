"""Where sales come from, as people read it: the platforms (streams, fee policies, imports) and the ways an
order reaches the books (by hand, from the comments, through the API, an export). The one table of both;
every page and template names a platform or an order's source from here, never by its stored code.

Imports nothing of the domains: it is words only.
"""

from __future__ import annotations

from shop.errors import N_

PLATFORM_LABELS: dict[str, str] = {
    "douyin": N_("Douyin (抖音)"),
    "kuaishou": N_("Kuaishou (快手)"),
    "weixin": N_("WeChat Channels (视频号)"),
    "taobao": N_("Taobao Live (淘宝直播)"),
    "other": N_("Other platform"),
    "direct": N_("Recorded by the village (no platform)"),
}

SOURCE_LABELS: dict[str, str] = {
    "manual": N_("Entered by hand"),
    "comment": N_("From the comments"),
    "api": N_("Through the API"),
    **{platform: PLATFORM_LABELS[platform] for platform in ("douyin", "kuaishou", "weixin")},
}


def platform_label(platform: str) -> str:
    """The msgid naming ``platform`` (translate it); an unknown code is shown as it is."""
    return PLATFORM_LABELS.get(platform, platform)


def source_label(source: str) -> str:
    """The msgid naming where an order came from (translate it)."""
    return SOURCE_LABELS.get(source, source)
