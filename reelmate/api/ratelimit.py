"""Per-IP rate limits (django-ratelimit counts in the cache) that answer 429 with Retry-After, and
the client address they count by."""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache, wraps

from django.conf import settings
from django_ratelimit.core import _split_rate, is_ratelimited

from reelmate.errors import RateLimited

# What a request without a usable address counts as (e.g. REMOTE_ADDR empty on a unix socket).
UNKNOWN_CLIENT = "0.0.0.0"
# "1.2.3.4:5678" and "[2001:db8::1]:443": proxies that add the client's port.
_WITH_PORT = re.compile(r"^\[(?P<v6>[^\]]+)\](?::\d+)?$|^(?P<v4>\d{1,3}(?:\.\d{1,3}){3}):\d+$")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the X-Forwarded-For entry it vouches for.

    X-Forwarded-For is read only when REMOTE_ADDR is in ``settings.TRUSTED_PROXIES``. Each proxy
    appends the address it saw, so the entries are walked from the right past trusted proxies;
    the first address that is not one is the client (entries further left come from the client
    and can be forged). An entry that is not an IP address ends the walk, and the last trusted
    hop is used instead: a forged value never becomes the client address (nor an error).
    """
    remote = parse_ip(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return UNKNOWN_CLIENT
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    client = remote
    if not _is_trusted(client, networks):
        return str(client)
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = parse_ip(entry)
        if hop is None:
            break
        client = hop
        if not _is_trusted(hop, networks):
            break
    return str(client)


def parse_ip(value: str) -> Address | None:
    """``value`` as an IP address (a port or brackets allowed, IPv4-mapped IPv6 unwrapped), or None."""
    value = value.strip()
    with_port = _WITH_PORT.match(value)
    if with_port:
        value = with_port.group("v6") or with_port.group("v4")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in trusted)


def _is_trusted(address: Address, networks) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def limit_per_ip(group: str, rate_setting: str):
    """Decorate a DRF view method; the rate is read from settings at call time (tests change it)."""

    def decorator(method):
        @wraps(method)
        def wrapped(self, request, *args, **kwargs):
            rate = getattr(settings, rate_setting)
            if is_ratelimited(request, group=group, key="ip", rate=rate, increment=True):
                _count, period = _split_rate(rate)
                raise RateLimited(retry_after=int(period))
            return method(self, request, *args, **kwargs)

        wrapped.rate_limit_setting = rate_setting  # the schema documents its 429 (reelmate.api.schema)
        return wrapped

    return decorator
