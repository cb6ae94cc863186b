"""Reads of accounts: revoked access tokens, and the limits a user's plan and overrides add up to."""
from __future__ import annotations

from dataclasses import dataclass

from .models import LIMIT_NAMES, RevokedAccessToken, UserPlan


def is_access_token_revoked(jti: str) -> bool:
    """Whether the access token with this id was revoked by a logout (one primary-key lookup)."""
    return RevokedAccessToken.objects.filter(jti=jti).exists()


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
