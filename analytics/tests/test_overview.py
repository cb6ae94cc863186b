"""GET /api/analytics/overview: a user's output, generation metrics and audience, from known jobs."""
from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from ai_studio.models import JobStatus, VideoGenerationJob
from analytics import selectors

from .conftest import record_on
from .factories import GeneratedVideoFactory, JobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_jobs(user):
    """Five completed jobs (10, 20, 30, 40 and 100 s), two failed TTS and one failed render,
    one canceled and one queued; plus another user's job that must not count."""
    timings = [(1, 5), (2, 10), (3, 15), (4, 20), (5, 60)]
    for total, (speech, render), provider in zip((10, 20, 30, 40, 100), timings,
                                                  ("openai", "openai", "local", "local", "local")):
        JobFactory(owner=user, status=JobStatus.COMPLETED, total_seconds=total, speech_provider=provider,
                   stage_timings={"synthesizing_speech": speech, "rendering_video": render})
    for code in ("tts_failed", "tts_failed", "render_failed"):
        JobFactory(owner=user, status=JobStatus.FAILED, error_code=code, total_seconds=None, completed_at=None)
    JobFactory(owner=user, status=JobStatus.CANCELED, total_seconds=None)
    JobFactory(owner=user, status=JobStatus.QUEUED, total_seconds=None, started_at=None, completed_at=None)
    JobFactory(status=JobStatus.FAILED, error_code="someone_elses_failure")


def test_overview_generation_metrics_come_from_the_jobs(auth_client, known_jobs):
    response = auth_client.get("/api/analytics/overview")

    assert response.status_code == 200
    assert response.json()["generation"] == {
        "total": 10,
        "by_status": {"queued": 1, "processing": 0, "completed": 5, "failed": 3, "canceled": 1},
        "success_rate_percent": 62.5,  # 5 completed of 8 finished (canceled and queued excluded)
        "median_seconds": 30.0,
        "p95_seconds": 88.0,  # between 40 and 100, 80% of the way (linear interpolation)
        "stage_median_seconds": {"rendering_video": 15.0, "synthesizing_speech": 3.0},
        "speech_providers": {"local": 3, "openai": 2},
        "failure_reasons": [{"code": "tts_failed", "count": 2}, {"code": "render_failed", "count": 1}],
    }


def test_overview_output_and_audience(auth_client, user):
    first = GeneratedVideoFactory(owner=user, duration_seconds=20.0)
    second = GeneratedVideoFactory(owner=user, duration_seconds=40.0)
    GeneratedVideoFactory(duration_seconds=600.0)  # someone else's
    today = timezone.localdate()
    record_on(today, first, [("view", "a"), ("play", "a"), ("complete", "a"), ("view", "b")])
    record_on(today, second, [("view", "a"), ("play", "a"), ("progress", "a", 10)])

    body = auth_client.get("/api/analytics/overview/").json()

    assert body["videos_generated"] == 2
    assert body["minutes_of_video"] == 1.0
    assert body["audience"] == {
        "views": 3, "unique_viewers": 2, "plays": 2, "watch_seconds": 30.0,
        "average_percent_watched": 37.5,  # 30 s of (2 viewer-days x 20 s + 1 x 40 s)
        "completes": 1, "completion_rate_percent": 50.0, "cta_clicks": 0, "click_through_rate_percent": 0.0,
        "shares": 0, "downloads": 0,
    }


def test_a_new_user_has_an_empty_overview(auth_client):
    body = auth_client.get("/api/analytics/overview").json()

    assert body["videos_generated"] == 0
    assert body["generation"]["success_rate_percent"] is None
    assert body["generation"]["median_seconds"] is None
    assert body["generation"]["p95_seconds"] is None
    assert body["audience"]["views"] == 0


def test_overview_needs_a_signed_in_user(api_client):
    assert api_client.get("/api/analytics/overview").status_code == 401


@pytest.mark.parametrize("vendor", ["database", "python"])
def test_percentiles_agree_in_the_database_and_in_python(user, vendor, monkeypatch):
    for seconds in (3.0, 1.0, 4.0, 1.5, 9.0, 2.6):
        JobFactory(owner=user, total_seconds=seconds)
    if vendor == "python":
        monkeypatch.setattr(connection, "vendor", "sqlite")

    jobs = VideoGenerationJob.objects.filter(owner=user)
    assert selectors.generation_time_percentiles(jobs) == {"median_seconds": 2.8, "p95_seconds": 7.75}
    assert selectors.generation_time_percentiles_by_day(jobs) == {
        timezone.localdate(): {"median_seconds": 2.8, "p95_seconds": 7.75}}


def test_percentile_interpolates_like_percentile_cont():
    assert selectors.percentile([], 0.5) is None
    assert selectors.percentile([7.0], 0.95) == 7.0
    assert selectors.percentile([10.0, 20.0, 30.0, 40.0, 100.0], 0.95) == pytest.approx(88.0)
