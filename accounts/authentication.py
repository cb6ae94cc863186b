"""Bearer-token authentication: simplejwt's, minus the access tokens a logout revoked."""
from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

from . import selectors


class RevocableJWTAuthentication(JWTAuthentication):
    """A valid, unexpired access token is refused (401 ``token_not_valid``) once a logout revoked it.

    The database is the source of truth: one primary-key lookup per authenticated request, no
    cache whose loss (or a stale copy in another process) could let a revoked token back in.
    """

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if selectors.is_access_token_revoked(token[api_settings.JTI_CLAIM]):
            raise InvalidToken("Token has been revoked (logged out).")
        return token


class RevocableJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the class above: the same bearer JWT as simplejwt's."""

    target_class = RevocableJWTAuthentication
