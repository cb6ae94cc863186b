"""Per-user request rates on write endpoints (DRF's scoped throttling, counted in the default cache).

A view names its scope with ``throttle_scope`` (``OwnerScopedViewSet`` defaults to ``"writes"``;
generation endpoints say ``"generation"``, the script writer ``"scripts"``); the settings'
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` gives each scope's rate. Requests are counted per user
id (per IP for an anonymous caller). Reads are never throttled. A refusal is DRF's ``Throttled``,
which ``reelmate.api.errors`` answers as 429 ``throttled`` with ``Retry-After``.
"""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class UserWriteThrottle(ScopedRateThrottle):
    @staticmethod
    def applies(view, method: str) -> bool:
        """Whether a request of ``method`` to ``view`` is counted: a write, to a view with a scope."""
        return method not in SAFE_METHODS and bool(getattr(view, "throttle_scope", None))

    def allow_request(self, request, view) -> bool:
        if not self.applies(view, request.method):
            return True
        return super().allow_request(request, view)

    @property
    def THROTTLE_RATES(self):
        # Read on every request, not bound at import as DRF's own are: settings (and tests) change them.
        return api_settings.DEFAULT_THROTTLE_RATES


def is_throttled(view, method: str) -> bool:
    """Whether a request of ``method`` to ``view`` counts against one of its throttles."""
    return any(getattr(throttle, "applies", lambda *_: True)(view, method) for throttle in view.get_throttles())
