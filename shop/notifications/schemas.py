"""JSON shape of an inbox entry."""

from __future__ import annotations

from datetime import datetime

import msgspec

from shop.notifications.models import Notification
from shop.notifications.services import render


class NotificationOut(msgspec.Struct):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, note: Notification) -> NotificationOut:
        return cls(
            note.id,
            note.kind,
            render(note.title, note.params),
            render(note.body, note.params) if note.body else "",
            note.link,
            note.created_at,
            note.read_at,
        )
