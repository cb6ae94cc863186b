"""HTTP requests to addresses users choose (webhook endpoints, job callbacks), guarded against SSRF.

A user-supplied URL could point the server at itself or at its private network (the database, the
cloud's metadata service). So:

* `check_url` accepts only ``http``/``https`` URLs whose host resolves, and only to public
  addresses: never loopback, private, link-local, multicast, reserved or unspecified ones, nor a
  cloud metadata address (``169.254.169.254``, ``fd00:ec2::254``, ...). It runs when a URL is
  saved, and again before every request (DNS can change after saving).
* `post` then connects to an address that check returned, not to the name (a second lookup could
  answer another address: DNS rebinding); the name still goes in ``Host`` and, over TLS, in SNI and
  the certificate check. It never follows a redirect, has short timeouts and reads at most a few
  kilobytes of the reply.

For development and tests, WEBHOOKS_ALLOW_LOOPBACK allows loopback addresses and
WEBHOOKS_ALLOW_PRIVATE private ones (RFC 1918, fc00::/7, carrier-grade NAT); metadata addresses stay
refused whatever the settings.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from reelmate.errors import Invalid

MAX_URL_LENGTH = 2000
# Cloud providers' instance metadata services: refused even where private addresses are allowed.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(address) for address in (
    "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack...
    "169.254.170.2",    # AWS ECS task metadata
    "fd00:ec2::254",    # AWS over IPv6
    "100.100.100.200",  # Alibaba Cloud
))


class UnsafeUrl(Invalid):
    """The URL may not be called: its scheme, or an address it resolves to, is refused."""

    default_code = "unsafe_url"


@dataclass(frozen=True)
class Destination:
    """A URL that passed `check_url`, with the addresses it resolved to (all of them allowed)."""

    url: str
    scheme: str
    host: str
    port: int
    target: str  # path and query
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a request may not go to `address`, or None when it may (the settings apply)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return None if settings.WEBHOOKS_ALLOW_LOOPBACK else "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return None if settings.WEBHOOKS_ALLOW_PRIVATE else "a private address"
    return None


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path+query) of an http(s) URL; Invalid otherwise (no network)."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"Keep the URL under {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeUrl("This is not a valid URL.")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Credentials in the URL are not allowed; check the webhook's signature instead.")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80), target


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(f"The host {host!r} does not resolve.", code="unresolvable_host")
    # Unique, in the resolver's order (its preference).
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_url(url: str) -> Destination:
    """The URL's destination if every address its host resolves to is allowed; UnsafeUrl otherwise.

    Every address must pass: a name answering one public and one private address could otherwise
    be steered to the private one.
    """
    scheme, host, port, target = parse_url(url)
    addresses = resolve(host, port)
    for address in addresses:
        reason = refusal(ipaddress.ip_address(address.split("%", 1)[0]))
        if reason:
            shown = host if host == address else f"{host} ({address})"
            raise UnsafeUrl(f"{shown} is {reason}: webhooks may only call public addresses.")
    return Destination(url=url, scheme=scheme, host=host, port=port, target=target, addresses=tuple(addresses))


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes  # at most `max_body_bytes`
    latency_ms: int
    location: str = ""  # a redirect's target (never followed)


def post(destination: Destination, *, body: bytes, headers: dict[str, str],
         connect_timeout: float, read_timeout: float, max_body_bytes: int, ca_certs: str | None = None) -> Reply:
    """POST `body` to the first checked address of `destination`; no redirects, short timeouts.

    Over https the certificate must be valid for the URL's host name (the system's trust store, or
    `ca_certs`). Raises urllib3's errors (timeouts, refused connections, TLS failures) for the
    caller to record.
    """
    address = destination.addresses[0]
    timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
    options = {"timeout": timeout, "retries": False, "maxsize": 1, "block": False}
    if destination.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, destination.port, server_hostname=destination.host,
                                           assert_hostname=destination.host, cert_reqs="CERT_REQUIRED",
                                           ca_certs=ca_certs, **options)
    else:
        pool = urllib3.HTTPConnectionPool(address, destination.port, **options)
    started = time.perf_counter()
    try:
        response = pool.urlopen("POST", destination.target, body=body,
                                headers={"Host": destination.host_header, **headers},
                                redirect=False, retries=False, preload_content=False, assert_same_host=False)
        try:
            data = response.read(max_body_bytes) or b""
        finally:
            response.close()
        latency_ms = round((time.perf_counter() - started) * 1000)
        return Reply(status=response.status, body=data, latency_ms=latency_ms,
                     location=response.headers.get("Location", ""))
    finally:
        pool.close()
