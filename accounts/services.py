"""Accounts: registration and logout.

Registration does not tell whether an address already has an account (see README, "Accounts"):
a valid request gets the same answer after the same work either way (one password hash), and
only a new address gets an account.
"""
from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from reelmate.errors import Invalid, Unauthenticated

from .models import User, UserManager


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


def logout(*, refresh: str) -> None:
    """Blacklist a refresh token so it can no longer mint access tokens."""
    try:
        RefreshToken(refresh).blacklist()
    except TokenError as error:
        raise Unauthenticated(str(error), code="token_not_valid")
