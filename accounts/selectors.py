"""Reads of accounts data."""
from __future__ import annotations

from .models import RevokedAccessToken


def is_access_token_revoked(jti: str) -> bool:
    """Whether the access token with this id was revoked by a logout (one primary-key lookup)."""
    return RevokedAccessToken.objects.filter(jti=jti).exists()
