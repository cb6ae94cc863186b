"""Logout ends the session at once: its refresh token is blacklisted and its access token revoked.

Without the revocation, the access token (JWT_EXPIRES_IN, 7 days by default) would keep working
after a logout. Revocations live in the database, so they hold whatever the cache does, and they
and simplejwt's expired refresh-token rows are flushed on a schedule.
"""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import RevokedAccessToken
from accounts.tasks import flush_expired_tokens
from accounts.tests.factories import UserFactory
from reelmate.celery import app as celery_app

pytestmark = pytest.mark.django_db


def session(user) -> tuple[APIClient, RefreshToken]:
    """A signed-in client (its own token pair, as after POST /api/auth/token) and its refresh token."""
    refresh = RefreshToken.for_user(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    return client, refresh


def logout(client, refresh):
    return client.post("/api/auth/logout", {"refresh": str(refresh)}, format="json")


def test_the_access_token_used_to_log_out_is_refused_afterwards():
    client, refresh = session(UserFactory())
    assert client.get("/api/auth/me").status_code == 200

    assert logout(client, refresh).status_code == 204

    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    assert logout(client, refresh).status_code == 401  # nor can it log out again


def test_a_logout_with_a_bad_refresh_token_is_401_but_still_revokes_the_access_token():
    client, _ = session(UserFactory())
    response = client.post("/api/auth/logout", {"refresh": "garbage"}, format="json")
    assert response.status_code == 401
    assert client.get("/api/auth/me").status_code == 401


def test_logging_out_ends_that_session_only():
    user = UserFactory()
    phone, phone_refresh = session(user)
    laptop, _ = session(user)
    assert logout(phone, phone_refresh).status_code == 204
    assert laptop.get("/api/auth/me").status_code == 200


def test_a_revocation_is_kept_only_until_the_token_would_have_expired(settings):
    client, refresh = session(UserFactory())
    logout(client, refresh)
    revoked = RevokedAccessToken.objects.get()
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    assert abs(revoked.expires_at - (timezone.now() + lifetime)) < timedelta(minutes=1)


def test_revocation_does_not_depend_on_the_cache(settings):
    # A cache nobody listens to: anything that needed it for the check would fail or forget.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    client, refresh = session(UserFactory())
    assert logout(client, refresh).status_code == 204
    assert client.get("/api/auth/me").status_code == 401


def test_checking_a_token_costs_one_primary_key_lookup():
    client, _ = session(UserFactory())
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/auth/me").status_code == 200
    checks = [query["sql"] for query in captured if "accounts_revokedaccesstoken" in query["sql"]]
    assert len(checks) == 1
    assert '"accounts_revokedaccesstoken"."jti" =' in checks[0]


def test_expired_tokens_are_flushed_and_live_ones_kept():
    now = timezone.now()
    RevokedAccessToken.objects.create(jti="expired", expires_at=now - timedelta(seconds=1))
    RevokedAccessToken.objects.create(jti="live", expires_at=now + timedelta(days=1))
    user = UserFactory()
    for jti, expires_at in (("old-refresh", now - timedelta(days=1)), ("new-refresh", now + timedelta(days=1))):
        outstanding = OutstandingToken.objects.create(user=user, jti=jti, token="t", expires_at=expires_at)
        BlacklistedToken.objects.create(token=outstanding)

    assert flush_expired_tokens() == 1

    assert list(RevokedAccessToken.objects.values_list("jti", flat=True)) == ["live"]
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["new-refresh"]
    assert list(BlacklistedToken.objects.values_list("token__jti", flat=True)) == ["new-refresh"]


def test_the_flush_runs_hourly_on_beat():
    celery_app.loader.import_default_modules()  # what beat does at startup: autodiscovers tasks modules
    entry = celery_app.conf.beat_schedule["accounts-flush-expired-tokens"]
    assert entry["task"] == "accounts.tasks.flush_expired_tokens"
    assert entry["schedule"].minute == {23} and len(entry["schedule"].hour) == 24
