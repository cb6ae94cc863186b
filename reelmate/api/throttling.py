"""Per-user request rates on write endpoints (DRF's scoped throttling, counted in the default cache).

A view names its scope with ``throttle_scope`` (``OwnerScopedViewSet`` defaults to ``"writes"``;
generation endpoints say ``"generation"``); ``settings.THROTTLE_RATES`` gives each scope's rate.
Requests are counted per user id (per IP for an anonymous caller). Reads are never throttled. A
refusal is DRF's ``Throttled``, which ``reelmate.api.errors`` answers as 429 ``rate_limited`` with
``Retry-After``.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import ScopedRateThrottle


class UserWriteThrottle(ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_rate(self) -> str:
        # Read on every request, not frozen at import as DRF's own THROTTLE_RATES is: tests change it.
        try:
            return settings.THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(f"No rate in settings.THROTTLE_RATES for the throttle scope {self.scope!r}.")
