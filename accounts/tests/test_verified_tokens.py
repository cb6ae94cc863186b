"""A bearer token verified once by this process is not decoded again (accounts.authentication
.VerifiedTokens), and is still refused as soon as it expires, is revoked or its user is deactivated."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import _verified_tokens
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    _verified_tokens.forget()
    yield
    _verified_tokens.forget()


@pytest.fixture
def decodes(monkeypatch):
    """How many times simplejwt decoded (and verified) a token: a pass-through wrapper."""
    calls = []
    decode = TokenBackend.decode

    def counting(self, token, verify=True):
        calls.append(token)
        return decode(self, token, verify)

    monkeypatch.setattr(TokenBackend, "decode", counting)
    return calls


def client_with(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_token_is_decoded_once_then_answered_from_the_verified_tokens(decodes):
    user = UserFactory()
    client = client_with(AccessToken.for_user(user))
    for _ in range(3):
        assert client.get("/api/auth/me").json()["email"] == user.email
    assert len(decodes) == 1


def test_a_cached_token_is_refused_once_it_expires():
    token = AccessToken.for_user(UserFactory())
    token.set_exp(lifetime=timedelta(seconds=2))
    client = client_with(token)
    assert client.get("/api/auth/me").status_code == 200
    time.sleep(max(0.0, token["exp"] - time.time()) + 0.1)
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    # As an expired token that was never cached is refused.
    assert client_with(token).get("/api/auth/me").json() == response.json()


def test_a_cached_token_of_a_deactivated_user_or_after_a_logout_is_refused():
    user = UserFactory()
    client = client_with(AccessToken.for_user(user))
    assert client.get("/api/auth/me").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/api/auth/me").status_code == 401
    User.objects.filter(pk=user.pk).update(is_active=True)
    assert client.get("/api/auth/me").status_code == 200
    assert client.post("/api/auth/logout", {"refresh": "x"}, format="json").status_code == 401  # still revokes
    response = client.get("/api/auth/me")
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_not_valid"


def test_a_change_of_the_jwt_settings_empties_the_cache(settings):
    token = str(AccessToken.for_user(UserFactory()))
    assert client_with(token).get("/api/auth/me").status_code == 200
    assert _verified_tokens.get(token.encode()) is not None
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": "another-" + "k" * 60}
    assert _verified_tokens.get(token.encode()) is None


def test_a_token_with_a_bad_signature_is_refused_after_its_good_twin_was_cached():
    token = str(AccessToken.for_user(UserFactory()))
    assert client_with(token).get("/api/auth/me").status_code == 200
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client_with(forged).get("/api/auth/me").status_code == 401


def test_the_cache_keeps_a_bounded_number_of_tokens():
    from accounts.authentication import VerifiedTokens

    tokens = VerifiedTokens(max_entries=2)
    made = [AccessToken.for_user(UserFactory()) for _ in range(3)]
    for token in made:
        tokens.add(str(token).encode(), token)
    assert tokens.get(str(made[0]).encode()) is None
    copy = tokens.get(str(made[2]).encode())
    copy["changed"] = True  # a view changing its token changes no other request's
    assert "changed" not in tokens.get(str(made[2]).encode())
