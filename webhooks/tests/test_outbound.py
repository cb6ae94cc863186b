"""The SSRF guard (reelmate.outbound): only http(s) to public addresses, checked by resolving the
host, and the request goes to the address that was checked."""
from __future__ import annotations

import ipaddress
import shutil
import subprocess

import pytest
import urllib3

from reelmate import outbound
from testkit.webhook_receiver import WebhookReceiver

REFUSED = [
    ("127.0.0.1", "a loopback address"),
    ("::1", "a loopback address"),
    ("10.1.2.3", "a private address"),
    ("172.16.0.1", "a private address"),
    ("192.168.1.1", "a private address"),
    ("fd12:3456::1", "a private address"),
    ("100.64.0.1", "a private address"),  # carrier-grade NAT: not global
    ("169.254.169.254", "a cloud metadata address"),
    ("fd00:ec2::254", "a cloud metadata address"),
    ("169.254.10.10", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("224.0.0.1", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("::ffff:127.0.0.1", "a loopback address"),  # IPv4-mapped IPv6 is judged as the IPv4 address
    ("::ffff:169.254.169.254", "a cloud metadata address"),
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_addresses_that_are_not_public_are_refused(address, reason, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = settings.WEBHOOKS_ALLOW_PRIVATE = False
    assert outbound.refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert outbound.refusal(ipaddress.ip_address(address)) is None


def test_the_settings_allow_loopback_and_private_addresses_but_never_metadata(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert outbound.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert outbound.refusal(ipaddress.ip_address("10.0.0.1")) == "a private address"
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    assert outbound.refusal(ipaddress.ip_address("10.0.0.1")) is None
    assert outbound.refusal(ipaddress.ip_address("169.254.169.254")) == "a cloud metadata address"
    assert outbound.refusal(ipaddress.ip_address("fd00:ec2::254")) == "a cloud metadata address"


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://example.com/hook", "Only http and https URLs are allowed."),
    ("file:///etc/passwd", "Only http and https URLs are allowed."),
    ("gopher://127.0.0.1:6379/_FLUSHALL", "Only http and https URLs are allowed."),
    ("http:///path-only", "The URL has no host."),
    ("https://user:pass@example.com/hook", "Credentials in the URL are not allowed"),
    ("http://example.com:99999/hook", "This is not a valid URL."),
])
def test_only_http_and_https_urls_with_a_host_are_accepted(url, message):
    with pytest.raises(outbound.UnsafeUrl) as refused:
        outbound.check_url(url)
    assert refused.value.message.startswith(message)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook", "http://2130706433/hook",
    "http://0x7f.1/hook", "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
    "http://[::ffff:a9fe:a9fe]/", "http://10.0.0.5/hook",
])
def test_a_host_is_judged_by_what_it_resolves_to(url, settings):
    """Names, decimal and hex spellings and mapped forms all resolve to a refused address."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(outbound.UnsafeUrl) as refused:
        outbound.check_url(url)
    assert "webhooks may only call public addresses" in refused.value.message


def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(outbound.UnsafeUrl) as refused:
        outbound.check_url("https://no-such-host.invalid/hook")
    assert refused.value.code == "unresolvable_host"


def test_a_checked_destination_keeps_its_addresses_and_host(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    destination = outbound.check_url("http://localhost:8123/a/b?c=d")
    assert destination.host == "localhost" and destination.port == 8123 and destination.target == "/a/b?c=d"
    assert set(destination.addresses) <= {"127.0.0.1", "::1"}
    assert destination.host_header == "localhost:8123"


def test_the_request_goes_to_the_checked_address_with_the_name_in_host():
    """DNS is not asked again when connecting: a rebinding answer cannot swap the address."""
    with WebhookReceiver() as receiver:
        destination = outbound.Destination(url="http://hooks.example.com/x", scheme="http", host="hooks.example.com",
                                           port=receiver.port, target="/x?y=1", addresses=("127.0.0.1",))
        reply = outbound.post(destination, body=b"{}", headers={"Content-Type": "application/json"},
                              connect_timeout=2, read_timeout=2, max_body_bytes=100)
        (request,) = receiver.wait_for(1)
        port = receiver.port
    assert reply.status == 200 and reply.body == b"ok"
    assert request.path == "/x?y=1"
    assert request.headers["host"] == f"hooks.example.com:{port}"


def test_only_the_start_of_a_long_reply_is_read():
    from testkit.webhook_receiver import Reply

    with WebhookReceiver(default=Reply(200, body=b"x" * 100_000)) as receiver:
        destination = outbound.Destination(url=receiver.url(), scheme="http", host="127.0.0.1", port=receiver.port,
                                           target="/", addresses=("127.0.0.1",))
        reply = outbound.post(destination, body=b"{}", headers={}, connect_timeout=2, read_timeout=2,
                              max_body_bytes=1024)
    assert len(reply.body) == 1024


def test_an_ipv6_destination_is_reached_at_its_checked_address(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    try:
        receiver = WebhookReceiver(host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        destination = outbound.check_url(receiver.url("/v6"))
        assert destination.addresses == ("::1",) and destination.host_header == f"[::1]:{receiver.port}"
        reply = outbound.post(destination, body=b"{}", headers={}, connect_timeout=2, read_timeout=2,
                              max_body_bytes=100)
        (request,) = receiver.wait_for(1)
        assert reply.status == 200 and request.headers["host"] == f"[::1]:{receiver.port}"
    finally:
        receiver.stop()


def self_signed(folder, name: str) -> tuple[str, str]:
    """A certificate for `name` (its own CA), made with the openssl command."""
    cert, key = str(folder / f"{name}.pem"), str(folder / f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_over_https_the_certificate_is_checked_against_the_name_not_the_pinned_address(tmp_path):
    """The connection goes to the checked address, while TLS (SNI, certificate) speaks the name."""
    cert, key = self_signed(tmp_path, "hooks.example.com")
    with WebhookReceiver(tls=(cert, key)) as receiver:
        def post_as(host, ca_certs=cert):
            destination = outbound.Destination(url=f"https://{host}/in", scheme="https", host=host,
                                               port=receiver.port, target="/in", addresses=("127.0.0.1",))
            return outbound.post(destination, body=b"{}", headers={}, connect_timeout=2, read_timeout=2,
                                 max_body_bytes=100, ca_certs=ca_certs)

        assert post_as("hooks.example.com").status == 200
        with pytest.raises(urllib3.exceptions.SSLError):
            post_as("other.example.com")  # a certificate for another name
        with pytest.raises(urllib3.exceptions.SSLError):
            post_as("hooks.example.com", ca_certs=None)  # not trusted by the system store
        (request,) = receiver.wait_for(1)
        port = receiver.port
    assert request.headers["host"] == f"hooks.example.com:{port}"
