"""Alibaba Cloud SMS (dysmsapi 2017-05-25 ``SendSms``) through its official SDK.

``SHOP_SMS_ENDPOINT`` is a URL: its scheme becomes the SDK's ``protocol`` and its host[:port] the SDK's
``endpoint`` (the SDK takes them apart), so ``http://127.0.0.1:8123`` reaches a local stand-in and
``https://dysmsapi.aliyuncs.com`` the real service. The SDK's client is synchronous (``requests``), so
each call runs in a worker thread with the SDK's own retries off: the outbox does the retrying.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from shop.settings import Settings
from shop.sms.providers import SmsError, SmsReceipt, SmsRequest

# Codes (in the answer's ``Code``) that say "not now" rather than "never": flow control, the provider's
# own trouble. Everything else that is not ``OK`` is the message's fault and is not retried.
TRANSIENT_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "isv.OUT_OF_SERVICE",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",
    }
)


def sdk_config(settings: Settings) -> Config:
    parts = urlsplit(settings.sms_endpoint if "://" in settings.sms_endpoint else f"https://{settings.sms_endpoint}")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"SHOP_SMS_ENDPOINT must be an http(s) address, not {settings.sms_endpoint!r}")
    timeout_ms = settings.sms_timeout_seconds * 1000
    return Config(
        access_key_id=settings.sms_access_key_id,
        access_key_secret=settings.sms_access_key_secret,
        endpoint=parts.netloc,
        protocol=parts.scheme,
        read_timeout=timeout_ms,
        connect_timeout=timeout_ms,
    )


class AliyunProvider:
    name = "aliyun"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = Client(sdk_config(settings))

    def _call(self, request: SmsRequest) -> Any:
        sdk_request = SendSmsRequest(
            phone_numbers=request.phone,
            sign_name=request.sign_name or self.settings.sms_sign_name,
            template_code=request.template_code,
            template_param=json.dumps(request.params, ensure_ascii=False) if request.params else None,
            out_id=request.out_id or None,
        )
        runtime = RuntimeOptions(
            autoretry=False,
            read_timeout=self.settings.sms_timeout_seconds * 1000,
            connect_timeout=self.settings.sms_timeout_seconds * 1000,
        )
        return self.client.send_sms_with_options(sdk_request, runtime)

    async def send(self, request: SmsRequest) -> SmsReceipt:
        try:
            response = await asyncio.to_thread(self._call, request)
        except ThrottlingException as exc:
            raise SmsError(str(exc.code or "Throttling"), str(exc.message or ""), transient=True) from None
        except AlibabaCloudException as exc:
            # 4xx: our request is wrong (bad key, bad parameter) unless the code says throttled; 5xx: theirs.
            code = str(exc.code or f"HTTP{exc.status_code}")
            transient = (exc.status_code or 500) >= 500 or code in TRANSIENT_CODES
            request_id = str(exc.request_id or "")
            raise SmsError(code, str(exc.message or "")[:200], transient=transient, request_id=request_id) from None
        except Exception as exc:  # timeouts, refused connections, an unreadable answer: try again later
            raise SmsError("network", type(exc).__name__, transient=True) from None
        body = response.body
        code = str(getattr(body, "code", "") or "")
        request_id = str(getattr(body, "request_id", "") or "")
        if code == "OK":
            return SmsReceipt(request_id=request_id, biz_id=str(getattr(body, "biz_id", "") or ""))
        raise SmsError(
            code or "unknown",
            str(getattr(body, "message", "") or "")[:200],
            transient=code in TRANSIENT_CODES,
            request_id=request_id,
        )
