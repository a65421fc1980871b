"""The real client address: the one value throttling, logs and audit use for "who is asking".

Behind a reverse proxy every request comes from the proxy's address. ``SHOP_TRUSTED_PROXIES`` names the
proxies whose ``X-Forwarded-For`` is believed. Reading that header from right to left (each proxy
appends the address it was called from), the first hop that is not a trusted proxy is the client; what
lies left of it was written by the client and is not believed. A peer that is not a trusted proxy is
the client itself, whatever its header says.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from litestar.types import Scope

from shop.web.scope import scope_value, set_scope_value

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SCOPE_KEY = "_shop_client_address"


def parse_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """``"10.0.0.1, 172.16.0.0/12, ::1"`` → networks; a bad entry stops the start-up with its name."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    networks: list[Network] = []
    for part in parts:
        text = part.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ValueError(f"SHOP_TRUSTED_PROXIES: {text!r} is not an address or network") from exc
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(setting: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(setting)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.5:1234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def real_client_address(peer: str, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str:
    """The client's address from the peer's and the ``X-Forwarded-For`` values (in the order received)."""
    current = _address(peer)
    if current is None:
        return peer or "unknown"
    if not proxies or not _trusted(current, proxies):
        return str(current)
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # not an address: written by someone we do not believe; the last believed hop stands
        current = address
        if not _trusted(address, proxies):
            break
    return str(current)


def client_address(scope: Scope, proxies: Sequence[Network] | None = None) -> str:
    """The real client address of this request (worked out once per request)."""
    known = scope_value(scope, _SCOPE_KEY)
    if known is not None:
        return str(known)
    if proxies is None:
        proxies = _networks(scope["app"].state.settings.trusted_proxies)
    client = scope.get("client")
    peer = client[0] if client else ""
    forwarded = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-forwarded-for"] if proxies else []
    address = real_client_address(peer, forwarded, proxies)
    set_scope_value(scope, _SCOPE_KEY, address)
    return address
