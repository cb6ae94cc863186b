"""Absolute URLs on ReelMate's public origin (PUBLIC_BASE_URL).

One configured origin rather than the request's: links are also made where there is no request
(Celery workers, cached catalog pages, the admin), and behind a proxy the Host and scheme a request
carries are the proxy's internal ones unless forwarded headers are trusted.
"""
from __future__ import annotations

from django.conf import settings


def public_url(path: str) -> str:
    """`/v/abc` → `https://reelmate.example/v/abc` (read at call time: tests change the setting)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
