"""Auth: registration, JWT pairs, refresh rotation with blacklist, logout, me, rate limits."""
import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def register(client, **overrides):
    body = {"email": "new@example.com", "password": "a-Strong-passphrase-42", "name": "New Person"} | overrides
    return client.post("/api/auth/register", body, format="json")


def obtain(client, email, password=DEFAULT_PASSWORD):
    return client.post("/api/auth/token", {"email": email, "password": password}, format="json")


def test_register_creates_a_user_who_can_then_sign_in(api_client):
    response = register(api_client)
    assert response.status_code == 202
    assert response.json()["email"] == "new@example.com"
    assert "password" not in response.json()
    assert User.objects.get(email="new@example.com").check_password("a-Strong-passphrase-42")
    assert obtain(api_client, "new@example.com", "a-Strong-passphrase-42").status_code == 200


def test_register_answers_a_taken_address_exactly_like_a_new_one_and_changes_nothing(api_client):
    existing = UserFactory(email="taken@example.com", name="Original")
    new = register(api_client, email="fresh@example.com", name="Someone")
    taken = register(api_client, email="TAKEN@example.com", name="Someone")
    assert (taken.status_code, set(taken.json())) == (new.status_code, set(new.json())) == (202, {"email", "detail"})
    assert taken.json()["detail"] == new.json()["detail"]
    assert taken.json()["email"] == "taken@example.com"
    existing.refresh_from_db()
    assert (existing.name, existing.check_password(DEFAULT_PASSWORD)) == ("Original", True)
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


class CountingHasher(MD5PasswordHasher):
    """The tests' fast hasher, counting the passwords it hashes."""

    encoded = 0

    def encode(self, password, salt):
        CountingHasher.encoded += 1
        return super().encode(password, salt)


def test_register_does_the_same_hashing_work_for_a_taken_address(api_client, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    UserFactory(email="taken@example.com")
    work = {}
    for email in ("fresh@example.com", "taken@example.com"):
        CountingHasher.encoded = 0
        assert register(api_client, email=email).status_code == 202
        work[email] = CountingHasher.encoded
    assert work == {"fresh@example.com": 1, "taken@example.com": 1}


def test_a_weak_password_is_refused_whether_or_not_the_address_is_taken(api_client):
    UserFactory(email="taken@example.com")
    answers = [register(api_client, email=email, password="password123") for email in ("taken@example.com",
                                                                                        "fresh@example.com")]
    assert [answer.status_code for answer in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()


def test_register_lowercases_the_email_and_login_ignores_its_case(api_client):
    assert register(api_client, email="Mixed@Example.com").status_code == 202
    assert User.objects.get().email == "mixed@example.com"
    for typed in ("mixed@example.com", "MIXED@EXAMPLE.COM", " Mixed@example.Com "):
        assert obtain(api_client, typed, "a-Strong-passphrase-42").status_code == 200, typed


def test_an_address_saved_with_capitals_is_stored_lower_case_and_signs_in_in_any_case(api_client):
    UserFactory(email="Capital@Example.COM")
    assert User.objects.get().email == "capital@example.com"
    assert obtain(api_client, "CAPITAL@example.com").status_code == 200


def test_the_database_refuses_an_address_with_capitals():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(email="Sneaky@Example.com")


def test_the_admin_stores_a_new_address_lower_case_and_refuses_a_case_variant(client, staff_user):
    client.force_login(staff_user)
    form = {"email": "Staffed@Example.com", "name": "", "password1": "a-Strong-passphrase-42",
            "password2": "a-Strong-passphrase-42", "usable_password": "true"}
    assert client.post("/admin/accounts/user/add/", form).status_code == 302
    assert User.objects.filter(email="staffed@example.com").exists()
    again = client.post("/admin/accounts/user/add/", form | {"email": "STAFFED@example.com"})
    assert again.status_code == 200
    assert "email" in again.context["adminform"].form.errors


@pytest.mark.parametrize("password", ["short", "password123", "12345678901"])
def test_register_rejects_a_weak_password_with_a_field_error(api_client, password):
    response = register(api_client, password=password)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert body["fields"]["password"]


def test_register_requires_a_valid_email(api_client):
    response = register(api_client, email="not-an-email")
    assert response.status_code == 400
    assert "email" in response.json()["error"]["fields"]


def test_token_pair_for_valid_credentials_and_me(api_client):
    user = UserFactory()
    tokens = obtain(api_client, user.email).json()
    assert set(tokens) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api_client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_wrong_password_is_401_in_the_error_shape(api_client):
    user = UserFactory()
    response = obtain(api_client, user.email, "wrong-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"]


def test_me_without_a_token_is_401(api_client):
    response = api_client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_refresh_rotates_and_the_old_refresh_is_rejected(api_client):
    user = UserFactory()
    first = obtain(api_client, user.email).json()
    rotated = api_client.post("/api/auth/token/refresh", {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first["refresh"]
    reused = api_client.post("/api/auth/token/refresh", {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401


def test_logout_blacklists_the_refresh_token(api_client):
    user = UserFactory()
    tokens = obtain(api_client, user.email).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.post("/api/auth/logout", {"refresh": tokens["refresh"]}, format="json").status_code == 204
    api_client.credentials()
    response = api_client.post("/api/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401


def test_logout_with_a_garbage_token_is_401(auth_client):
    response = auth_client.post("/api/auth/logout", {"refresh": "garbage"}, format="json")
    assert response.status_code == 401


def test_login_is_rate_limited_per_ip_with_retry_after(api_client, settings):
    settings.RATELIMIT_AUTH = "3/m"
    user = UserFactory()
    statuses = [obtain(api_client, user.email, "wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    limited = obtain(api_client, user.email)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert limited.json()["error"]["code"] == "rate_limited"
    other_ip = api_client.post("/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD},
                               format="json", REMOTE_ADDR="10.9.8.7")
    assert other_ip.status_code == 200


def test_register_is_rate_limited_per_ip(api_client, settings):
    settings.RATELIMIT_AUTH = "2/m"
    assert register(api_client, email="a@example.com").status_code == 202
    assert register(api_client, email="b@example.com").status_code == 202
    assert register(api_client, email="c@example.com").status_code == 429


def test_access_token_lifetime_comes_from_jwt_expires_in(api_client, settings):
    user = UserFactory()
    token = AccessToken(obtain(api_client, user.email).json()["access"])
    lifetime = token["exp"] - token["iat"]
    assert lifetime == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()


def test_behind_a_proxy_a_forged_forwarded_for_does_not_dodge_the_limit(api_client, settings):
    settings.RATELIMIT_AUTH = "2/m"
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's REMOTE_ADDR
    user = UserFactory()
    statuses = [
        api_client.post("/api/auth/token", {"email": user.email, "password": "wrong"}, format="json",
                        HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}, 203.0.113.7").status_code
        for attempt in range(3)
    ]
    assert statuses == [401, 401, 429]


def test_a_garbage_access_token_is_401_token_not_valid(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer abc.def.ghi")
    response = api_client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "token_not_valid",
                                        "message": "Given token not valid for any token type"}
