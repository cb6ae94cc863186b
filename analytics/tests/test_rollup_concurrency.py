"""Writers racing on the same video and day still count every event and viewer exactly once."""
from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from analytics import services
from analytics.models import DailyViewer, VideoDailyStats
from analytics.services import TrackedEvent

from .factories import GeneratedVideoFactory

WRITERS = 8
VIEWERS = 10


@pytest.mark.django_db(transaction=True)  # each thread commits on its own connection
def test_concurrent_writers_count_exactly(user):
    if connection.vendor == "sqlite":
        # The in-memory test database uses SQLite's shared cache, whose table locks ignore the busy
        # timeout; the real (file) database serialises writers with IMMEDIATE transactions instead.
        pytest.skip("needs a database that threads can write concurrently (PostgreSQL)")
    video = GeneratedVideoFactory(owner=user, duration_seconds=60.0)
    today = timezone.localdate()
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        # writer w sees every viewer, at position w (seconds): the furthest position is WRITERS - 1
        events = [TrackedEvent(video_id=str(video.pk), type="view", viewer_hash=f"viewer-{viewer}", day=today)
                  for viewer in range(VIEWERS)]
        events += [TrackedEvent(video_id=str(video.pk), type="progress", viewer_hash=f"viewer-{viewer}", day=today,
                                position_seconds=float(writer)) for viewer in range(VIEWERS)]
        try:
            start.wait()
            services.record_events(events)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    stats = VideoDailyStats.objects.get(video=video, date=today)
    assert stats.views == WRITERS * VIEWERS
    assert stats.unique_viewers == VIEWERS
    assert stats.watch_seconds == VIEWERS * (WRITERS - 1)
    assert DailyViewer.objects.filter(video=video).count() == VIEWERS
