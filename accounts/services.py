from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from reelmate.errors import Invalid, Unauthenticated

from .models import User

EMAIL_TAKEN = "An account with this email already exists."


def register_user(*, email: str, password: str, name: str = "") -> User:
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Invalid(fields={"email": [EMAIL_TAKEN]})
    candidate = User(email=email, name=name)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as error:
        raise Invalid(fields={"password": error.messages})
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError:  # a concurrent registration won the race
        raise Invalid(fields={"email": [EMAIL_TAKEN]})


def logout(*, refresh: str) -> None:
    """Blacklist a refresh token so it can no longer mint access tokens."""
    try:
        RefreshToken(refresh).blacklist()
    except TokenError as error:
        raise Unauthenticated(str(error), code="token_not_valid")
