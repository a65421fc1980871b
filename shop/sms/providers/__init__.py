"""The SMS provider interface: one module per provider, named in ``PROVIDERS``.

A provider sends one templated message and answers with the provider's ids, or raises
:class:`SmsError` saying whether trying again later may help (throttled, unavailable) or not (a bad
number, a template that is not approved). Adding a provider is one module with a class that takes the
settings and has ``name`` and ``send``, plus its line in ``PROVIDERS``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Protocol

from shop.settings import Settings

PROVIDERS = {
    "log": "shop.sms.providers.log:LogProvider",
    "aliyun": "shop.sms.providers.aliyun:AliyunProvider",
}


@dataclass(frozen=True)
class SmsRequest:
    phone: str
    template_code: str
    # The template's variables: strings only (what every provider's API takes), never buyer data.
    params: dict[str, str] = field(default_factory=dict)
    sign_name: str = ""
    # Our own id for the message, which providers echo back in delivery reports (Aliyun's OutId).
    out_id: str = ""
    # The message as the villager would read it, for the log provider and the secretary's page.
    text: str = ""


@dataclass(frozen=True)
class SmsReceipt:
    request_id: str = ""
    biz_id: str = ""


class SmsError(Exception):
    """A message the provider did not take. ``transient``: worth trying again later."""

    def __init__(self, code: str, message: str = "", *, transient: bool, request_id: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.transient = transient
        self.request_id = request_id


class SmsProvider(Protocol):
    name: str

    async def send(self, request: SmsRequest) -> SmsReceipt: ...


def load_provider(settings: Settings) -> SmsProvider:
    target = PROVIDERS.get(settings.sms_provider)
    if target is None:
        known = ", ".join(sorted(PROVIDERS))
        raise ValueError(f"SHOP_SMS_PROVIDER={settings.sms_provider!r} is not one of: {known}")
    module_name, _, attribute = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    provider: SmsProvider = factory(settings)
    return provider
