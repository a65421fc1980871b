"""The real client address behind trusted proxies, and what a client cannot make us believe."""

from __future__ import annotations

import json
import logging

import pytest

from shop.logs import JsonFormatter, safe_path
from shop.settings import Settings
from shop.web.client import parse_networks, real_client_address

PROXY = parse_networks("10.0.0.2, 192.168.1.0/24, fd00::/8")


def test_without_trusted_proxies_the_peer_is_the_client_whatever_its_header_says() -> None:
    assert real_client_address("203.0.113.7", ["1.2.3.4"], ()) == "203.0.113.7"


def test_an_untrusted_peers_forwarded_for_is_ignored() -> None:
    # The peer is not one of our proxies: its header is the client's own invention.
    assert real_client_address("203.0.113.7", ["1.2.3.4"], PROXY) == "203.0.113.7"


def test_a_trusted_proxy_names_the_client() -> None:
    assert real_client_address("10.0.0.2", ["198.51.100.9"], PROXY) == "198.51.100.9"


def test_the_rightmost_untrusted_hop_wins_over_what_the_client_wrote_to_its_left() -> None:
    # The client sent "X-Forwarded-For: 1.1.1.1" itself; our proxy appended the real peer.
    assert real_client_address("10.0.0.2", ["1.1.1.1, 198.51.100.9"], PROXY) == "198.51.100.9"


def test_several_trusted_hops_are_walked_through() -> None:
    headers = ["6.6.6.6, 198.51.100.9", "192.168.1.20"]  # two headers: joined in order
    assert real_client_address("10.0.0.2", headers, PROXY) == "198.51.100.9"


def test_garbage_in_the_chain_stops_at_the_last_believed_hop() -> None:
    assert real_client_address("10.0.0.2", ["not-an-ip, 192.168.1.20"], PROXY) == "192.168.1.20"
    assert real_client_address("10.0.0.2", [""], PROXY) == "10.0.0.2"


def test_ports_brackets_and_mapped_addresses_are_normalised() -> None:
    assert real_client_address("10.0.0.2", ["198.51.100.9:5555"], PROXY) == "198.51.100.9"
    assert real_client_address("10.0.0.2", ["[2001:db8::5]:443"], PROXY) == "2001:db8::5"
    assert real_client_address("::ffff:10.0.0.2", ["198.51.100.9"], PROXY) == "198.51.100.9"


def test_a_bad_setting_stops_the_start_up_with_its_name(tmp_path) -> None:
    with pytest.raises(ValueError, match="not-a-net"):
        Settings.from_env({"SHOP_TRUSTED_PROXIES": "10.0.0.1, not-a-net", "SHOP_VAR_DIR": str(tmp_path)})
    settings = Settings.from_env({"SHOP_TRUSTED_PROXIES": "10.0.0.1, 172.16.0.0/12", "SHOP_VAR_DIR": str(tmp_path)})
    assert list(settings.trusted_proxies) == ["10.0.0.1/32", "172.16.0.0/12"]
    assert Settings.from_env({"SHOP_VAR_DIR": str(tmp_path)}).trusted_proxies == ()


def test_secret_paths_are_masked() -> None:
    assert safe_path("/calendar/abcDEF123_-x.ics") == "/calendar/***"
    assert safe_path("/training/classes/7/check-in/482915") == "/training/classes/7/check-in/***"
    assert safe_path("/products/5") == "/products/5"


@pytest.mark.anyio
async def test_the_access_log_shows_the_real_client_and_never_a_calendar_secret(app, client, world, caplog, db) -> None:
    from sqlalchemy import select

    from shop.accounts.models import User

    secret = await db.scalar(select(User.calendar_secret).where(User.username == "secretary_a"))
    caplog.set_level(logging.INFO, logger="shop.access")
    response = await client.get(f"/calendar/{secret}.ics")
    assert response.status_code == 200
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "shop.access"]
    assert lines
    assert all(secret not in line for line in lines)
    entry = json.loads(lines[-1])
    assert entry["path"] == "/calendar/***"
    assert entry["client"] == "testclient"  # the test client's peer; no proxy is trusted here
