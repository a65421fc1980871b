"""A sender for the two-scheduler test: slow enough to be killed mid-run, and it records every key it sent."""

from __future__ import annotations

import asyncio
import os

from shop.notifications.senders import OutboundMessage
from shop.settings import Settings


class SlowRecordingSender:
    def __init__(self, settings: Settings) -> None:
        self.path = os.environ["SHOP_TEST_SENT_LOG"]

    async def send(self, message: OutboundMessage) -> None:
        await asyncio.sleep(0.05)
        with open(self.path, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {message.idempotency_key}\n")
