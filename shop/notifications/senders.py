"""Where reminders go besides the in-app inbox. The inbox always gets them (exactly once); an external
sender (SMS gateway, webhook) is plugged in by configuration and gets them at least once, with the
reminder's dedupe key as the idempotency key the gateway should use to drop repeats.

``SHOP_REMINDER_SENDER`` names it as ``module:attribute`` (a class taking the settings, or a factory);
the default is :class:`LoggingSender`.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from shop.settings import Settings

log = logging.getLogger("shop.notifications.sender")


@dataclass(frozen=True)
class OutboundMessage:
    idempotency_key: str
    recipient_kind: str
    recipient_id: int
    title: str
    body: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    link: str = ""


class Sender(Protocol):
    async def send(self, message: OutboundMessage) -> None: ...


class LoggingSender:
    """Writes one log line per message: who (by id, never a phone number), what, and the key."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    async def send(self, message: OutboundMessage) -> None:
        log.info(
            "reminder",
            extra={
                "fields": {
                    "key": message.idempotency_key,
                    "to": f"{message.recipient_kind}:{message.recipient_id}",
                    "title": message.title,
                }
            },
        )


class RecordingSender:
    """Keeps what it was asked to send (tests and dry runs)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.sent: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> None:
        self.sent.append(message)


def load_sender(settings: Settings) -> Sender:
    target = settings.reminder_sender
    if not target:
        return LoggingSender(settings)
    module_name, _, attribute = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    sender: Sender = factory(settings)  # the setting names a callable that takes the settings
    return sender
