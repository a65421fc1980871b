"""The default provider: nothing leaves the machine; each message is one log line, phone masked."""

from __future__ import annotations

import logging
import uuid

from shop.privacy import mask_phone
from shop.settings import Settings
from shop.sms.providers import SmsReceipt, SmsRequest

log = logging.getLogger("shop.sms.log")


class LogProvider:
    name = "log"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    async def send(self, request: SmsRequest) -> SmsReceipt:
        receipt = SmsReceipt(request_id=f"log-{uuid.uuid4().hex[:16]}")
        log.info(
            "sms (not sent: SHOP_SMS_PROVIDER=log)",
            extra={
                "fields": {
                    "to": mask_phone(request.phone),
                    "template": request.template_code or "-",
                    "text": request.text,
                    "out_id": request.out_id,
                    "request_id": receipt.request_id,
                }
            },
        )
        return receipt
