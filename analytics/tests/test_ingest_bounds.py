"""What public event ingest may cost: bounded new viewer ids, a capped buffer, pruned viewer rows.

Anyone with a share link can send events. Made-up viewer ids must not inflate unique viewers (nor
grow the viewer tables without end), and a flood must not grow Redis without end.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services
from analytics.models import DailyViewer, VideoDailyStats
from analytics.services import buffered_event_count, flush_event_buffer
from analytics.tasks import prune_daily_viewers
from reelmate.celery import app as celery_app

from .conftest import record_on
from .factories import CampaignFactory, GeneratedVideoFactory, ShareLinkFactory

pytestmark = pytest.mark.django_db

EVENTS_URL = "/api/analytics/events"


@pytest.fixture
def link(user):
    return ShareLinkFactory(video=GeneratedVideoFactory(owner=user, duration_seconds=20.0))


def send(client, link, *events, ip="203.0.113.7"):
    """POST events given as (type, viewer) or (type, viewer, position) from the address `ip`."""
    body = {"events": [{"type": e[0], "share_token": link.token, "viewer_id": e[1],
                        **({"position": e[2]} if len(e) > 2 else {})} for e in events]}
    return client.post(EVENTS_URL, body, format="json", REMOTE_ADDR=ip)


def today(video) -> VideoDailyStats:
    flush_event_buffer()
    return VideoDailyStats.objects.get(video=video, date=timezone.localdate())


# --- New viewer ids per address ---------------------------------------------------------------
def test_one_address_brings_at_most_the_daily_bound_of_new_viewers_and_every_event_still_counts(
        api_client, link, settings):
    settings.ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY = 3
    assert send(api_client, link, *[("view", f"real-{n}") for n in range(3)]).status_code == 202
    assert send(api_client, link, *[("view", f"made-up-{n}") for n in range(50)]).status_code == 202

    stats = today(link.video)
    assert (stats.views, stats.unique_viewers) == (53, 3)
    assert DailyViewer.objects.filter(video=link.video).count() == 3


def test_viewers_already_counted_today_stay_recognised_beyond_the_bound(api_client, link, settings):
    settings.ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY = 2
    send(api_client, link, ("view", "ann"), ("view", "bob"))
    send(api_client, link, ("view", "carl"), ("progress", "ann", 12), ("complete", "bob"))

    stats = today(link.video)
    assert (stats.views, stats.completes, stats.unique_viewers) == (3, 1, 2)
    assert stats.watch_seconds == 12 + 20  # ann's 12 s, bob to the end; carl is anonymous: no watch time


def test_each_address_has_its_own_bound(api_client, link, settings):
    settings.ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY = 2
    send(api_client, link, *[("view", f"a-{n}") for n in range(5)], ip="203.0.113.7")
    send(api_client, link, *[("view", f"b-{n}") for n in range(5)], ip="198.51.100.4")
    assert today(link.video).unique_viewers == 4


def test_an_ipv6_slash_64_is_one_address(api_client, link, settings):
    settings.ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY = 2
    for host in range(1, 4):  # a client picks a new address of its /64 for every request
        send(api_client, link, *[("view", f"{host}-{n}") for n in range(2)], ip=f"2001:db8:7:7::{host:x}")
    send(api_client, link, ("view", "next-door"), ip="2001:db8:7:8::1")
    assert today(link.video).unique_viewers == 3


def test_behind_a_trusted_proxy_the_bound_is_per_forwarded_client(api_client, link, settings):
    settings.ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for client_address in ("203.0.113.7", "198.51.100.4", "203.0.113.7"):
        api_client.post(EVENTS_URL, {"events": [{"type": "view", "share_token": link.token,
                                                 "viewer_id": f"from-{client_address}-{n}"} for n in range(3)]},
                        format="json", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_address)
    assert today(link.video).unique_viewers == 2


# --- New viewers per video (its share link) -----------------------------------------------------
@pytest.mark.parametrize("buffered", [True, False])
def test_a_video_gains_at_most_the_daily_bound_of_new_viewers_from_all_addresses(
        api_client, link, settings, buffered):
    if not buffered:
        settings.REDIS_URL = ""  # the embedded default: written straight to the rollups
    settings.ANALYTICS_NEW_VIEWERS_PER_VIDEO_PER_DAY = 4
    send(api_client, link, *[("view", f"a-{n}") for n in range(3)], ip="203.0.113.7")
    send(api_client, link, *[("progress", f"b-{n}", 5) for n in range(3)], ip="198.51.100.4")

    stats = today(link.video)
    assert (stats.views, stats.unique_viewers) == (3, 4)
    assert DailyViewer.objects.filter(video=link.video).count() == 4
    assert stats.watch_seconds == 5  # the one b-viewer counted; the others stay anonymous


# --- The buffer ---------------------------------------------------------------------------------
def test_a_batch_the_full_buffer_cannot_take_is_refused_whole_with_retry_after(api_client, link, settings):
    settings.ANALYTICS_EVENT_BUFFER_MAX = 3
    assert send(api_client, link, ("view", "ann"), ("play", "ann")).status_code == 202

    refused = send(api_client, link, ("view", "bob"), ("play", "bob"))

    assert refused.status_code == 429
    assert refused["Retry-After"] == "10"
    assert refused.json()["error"]["code"] == "event_buffer_full"
    assert buffered_event_count() == 2  # nothing of the refused batch was stored
    assert send(api_client, link, ("view", "bob")).status_code == 202  # what fits still goes in
    assert flush_event_buffer().events == 3
    assert send(api_client, link, ("view", "carl"), ("play", "carl")).status_code == 202  # drained: room again


def test_an_owners_download_is_counted_even_when_the_buffer_is_full(auth_client, user, link, settings):
    settings.ANALYTICS_EVENT_BUFFER_MAX = 1
    send(auth_client, link, ("view", "ann"))

    assert auth_client.get(f"/api/ai-studio/generated-videos/{link.video.pk}/download").status_code == 302

    assert VideoDailyStats.objects.get(video=link.video).downloads == 1  # written directly
    assert buffered_event_count() == 1


# --- Viewer rows are pruned after the retention period -----------------------------------------
def test_viewer_rows_older_than_the_retention_period_are_pruned(user, settings):
    settings.ANALYTICS_VIEWER_RETENTION_DAYS = 30
    video = GeneratedVideoFactory(owner=user)
    now = timezone.localdate()
    record_on(now - timedelta(days=31), video, [("view", "ann"), ("view", "bob")])
    record_on(now - timedelta(days=30), video, [("view", "ann")])
    record_on(now, video, [("view", "carl")])

    assert services.prune_daily_viewers(batch_size=1) == 2  # batch by batch until none is left
    assert prune_daily_viewers() == 0

    assert sorted(DailyViewer.objects.values_list("date", flat=True)) == [now - timedelta(days=30), now]
    assert VideoDailyStats.objects.filter(video=video).count() == 3  # the rollups stay


def test_reports_count_pruned_days_from_their_daily_rollups(auth_client, user, settings):
    settings.ANALYTICS_VIEWER_RETENTION_DAYS = 30
    campaign = CampaignFactory(owner=user)
    video = GeneratedVideoFactory(owner=user, campaign=campaign)
    other = GeneratedVideoFactory(owner=user, campaign=campaign)
    now = timezone.localdate()
    old, older = now - timedelta(days=40), now - timedelta(days=41)
    record_on(older, video, [("view", "ann")])
    record_on(old, video, [("view", "ann"), ("view", "bob")])
    record_on(old, other, [("view", "ann")])
    record_on(now, video, [("view", "ann"), ("view", "carl")])
    record_on(now, other, [("view", "carl")])
    services.prune_daily_viewers()

    period = f"from={older.isoformat()}&to={now.isoformat()}"
    report = auth_client.get(f"/api/analytics/campaigns/{campaign.pk}?{period}").json()

    # Kept days: ann and carl, distinct across both videos (2). Pruned days: their daily figures
    # added up (1 + 2 + 1), ann counted again on each day and video.
    assert report["totals"]["unique_viewers"] == 2 + 4
    daily = {entry["date"]: entry["unique_viewers"] for entry in report["daily"]}
    assert (daily[older.isoformat()], daily[old.isoformat()], daily[now.isoformat()]) == (1, 3, 2)
    top = {entry["video"]["id"]: entry["unique_viewers"] for entry in report["top_videos"]}
    assert top == {str(video.pk): 3 + 2, str(other.pk): 1 + 1}


def test_pruning_runs_hourly_on_beat_with_short_time_limits():
    celery_app.loader.import_default_modules()
    entry = celery_app.conf.beat_schedule["analytics-prune-daily-viewers"]
    assert entry == {"task": "analytics.tasks.prune_daily_viewers", "schedule": 3600.0}
    assert prune_daily_viewers.soft_time_limit < prune_daily_viewers.time_limit <= 300
