"""Analytics test helpers: an empty event buffer per test, and events recorded on chosen days."""
from __future__ import annotations

from datetime import date

import pytest
import redis
from django.conf import settings

from analytics import services
from analytics.services import TrackedEvent


def _clear_event_buffer() -> None:
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            for key in client.scan_iter("reelmate:analytics:*"):
                client.delete(key)
        finally:
            client.close()


@pytest.fixture(autouse=True)
def empty_event_buffer():
    _clear_event_buffer()
    yield
    _clear_event_buffer()


def record_on(day: date, video, events: list[tuple]) -> None:
    """Record `(type, viewer)` or `(type, viewer, position)` events for `video` on `day`."""
    services.record_events([
        TrackedEvent(video_id=str(video.pk), type=event[0], viewer_hash=services.viewer_hash(event[1]), day=day,
                     position_seconds=event[2] if len(event) > 2 else None)
        for event in events
    ])
