"""Per-IP rate limits (django-ratelimit counts in the cache) that answer 429 with Retry-After."""
from __future__ import annotations

from functools import wraps

from django.conf import settings
from django_ratelimit.core import _split_rate, is_ratelimited

from reelmate.errors import RateLimited


def forwarded_client_ip(request) -> str:
    """The client address as seen by our (one, trusted) proxy: the LAST X-Forwarded-For entry.

    Earlier entries come from the client itself and can be forged to dodge per-IP limits.
    """
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    return next((part for part in reversed(forwarded) if part), request.META.get("REMOTE_ADDR", ""))


def limit_per_ip(group: str, rate_setting: str):
    """Decorate a DRF view method; the rate is read from settings at call time (tests change it)."""

    def decorator(method):
        @wraps(method)
        def wrapped(self, request, *args, **kwargs):
            rate = getattr(settings, rate_setting)
            if is_ratelimited(request, group=group, key="ip", rate=rate, increment=True):
                _count, period = _split_rate(rate)
                raise RateLimited(retry_after=int(period))
            return method(self, request, *args, **kwargs)

        wrapped.rate_limit_setting = rate_setting  # the schema documents its 429 (reelmate.api.schema)
        return wrapped

    return decorator
