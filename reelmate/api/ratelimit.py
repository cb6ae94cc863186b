"""Per-IP rate limits (django-ratelimit counts in the cache) that answer 429 with Retry-After."""
from __future__ import annotations

from functools import wraps

from django.conf import settings
from django_ratelimit.core import _split_rate, is_ratelimited

from reelmate.api.errors import RateLimited


def forwarded_client_ip(request) -> str:
    """The client address behind a trusted proxy: the first X-Forwarded-For entry."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")


def limit_per_ip(group: str, rate_setting: str):
    """Decorate a DRF view method; the rate is read from settings at call time (tests change it)."""

    def decorator(method):
        @wraps(method)
        def wrapped(self, request, *args, **kwargs):
            rate = getattr(settings, rate_setting)
            if is_ratelimited(request, group=group, key="ip", rate=rate, increment=True):
                _count, period = _split_rate(rate)
                raise RateLimited(headers={"Retry-After": str(int(period))})
            return method(self, request, *args, **kwargs)

        return wrapped

    return decorator
