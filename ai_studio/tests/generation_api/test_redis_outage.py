"""Redis down: the API keeps answering (no 500), loses nothing, and catches up once Redis is back.

A Redis server of the test's own (`private_redis`) is the cache, the broker and the event buffer;
the test stops it (connections refused) or freezes it (connections hang until timeouts).
"""
from __future__ import annotations

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.services.dispatch import dispatch_jobs
from analytics.models import VideoDailyStats
from analytics.tests.factories import ShareLinkFactory
from reelmate.broker import broker_client, queue_depth

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def share_link(db):
    return ShareLinkFactory()


def exercise_the_api(anonymous, signed_in, user, share_link, generate) -> dict[str, object]:
    """One request to each endpoint that used to answer 500 without Redis; their responses."""
    return {
        "token": anonymous.post("/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD},
                                format="json"),
        "avatars": signed_in.get("/api/ai-studio/avatars"),
        "events": anonymous.post("/api/analytics/events", {"events": [
            {"type": "view", "share_token": share_link.token, "viewer_id": "viewer-1"}]}, format="json"),
        "generate": generate(),
        "ready": anonymous.get("/api/health/ready"),
    }


def test_with_redis_stopped_nothing_answers_500_and_the_job_waits_for_the_broker(
        private_redis, api_client, auth_client, user, share_link, generate, avatar, settings):
    # The dispatcher runs in this process too here: let it try the broker as soon as it is back.
    settings.OUTAGE_RECHECK_SECONDS = 0
    private_redis.stop()

    responses = exercise_the_api(api_client, auth_client, user, share_link, generate)

    assert {name: response.status_code for name, response in responses.items()} == {
        "token": 200, "avatars": 200, "events": 202, "generate": 202, "ready": 200}
    assert [item["slug"] for item in responses["avatars"].json()["results"]] == [avatar.slug]  # from the database
    assert VideoDailyStats.objects.get(video=share_link.video).views == 1  # written directly, nothing lost
    ready = responses["ready"].json()
    assert (ready["status"], ready["degraded"]) == ("degraded", ["broker", "cache"])
    assert ready["components"]["database"]["status"] == "up"
    job = VideoGenerationJob.objects.get(pk=responses["generate"].json()["id"])
    assert (job.status, job.dispatched_at) == (JobStatus.QUEUED, None)  # stored, not yet sent

    private_redis.start()  # back, and empty
    report = dispatch_jobs()  # what beat runs every few seconds

    assert (report.broker_forgot, report.sent) == (True, 1)
    job.refresh_from_db()
    assert job.dispatched_at is not None
    assert queue_depth(broker_client(), "render") == 1
    assert api_client.get("/api/health/ready").json()["status"] == "ok"


def test_with_redis_frozen_requests_time_out_on_it_and_still_answer(
        private_redis, api_client, auth_client, user, share_link, generate):
    """A Redis that stops answering without closing connections (a frozen host, a network
    partition): short socket timeouts, then the same fallbacks."""
    private_redis.pause()
    try:
        responses = exercise_the_api(api_client, auth_client, user, share_link, generate)
    finally:
        private_redis.resume()

    assert {name: response.status_code for name, response in responses.items()} == {
        "token": 200, "avatars": 200, "events": 202, "generate": 202, "ready": 200}
    assert VideoDailyStats.objects.get(video=share_link.video).views == 1
    job = VideoGenerationJob.objects.get(pk=responses["generate"].json()["id"])
    assert job.status == JobStatus.QUEUED
