"""Addresses this application prints or sends: on paper (QR codes), in calendar subscriptions, in messages."""

from __future__ import annotations

from typing import Any

from litestar import Request


def public_base(request: Request[Any, Any, Any]) -> str:
    """The address printed on paper: SHOP_PUBLIC_URL when set, else the one this page was asked on."""
    configured: str = request.app.state.settings.public_url
    return configured or str(request.base_url).rstrip("/")
