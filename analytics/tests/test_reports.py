"""Video and campaign reports, computed from a known set of events (definitions: analytics.services)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from .conftest import record_on
from .factories import CampaignFactory, GeneratedVideoFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # evaluated per test
ZERO = {"views": 0, "unique_viewers": 0, "plays": 0, "watch_seconds": 0.0, "average_percent_watched": 0.0,
        "completes": 0, "completion_rate_percent": 0.0, "cta_clicks": 0, "click_through_rate_percent": 0.0,
        "shares": 0, "downloads": 0}


@pytest.fixture
def days():
    today = TODAY()
    return today - timedelta(days=1), today


@pytest.fixture
def campaign(user):
    return CampaignFactory(owner=user, name="Spring launch")


@pytest.fixture
def trail_video(user, campaign, days):
    """20 s long. Yesterday: alice watches to the end and clicks; bob gets to 8 s; carol only
    loads the page. Today: alice returns (4 s), dave finishes (a 30 s position caps at 20 s),
    and the owner downloads it."""
    yesterday, today = days
    video = GeneratedVideoFactory(owner=user, campaign=campaign, title="Trail shoe", duration_seconds=20.0)
    record_on(yesterday, video, [
        ("view", "alice"), ("play", "alice"), ("progress", "alice", 5), ("progress", "alice", 10),
        ("complete", "alice"), ("cta_click", "alice"), ("share", "alice"),
        ("view", "bob"), ("play", "bob"), ("progress", "bob", 8),
        ("view", "carol"),
    ])
    record_on(today, video, [
        ("view", "alice"), ("play", "alice"), ("progress", "alice", 4),
        ("view", "dave"), ("play", "dave"), ("progress", "dave", 30), ("complete", "dave"),
        ("download", "user:owner"),
    ])
    return video


def report_url(video, days):
    return f"/api/analytics/videos/{video.pk}?from={days[0]}&to={days[1]}"


def test_video_report_totals(auth_client, trail_video, days):
    response = auth_client.get(report_url(trail_video, days))

    assert response.status_code == 200
    body = response.json()
    assert body["video"] == {"id": str(trail_video.pk), "title": "Trail shoe"}
    assert body["period"] == {"from": str(days[0]), "to": str(days[1])}
    assert body["totals"] == {
        "views": 5,
        "unique_viewers": 4,  # alice, bob, carol, dave: alice counts once over the period
        "plays": 4,
        "watch_seconds": 52.0,  # 20 + 8 + 0 yesterday, 4 + 20 today
        "average_percent_watched": 52.0,  # 52 s of 5 viewer-days x 20 s
        "completes": 2,
        "completion_rate_percent": 50.0,  # 2 completes / 4 plays
        "cta_clicks": 1,
        "click_through_rate_percent": 20.0,  # 1 click / 5 views
        "shares": 1,
        "downloads": 1,
    }


def test_video_report_daily_series(auth_client, trail_video, days):
    yesterday, today = days

    daily = auth_client.get(report_url(trail_video, days)).json()["daily"]

    assert daily == [
        {"date": str(yesterday), "views": 3, "unique_viewers": 3, "plays": 2, "watch_seconds": 28.0,
         "average_percent_watched": 46.67, "completes": 1, "completion_rate_percent": 50.0, "cta_clicks": 1,
         "click_through_rate_percent": 33.33, "shares": 1, "downloads": 0},
        {"date": str(today), "views": 2, "unique_viewers": 2, "plays": 2, "watch_seconds": 24.0,
         "average_percent_watched": 60.0, "completes": 1, "completion_rate_percent": 50.0, "cta_clicks": 0,
         "click_through_rate_percent": 0.0, "shares": 0, "downloads": 1},
    ]


def test_days_without_events_are_zeros_and_the_period_bounds_the_totals(auth_client, trail_video, days):
    yesterday = days[0]
    url = f"/api/analytics/videos/{trail_video.pk}/?from={yesterday - timedelta(days=2)}&to={yesterday}"

    body = auth_client.get(url).json()

    assert [entry["date"] for entry in body["daily"]] == [
        str(yesterday - timedelta(days=2)), str(yesterday - timedelta(days=1)), str(yesterday)]
    assert body["daily"][0] == {"date": str(yesterday - timedelta(days=2)), **ZERO}
    assert (body["totals"]["views"], body["totals"]["unique_viewers"], body["totals"]["downloads"]) == (3, 3, 0)


def test_the_default_period_is_the_last_30_days(auth_client, trail_video):
    body = auth_client.get(f"/api/analytics/videos/{trail_video.pk}").json()

    assert body["period"] == {"from": str(TODAY() - timedelta(days=29)), "to": str(TODAY())}
    assert len(body["daily"]) == 30
    assert body["totals"]["views"] == 5


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-02-10&to=2026-02-01", "from"),
    ("from=2024-01-01&to=2026-01-01", "from"),
    ("from=yesterday", "from"),
])
def test_a_bad_period_is_400(auth_client, trail_video, query, field):
    response = auth_client.get(f"/api/analytics/videos/{trail_video.pk}?{query}")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_campaign_report_rolls_up_its_videos_and_ranks_them(auth_client, user, campaign, trail_video, days):
    yesterday, today = days
    city_video = GeneratedVideoFactory(owner=user, campaign=campaign, title="City shoe", duration_seconds=10.0)
    record_on(today, city_video, [("view", "alice"), ("play", "alice"), ("progress", "alice", 10),
                                  ("view", "eve")])
    quiet_video = GeneratedVideoFactory(owner=user, campaign=campaign, title="Quiet teaser")
    outside = GeneratedVideoFactory(owner=user, campaign=None)
    record_on(today, outside, [("view", "zed")] * 9)

    response = auth_client.get(f"/api/analytics/campaigns/{campaign.pk}?from={yesterday}&to={today}")

    assert response.status_code == 200
    body = response.json()
    assert body["campaign"] == {"id": campaign.pk, "name": "Spring launch"}
    assert body["totals"] == {
        "views": 7, "unique_viewers": 5,  # alice, bob, carol, dave, eve: alice once across both videos
        "plays": 5, "watch_seconds": 62.0,
        "average_percent_watched": 51.67,  # 62 s of (5 viewer-days x 20 s + 2 x 10 s)
        "completes": 2, "completion_rate_percent": 40.0, "cta_clicks": 1, "click_through_rate_percent": 14.29,
        "shares": 1, "downloads": 1,
    }
    assert body["daily"][1] == {
        "date": str(today), "views": 4, "unique_viewers": 3, "plays": 3, "watch_seconds": 34.0,
        "average_percent_watched": 56.67, "completes": 1, "completion_rate_percent": 33.33, "cta_clicks": 0,
        "click_through_rate_percent": 0.0, "shares": 0, "downloads": 1,
    }
    top = body["top_videos"]
    assert [(entry["video"]["title"], entry["views"], entry["unique_viewers"]) for entry in top] == [
        ("Trail shoe", 5, 4), ("City shoe", 2, 2), ("Quiet teaser", 0, 0)]
    assert top[1]["average_percent_watched"] == 50.0
    assert top[2]["video"]["id"] == str(quiet_video.pk)


def test_reports_are_for_the_owner_only(other_client, api_client, trail_video, campaign):
    for url in (f"/api/analytics/videos/{trail_video.pk}", f"/api/analytics/campaigns/{campaign.pk}"):
        assert other_client.get(url).status_code == 404
        assert api_client.get(url).status_code == 401


def test_a_campaign_without_videos_reports_zeros(auth_client, user):
    empty = CampaignFactory(owner=user)

    body = auth_client.get(f"/api/analytics/campaigns/{empty.pk}/").json()

    assert body["totals"] == ZERO
    assert body["top_videos"] == []
