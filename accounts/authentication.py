"""Bearer-token authentication: simplejwt's, minus the access tokens a logout revoked."""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from . import selectors

REVOKED = "Token has been revoked (logged out)."


class RevocableJWTAuthentication(JWTAuthentication):
    """A valid, unexpired access token is refused (401 ``token_not_valid``) once a logout revoked it.

    The database is the source of truth: no cache whose loss (or a stale copy in another process)
    could let a revoked token back in. The user and the token's revocation are read in one query
    (one round trip per authenticated request, as simplejwt's user lookup alone would cost).
    """

    def get_validated_token(self, raw_token):
        """The token, checked on its own (signature, expiry, revocation): for callers outside a request."""
        token = super().get_validated_token(raw_token)
        if selectors.is_access_token_revoked(token[api_settings.JTI_CLAIM]):
            raise InvalidToken(REVOKED)
        return token

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        token = _verified_tokens.get(raw_token)  # signature checked before: expiry only
        if token is None:
            token = JWTAuthentication.get_validated_token(self, raw_token)  # signature and expiry
            _verified_tokens.add(raw_token, token)
        return self.get_user(token), token

    def get_user(self, validated_token):
        """simplejwt's checks, in its order, after the revocation check, with one query for both."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
            jti = validated_token[api_settings.JTI_CLAIM]
        except KeyError as error:
            raise InvalidToken(_("Token contained no recognizable user identification")) from error
        user = selectors.user_with_revocation(self.user_model, **{api_settings.USER_ID_FIELD: user_id}, jti=jti)
        if user is None:
            if selectors.is_access_token_revoked(jti):
                raise InvalidToken(REVOKED)
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if user.access_token_revoked:
            raise InvalidToken(REVOKED)
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and (
                validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password)):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


class RevocableJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the class above: the same bearer JWT as simplejwt's."""

    target_class = RevocableJWTAuthentication


class VerifiedTokens:
    """Tokens whose signature and claims this process has verified, by their encoded form: a client
    polling with the same token is not decoded and verified again (PyJWT's decode is ~0.1 ms, a
    tenth of a polled job's CPU). A hit checks the expiry again, now, and is a copy (a view may
    change its token); the user and the revocation are still read on every request. A change of
    simplejwt's settings (its signing key...) empties it."""

    def __init__(self, max_entries: int = 10_000):
        self.max_entries = max_entries
        self._tokens: OrderedDict[bytes, Token] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, raw_token: bytes) -> Token | None:
        token = self._tokens.get(raw_token)
        if token is None:
            return None
        now = aware_utcnow()
        try:
            token.check_exp(current_time=now)
        except TokenError:
            self.forget(raw_token)
            return None  # verified the usual way, which says why it is refused
        fresh = copy.copy(token)
        fresh.payload, fresh.current_time = dict(token.payload), now
        return fresh

    def add(self, raw_token: bytes, token: Token) -> None:
        with self._lock:
            self._tokens[raw_token] = copy.copy(token)
            self._tokens[raw_token].payload = dict(token.payload)
            while len(self._tokens) > self.max_entries:
                self._tokens.popitem(last=False)

    def forget(self, raw_token: bytes | None = None) -> None:
        with self._lock:
            if raw_token is None:
                self._tokens.clear()
            else:
                self._tokens.pop(raw_token, None)


_verified_tokens = VerifiedTokens()


@receiver(setting_changed)
def _jwt_settings_changed(setting=None, **kwargs) -> None:
    if setting in ("SIMPLE_JWT", "JWT_SECRET", "SECRET_KEY"):
        _verified_tokens.forget()
