"""A WebSocket's bearer token, checked as the API checks it (its configured JWT authentication,
so a token revoked by logout is refused too)."""
from __future__ import annotations

from dataclasses import dataclass

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.state import token_backend

# Application close codes (4000-4999), documented in the README.
UNAUTHENTICATED = 4001  # no token in time, or it is invalid, revoked, or its user is inactive
TOKEN_EXPIRED = 4002  # the token's lifetime ended (at connect or while connected): get a new one


@dataclass(frozen=True)
class Identity:
    user_id: int
    expires_at: float | None  # the token's `exp` (epoch seconds)


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def authenticate(raw_token: str) -> Identity:
    """The user a token signs in, or Refused with the close code to use (reads the database)."""
    if not raw_token or len(raw_token) > 4096:
        raise Refused(UNAUTHENTICATED, "token_not_valid")
    authenticator = next((cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES
                          if hasattr(cls, "get_validated_token")), None)
    if authenticator is None:
        raise Refused(UNAUTHENTICATED, "token_not_valid")
    try:
        token = authenticator.get_validated_token(raw_token.encode())
        user = authenticator.get_user(token)
    except AuthenticationFailed:
        if _is_expired(raw_token):
            raise Refused(TOKEN_EXPIRED, "token_expired") from None
        raise Refused(UNAUTHENTICATED, "token_not_valid") from None
    if not user.is_active:
        raise Refused(UNAUTHENTICATED, "user_inactive")
    expires_at = token.get("exp")
    return Identity(user.pk, float(expires_at) if expires_at else None)


def _is_expired(raw_token: str) -> bool:
    """A genuine token (its signature checks) whose lifetime ended."""
    try:
        token_backend.decode(raw_token, verify=True)
    except TokenBackendExpiredToken:
        return True
    except TokenBackendError:
        return False
    return False
