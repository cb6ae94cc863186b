"""Requests of one user sent at the same moment cannot overshoot a limit: PostgreSQL admits them one
after the other (each locks the user's plan row, then counts and charges).

Each request runs in its own thread, on its own database connection, released together by a barrier.
"""

import pytest

from accounts.models import UserPlan
from ai_studio.models import JobCharge, VideoGenerationJob
from ai_studio.tests.generation_api.estimates import spoken_seconds, words
from testkit.concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)  # each thread commits on its own connection

PARALLEL = 8


@pytest.fixture
def post_at_once(generate, make_client, user):
    def post_all(**request) -> list:
        """PARALLEL generate-video requests of `user`, released at the same moment; their responses."""
        clients = [make_client(user) for _ in range(PARALLEL)]
        return run_at_once(lambda index: generate(client=clients[index], **request), PARALLEL)

    return post_all


def statuses(responses) -> list[int]:
    return sorted(response.status_code for response in responses)


def refused_limits(responses) -> set[str]:
    return {response.json()["error"]["limit"] for response in responses if response.status_code == 429}


def test_simultaneous_submissions_create_exactly_as_many_jobs_as_may_run_at_once(post_at_once, user):
    UserPlan.objects.filter(user=user).update(concurrent_jobs=3)
    responses = post_at_once()
    assert statuses(responses) == [202] * 3 + [429] * (PARALLEL - 3)
    assert refused_limits(responses) == {"concurrent_jobs"}
    assert VideoGenerationJob.objects.filter(owner=user).count() == 3
    assert JobCharge.objects.filter(owner=user).count() == 3


def test_simultaneous_submissions_cannot_spend_more_minutes_than_the_month_has(post_at_once, user):
    UserPlan.objects.filter(user=user).update(video_minutes_per_month=1)
    responses = post_at_once(script=words(60))
    assert 3 * spoken_seconds(60) <= 60 < 4 * spoken_seconds(60)  # so 3 fit in a minute
    assert statuses(responses) == [202] * 3 + [429] * (PARALLEL - 3)
    assert refused_limits(responses) == {"video_minutes_per_month"}
    assert sum(JobCharge.objects.filter(owner=user).values_list("seconds", flat=True)) == pytest.approx(
        3 * spoken_seconds(60))


def test_simultaneous_replays_of_one_request_make_one_job_and_none_is_refused(post_at_once, user):
    UserPlan.objects.filter(user=user).update(concurrent_jobs=1)
    responses = post_at_once(headers={"HTTP_IDEMPOTENCY_KEY": "same-click"})
    assert statuses(responses) == [202] * PARALLEL
    assert len({response.json()["id"] for response in responses}) == 1
    assert sorted(response["Idempotent-Replayed"] for response in responses) == ["false"] + ["true"] * (PARALLEL - 1)
    assert JobCharge.objects.filter(owner=user).count() == 1
