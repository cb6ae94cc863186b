"""POST /api/analytics/events: validated, batched, rate-limited, isolated, and never lost."""
from __future__ import annotations

import pytest
import redis
from django.utils import timezone

from analytics import services
from analytics.models import DailyViewer, ProcessedEventBatch, VideoDailyStats
from analytics.services import flush_event_buffer
from analytics.tasks import flush_event_buffer as flush_task
from reelmate.celery import app as celery_app

from .factories import GeneratedVideoFactory, ShareLinkFactory

pytestmark = pytest.mark.django_db

EVENTS_URL = "/api/analytics/events"


@pytest.fixture
def link(user):
    return ShareLinkFactory(video=GeneratedVideoFactory(owner=user, duration_seconds=20.0))


def event(link, type="view", viewer="viewer-1", **extra):
    return {"type": type, "share_token": link.token, "viewer_id": viewer, **extra}


def today_stats(video) -> VideoDailyStats:
    return VideoDailyStats.objects.get(video=video, date=timezone.localdate())


def test_a_batch_of_anonymous_events_is_accepted_and_counted_after_the_flush(api_client, link):
    batch = [event(link, "view"), event(link, "play"), event(link, "progress", position=7.5),
             event(link, "cta_click"), event(link, "view", viewer="viewer-2")]

    response = api_client.post(EVENTS_URL, {"events": batch}, format="json")

    assert response.status_code == 202
    assert response.json() == {"accepted": 5}
    assert not VideoDailyStats.objects.exists()  # buffered: the request did not touch the rollups
    assert flush_event_buffer().events == 5
    stats = today_stats(link.video)
    assert (stats.views, stats.plays, stats.cta_clicks, stats.unique_viewers, stats.watch_seconds) == (2, 1, 1, 2, 7.5)


def test_without_redis_events_are_written_straight_to_the_rollups(api_client, link, settings):
    settings.REDIS_URL = ""

    api_client.post(f"{EVENTS_URL}/", {"events": [event(link, "view"), event(link, "complete")]}, format="json")

    stats = today_stats(link.video)
    assert (stats.views, stats.completes, stats.watch_seconds) == (1, 1, 20.0)


def test_the_owner_can_send_events_by_video_id(auth_client, link):
    response = auth_client.post(EVENTS_URL, {"events": [
        {"type": "download", "video_id": str(link.video.pk), "viewer_id": "owner-session"}]}, format="json")

    assert response.status_code == 202
    flush_event_buffer()
    assert today_stats(link.video).downloads == 1


@pytest.mark.parametrize(("bad_event", "field"), [
    ({"type": "like"}, "type"),
    ({"type": "progress"}, "position"),
    ({"type": "progress", "position": -1}, "position"),
    ({"viewer_id": ""}, "viewer_id"),
])
def test_an_invalid_event_rejects_the_batch_with_400(api_client, link, bad_event, field):
    response = api_client.post(EVENTS_URL, {"events": [event(link), {**event(link), **bad_event}]}, format="json")

    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert field in body["fields"]["events"]["1"]  # errors are keyed by the event's index
    assert flush_event_buffer().events == 0


def test_an_event_needs_exactly_one_of_share_token_and_video_id(api_client, link):
    both = {**event(link), "video_id": str(link.video.pk)}
    neither = {"type": "view", "viewer_id": "v"}

    for bad in (both, neither):
        response = api_client.post(EVENTS_URL, {"events": [bad]}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["fields"]["events"]["0"]["non_field_errors"]


@pytest.mark.parametrize("events", [[], None])
def test_an_empty_or_missing_batch_is_400(api_client, events):
    response = api_client.post(EVENTS_URL, {} if events is None else {"events": events}, format="json")
    assert response.status_code == 400


def test_at_most_100_events_per_request(api_client, link):
    assert api_client.post(EVENTS_URL, {"events": [event(link)] * 101}, format="json").status_code == 400
    assert api_client.post(EVENTS_URL, {"events": [event(link)] * 100}, format="json").status_code == 202


def test_an_unknown_share_token_is_404_and_nothing_is_recorded(api_client, link):
    batch = [event(link), {**event(link), "share_token": "no-such-token-0000000000000000"}]

    response = api_client.post(EVENTS_URL, {"events": batch}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert flush_event_buffer().events == 0


def test_a_revoked_share_token_is_404(api_client, link):
    services.revoke_share(video=link.video)
    assert api_client.post(EVENTS_URL, {"events": [event(link)]}, format="json").status_code == 404


def test_video_ids_are_only_for_their_owner(api_client, other_client, link):
    by_id = {"events": [{"type": "view", "video_id": str(link.video.pk), "viewer_id": "v"}]}

    assert other_client.post(EVENTS_URL, by_id, format="json").status_code == 404
    assert api_client.post(EVENTS_URL, by_id, format="json").status_code == 404
    assert flush_event_buffer().events == 0


def test_anonymous_ingest_is_rate_limited_per_ip(api_client, link, settings):
    settings.RATELIMIT_EVENTS = "3/m"
    body = {"events": [event(link)]}
    for _ in range(3):
        assert api_client.post(EVENTS_URL, body, format="json", REMOTE_ADDR="203.0.113.7").status_code == 202

    limited = api_client.post(EVENTS_URL, body, format="json", REMOTE_ADDR="203.0.113.7")

    assert limited.status_code == 429
    assert limited["Retry-After"] == "60"
    assert limited.json()["error"]["code"] == "rate_limited"
    assert api_client.post(EVENTS_URL, body, format="json", REMOTE_ADDR="203.0.113.8").status_code == 202


# --- Viewer bookkeeping ---------------------------------------------------------------------
def test_a_viewer_is_unique_once_per_day_and_watch_time_is_their_furthest_position(api_client, link):
    batches = [
        [event(link, "view"), event(link, "play"), event(link, "progress", position=5)],
        [event(link, "progress", position=12), event(link, "progress", position=9)],  # seeked back: no gain
        [event(link, "progress", position=999)],  # beyond the end: capped at the 20 s duration
    ]
    for batch in batches:
        api_client.post(EVENTS_URL, {"events": batch}, format="json")
        flush_event_buffer()  # one flush per batch: the furthest position carries across flushes

    stats = today_stats(link.video)
    assert (stats.unique_viewers, stats.watch_seconds) == (1, 20.0)
    assert DailyViewer.objects.get(video=link.video).max_position_seconds == 20.0


def test_viewer_ids_are_stored_hashed(api_client, link):
    api_client.post(EVENTS_URL, {"events": [event(link, viewer="alice@example.com")]}, format="json")
    flush_event_buffer()

    stored = DailyViewer.objects.get(video=link.video).viewer_hash
    assert stored == services.viewer_hash("alice@example.com")
    assert "alice" not in stored


def test_concurrent_style_batches_for_many_viewers_count_each_exactly_once(api_client, link, settings):
    settings.RATELIMIT_ENABLE = False
    for round_ in range(3):
        batch = [event(link, "view", viewer=f"viewer-{n}") for n in range(50)]
        api_client.post(EVENTS_URL, {"events": batch}, format="json")
        if round_ == 1:
            flush_event_buffer()
    flush_event_buffer()

    stats = today_stats(link.video)
    assert (stats.views, stats.unique_viewers) == (150, 50)


# --- No event is lost -----------------------------------------------------------------------
def test_a_flush_that_fails_before_committing_loses_nothing(api_client, link, monkeypatch):
    api_client.post(EVENTS_URL, {"events": [event(link, "view"), event(link, "play")]}, format="json")
    real_record = services.record_events

    def crash(events):
        raise RuntimeError("worker died mid-batch")

    monkeypatch.setattr(services, "record_events", crash)
    with pytest.raises(RuntimeError):
        flush_event_buffer()
    assert not VideoDailyStats.objects.exists()

    monkeypatch.setattr(services, "record_events", real_record)
    assert flush_event_buffer().events == 2
    assert flush_event_buffer().events == 0
    stats = today_stats(link.video)
    assert (stats.views, stats.plays) == (1, 1)


def test_a_flush_that_fails_after_committing_is_not_counted_twice(api_client, link, monkeypatch):
    api_client.post(EVENTS_URL, {"events": [event(link, "view"), event(link, "play")]}, format="json")
    real_execute = redis.client.Pipeline.execute
    calls = {"n": 0}

    def lose_connection_once(pipeline, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise redis.ConnectionError("connection lost before the batch was deleted")
        return real_execute(pipeline, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", lose_connection_once)
    with pytest.raises(redis.ConnectionError):
        flush_event_buffer()
    assert ProcessedEventBatch.objects.count() == 1  # the batch was committed...

    assert flush_event_buffer().events == 0  # ...so the leftover is recognised and dropped
    stats = today_stats(link.video)
    assert (stats.views, stats.plays) == (1, 1)


def test_when_redis_is_down_events_are_written_directly(api_client, link, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    response = api_client.post(EVENTS_URL, {"events": [event(link, "view")]}, format="json")

    assert response.status_code == 202
    assert today_stats(link.video).views == 1


def test_events_for_a_video_deleted_before_the_flush_are_dropped(api_client, link):
    api_client.post(EVENTS_URL, {"events": [event(link, "view")]}, format="json")
    link.video.delete()

    assert flush_event_buffer().events == 1
    assert not VideoDailyStats.objects.exists()


def test_the_flush_runs_every_five_seconds_on_beat():
    celery_app.loader.import_default_modules()  # what beat does at startup: autodiscovers tasks modules
    entry = celery_app.conf.beat_schedule["analytics-flush-event-buffer"]
    assert entry == {"task": "analytics.tasks.flush_event_buffer", "schedule": 5.0}


def test_the_flush_task_applies_the_buffer(api_client, link):
    api_client.post(EVENTS_URL, {"events": [event(link, "view"), event(link, "share")]}, format="json")

    assert flush_task() == 2
    assert today_stats(link.video).shares == 1
