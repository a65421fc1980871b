"""The provider layer on its own: settings parsing, the SDK's endpoint/protocol, error classes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from shop.settings import Settings, parse_sms_templates
from shop.sms.providers import SmsError, SmsRequest, load_provider
from shop.sms.providers.aliyun import sdk_config
from tests.sms.standin import StandIn

pytestmark = pytest.mark.anyio


def _settings(**changes: object) -> Settings:
    return Settings(database_url="sqlite://", secret_key="x", var_dir=Path("/nonexistent"), **changes)  # type: ignore[arg-type]


def test_templates_setting_is_a_json_object_of_codes_and_a_typo_stops_the_start() -> None:
    assert parse_sms_templates('{"payout": "SMS_1", "test": " "}') == {"payout": "SMS_1"}
    assert parse_sms_templates("") == {}
    with pytest.raises(ValueError, match="SHOP_SMS_TEMPLATES is not JSON"):
        parse_sms_templates("{payout: SMS_1}")
    with pytest.raises(ValueError, match="object of strings"):
        parse_sms_templates('["SMS_1"]')


def test_from_env_reads_the_sms_settings_and_defaults_to_log() -> None:
    plain = Settings.from_env({"SHOP_SECRET_KEY": "k", "SHOP_VAR_DIR": "/tmp"})
    assert plain.sms_provider == "log"
    assert plain.sms_daily_cap == 5
    filled = Settings.from_env(
        {
            "SHOP_SECRET_KEY": "k",
            "SHOP_VAR_DIR": "/tmp",
            "SHOP_SMS_PROVIDER": "Aliyun",
            "SHOP_SMS_ENDPOINT": "http://127.0.0.1:8123",
            "SHOP_SMS_TEMPLATES": '{"payout": "SMS_4711"}',
            "SHOP_SMS_DAILY_CAP": "3",
        }
    )
    assert (filled.sms_provider, filled.sms_templates, filled.sms_daily_cap) == ("aliyun", {"payout": "SMS_4711"}, 3)


def test_the_endpoint_url_becomes_the_sdks_protocol_and_host() -> None:
    local = sdk_config(_settings(sms_endpoint="http://127.0.0.1:8123"))
    assert (local.protocol, local.endpoint) == ("http", "127.0.0.1:8123")
    real = sdk_config(_settings(sms_endpoint="dysmsapi.aliyuncs.com"))
    assert (real.protocol, real.endpoint) == ("https", "dysmsapi.aliyuncs.com")
    with pytest.raises(ValueError, match="SHOP_SMS_ENDPOINT"):
        sdk_config(_settings(sms_endpoint="ftp://x"))


def test_an_unknown_provider_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="tencent"):
        load_provider(_settings(sms_provider="tencent"))


async def test_a_refused_connection_is_transient(standin: StandIn) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the call: nothing listens there
    provider = load_provider(
        _settings(
            sms_provider="aliyun",
            sms_endpoint=f"http://127.0.0.1:{port}",
            sms_access_key_id="id",
            sms_access_key_secret="secret",
            sms_timeout_seconds=2,
        )
    )
    with pytest.raises(SmsError) as caught:
        await provider.send(SmsRequest(phone="13904210001", template_code="SMS_1", params={"a": "b"}))
    assert caught.value.transient
    assert caught.value.code == "network"
    assert standin.received == []
