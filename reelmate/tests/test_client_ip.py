"""The client address that per-IP limits count by: X-Forwarded-For only from trusted proxies, and only IPs."""
import pytest
from django.test import RequestFactory

from accounts.tests.factories import UserFactory
from reelmate.api.ratelimit import UNKNOWN_CLIENT, client_ip

PROXIES = ["10.0.0.0/8", "2001:db8:1::/48"]


def address(remote_addr, forwarded=None, trusted=PROXIES, settings=None) -> str:
    settings.TRUSTED_PROXIES = trusted
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers))


@pytest.mark.parametrize(("remote_addr", "forwarded", "trusted", "client"), [
    # Without trusted proxies, X-Forwarded-For is the client's own say: ignored.
    ("203.0.113.9", "198.51.100.1", [], "203.0.113.9"),
    # From an address that is not a trusted proxy: ignored too.
    ("203.0.113.9", "198.51.100.1", PROXIES, "203.0.113.9"),
    # One trusted proxy: the entry it appended.
    ("10.0.0.2", "198.51.100.1", PROXIES, "198.51.100.1"),
    # Forged entries left of what the proxy appended are never believed.
    ("10.0.0.2", "1.1.1.1, 8.8.8.8, 198.51.100.1", PROXIES, "198.51.100.1"),
    # Two trusted hops: walk past both.
    ("10.0.0.2", "1.1.1.1, 198.51.100.1, 10.4.0.7", PROXIES, "198.51.100.1"),
    ("2001:db8:1::5", "2001:db8:ffff::9, 2001:db8:1::6", PROXIES, "2001:db8:ffff::9"),
    # Every hop trusted (a client inside the private network): the farthest one.
    ("10.0.0.2", "10.9.9.9, 10.4.0.7", PROXIES, "10.9.9.9"),
    # Ports and IPv4-mapped addresses as some proxies write them.
    ("10.0.0.2", "198.51.100.1:54321", PROXIES, "198.51.100.1"),
    ("10.0.0.2", "[2001:db8:ffff::9]:443", PROXIES, "2001:db8:ffff::9"),
    ("::ffff:10.0.0.2", "::ffff:198.51.100.1", PROXIES, "198.51.100.1"),
])
def test_the_client_is_the_rightmost_address_no_trusted_proxy_vouches_for(remote_addr, forwarded, trusted, client,
                                                                          settings):
    assert address(remote_addr, forwarded, trusted, settings) == client


@pytest.mark.parametrize("forwarded", ["garbage", "", " , ", "1.2.3.4.5", "<script>", "198.51.100.1, garbage",
                                       "999.1.1.1", "x" * 5000])
def test_a_value_that_is_not_an_ip_address_is_never_the_client(forwarded, settings):
    assert address("10.0.0.2", forwarded, PROXIES, settings) == "10.0.0.2"  # the last trusted hop


def test_a_broken_hop_ends_the_walk_at_the_last_trusted_proxy(settings):
    assert address("10.0.0.2", "198.51.100.1, garbage, 10.4.0.7", PROXIES, settings) == "10.4.0.7"


def test_a_request_without_a_usable_remote_address_counts_as_unknown(settings):
    assert address("", "198.51.100.1", PROXIES, settings) == UNKNOWN_CLIENT


@pytest.mark.django_db
@pytest.mark.parametrize("forwarded", ["not-an-ip", "1.2.3.4.5, ::zz", "[::1", "\u00e9\u00e9"])
def test_a_malformed_forwarded_for_behind_a_trusted_proxy_is_an_ordinary_answer_not_a_500(
        api_client, settings, forwarded):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    user = UserFactory()
    response = api_client.post("/api/auth/token", {"email": user.email, "password": "wrong"}, format="json",
                               HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 401


@pytest.mark.django_db
def test_forged_garbage_does_not_open_a_fresh_rate_limit_bucket(api_client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.RATELIMIT_AUTH = "2/m"
    user = UserFactory()
    statuses = [api_client.post("/api/auth/token", {"email": user.email, "password": "wrong"}, format="json",
                                HTTP_X_FORWARDED_FOR=f"garbage-{attempt}").status_code for attempt in range(3)]
    assert statuses == [401, 401, 429]


@pytest.mark.django_db
def test_without_trusted_proxies_forwarded_for_cannot_dodge_the_limit(api_client, settings):
    settings.TRUSTED_PROXIES = []
    settings.RATELIMIT_AUTH = "2/m"
    user = UserFactory()
    statuses = [api_client.post("/api/auth/token", {"email": user.email, "password": "wrong"}, format="json",
                                HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}").status_code for attempt in range(3)]
    assert statuses == [401, 401, 429]
