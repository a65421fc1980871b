"""Pages: the secretary's SMS page, and switching text messages off and on."""

from __future__ import annotations

from shop.sms import models  # noqa: F401 - registers the outbox table

ROUTES: list[object] = []
