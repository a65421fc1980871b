"""The SMS tests' stand-in provider and settings that point the Aliyun SDK at it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from shop.settings import Settings
from tests.sms.standin import StandIn, start_standin

TEMPLATES = {
    "stream_reminder": "SMS_1001",
    "class_reminder": "SMS_1002",
    "payout": "SMS_1003",
    "daily_sales": "SMS_1004",
    "case_new": "SMS_1005",
    "case_update": "SMS_1006",
    "case_deadline": "SMS_1007",
    "test": "SMS_1008",
}


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = start_standin()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def aliyun_settings(settings: Settings, standin: StandIn) -> Settings:
    return dataclasses.replace(
        settings,
        sms_provider="aliyun",
        sms_endpoint=standin.url,
        sms_access_key_id="test-key-id",
        sms_access_key_secret="test-key-secret",
        sms_sign_name="村播助农",
        sms_templates=dict(TEMPLATES),
        sms_timeout_seconds=5,
    )
