from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from reelmate.errors import Invalid, Unauthenticated

from .models import Plan, User, UserPlan

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
