"""Accounts: registration, logout (with access-token revocation) and the cleanup of expired tokens.

Registration does not tell whether an address already has an account (see README, "Accounts"):
a valid request gets the same answer after the same work either way (one password hash), and
only a new address gets an account.
"""
from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from reelmate.errors import Invalid, Unauthenticated

from .models import RevokedAccessToken, User, UserManager


def register_user(*, email: str, password: str, name: str = "") -> User | None:
    """Create an account for a new address; None, after the same work, when the address is taken.

    Raises ``Invalid`` for a weak password, which does not depend on whether the address exists.
    """
    email = UserManager.canonical_email(email)
    candidate = User(email=email, name=name)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as error:
        raise Invalid(fields={"password": error.messages})
    if User.objects.filter(email=email).exists():
        make_password(password)  # what creating the account would have cost: the answer's timing tells nothing
        return None
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError:  # a concurrent registration of the same address won the race
        return None


def logout(*, refresh: str, access: AccessToken | None = None) -> None:
    """End a session: revoke the access token the request used and blacklist its refresh token.

    The access token is then refused until it would have expired (``accounts.authentication``),
    even if the refresh token turns out invalid (``Unauthenticated``), and the refresh token can no
    longer mint access tokens.
    """
    if access is not None:
        revoke_access_token(access)
    try:
        RefreshToken(refresh).blacklist()
    except TokenError as error:
        raise Unauthenticated(str(error), code="token_not_valid")


def revoke_access_token(access: AccessToken) -> None:
    expires_at = datetime.fromtimestamp(access["exp"], tz=UTC)
    RevokedAccessToken.objects.get_or_create(jti=access[api_settings.JTI_CLAIM],
                                             defaults={"expires_at": expires_at})


def flush_expired_tokens() -> int:
    """Forget tokens that have expired anyway: simplejwt's outstanding and blacklisted refresh tokens
    (its ``flushexpiredtokens``) and revoked access tokens. Returns how many revoked ones went."""
    call_command("flushexpiredtokens", verbosity=0)
    deleted, _ = RevokedAccessToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
