"""Reads of accounts: revoked access tokens, and the limits a user's plan and overrides add up to."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from .models import LIMIT_NAMES, RevokedAccessToken, UserPlan


def is_access_token_revoked(jti: str) -> bool:
    """Whether the access token with this id was revoked by a logout (one primary-key lookup)."""
    return RevokedAccessToken.objects.filter(jti=jti).exists()


def user_with_revocation(user_model, *, jti: str, **lookup):
    """The user matching ``lookup`` with ``access_token_revoked`` (whether the access token ``jti``
    was revoked) read in the same query; None when there is no such user."""
    # A primary-key probe of the revocation table inside the user's query: one round trip for both.
    table = connection.ops.quote_name(RevokedAccessToken._meta.db_table)
    revoked = RawSQL(f"EXISTS (SELECT 1 FROM {table} WHERE {table}.{connection.ops.quote_name('jti')} = %s)",
                     (jti,), output_field=BooleanField())
    return user_model.objects.filter(**lookup).annotate(access_token_revoked=revoked).first()


@dataclass(frozen=True)
class Limits:
    """A user's effective limits; None is unlimited. Minutes are whole minutes of video."""

    concurrent_jobs: int | None
    jobs_per_day: int | None
    video_minutes_per_month: int | None
    script_characters: int | None
    retries_per_job: int | None


def effective_limits(user_plan: UserPlan) -> Limits:
    """Each limit is the user's override where staff set one, else the plan's."""
    return Limits(**{
        name: override if (override := getattr(user_plan, name)) is not None else getattr(user_plan.plan, name)
        for name in LIMIT_NAMES
    })
