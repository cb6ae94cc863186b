"""Accounts: registration, logout (with access-token revocation) and the cleanup of expired tokens.

Registration does not tell whether an address already has an account (see README, "Accounts"):
a valid request gets the same answer after the same work either way (one password hash), and
only a new address gets an account.
"""
from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from reelmate.errors import Invalid, Unauthenticated

from .models import Plan, RevokedAccessToken, User, UserManager, UserPlan


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


# --- plans ------------------------------------------------------------------------------------
def default_plan() -> Plan:
    plan = Plan.objects.filter(slug=settings.DEFAULT_PLAN).first()
    if plan is None:
        raise ImproperlyConfigured(f"DEFAULT_PLAN is {settings.DEFAULT_PLAN!r}, but no plan has this slug: "
                                   "create it in the admin or set DEFAULT_PLAN to an existing plan's slug.")
    return plan


def assign_default_plan(user: User) -> UserPlan:
    """Put a new user on the default plan (settings.DEFAULT_PLAN)."""
    user_plan, _ = UserPlan.objects.get_or_create(user=user, defaults={"plan": default_plan()})
    return user_plan


def lock_user_plan(user: User) -> UserPlan:
    """The user's plan row, locked (SELECT ... FOR UPDATE) until the caller's transaction ends.

    Whatever counts a user's usage and then adds to it does so under this lock, so two requests
    of one user take turns and the second counts what the first added. A user without a plan
    row yet (made before plans existed) gets the default plan here.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_user_plan() holds its lock until the transaction ends: call it inside one.")
    locked = UserPlan.objects.select_for_update(of=("self",)).select_related("plan")
    user_plan = locked.filter(user=user).first()
    if user_plan is None:
        assign_default_plan(user)
        user_plan = locked.get(user=user)
    return user_plan


def user_plan_of(user: User) -> UserPlan:
    """The user's plan row (not locked); a user made before plans existed gets the default plan now."""
    user_plan = UserPlan.objects.select_related("plan").filter(user=user).first()
    return user_plan or assign_default_plan(user)
