"""A plan's limits on generate-video and retry: over one, 429 `quota_exceeded` naming it (with
Retry-After where waiting helps), and no job is queued."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Plan, UserPlan
from ai_studio.models import ChargeStatus, JobCharge, JobStatus, VideoGenerationJob
from ai_studio.selectors.usage import periods_at
from ai_studio.services import jobs as job_services
from ai_studio.tests.catalog.factories import VoiceFactory
from ai_studio.tests.generation_api.estimates import PIPER_ENGLISH, spoken_seconds, words
from ai_studio.writing import pacing

pytestmark = pytest.mark.django_db


def refusal(response, limit: str) -> dict:
    """The 429 body, checked to be a quota refusal naming `limit`."""
    assert response.status_code == 429, response.json()
    error = response.json()["error"]
    assert (error["code"], error["limit"]) == ("quota_exceeded", limit)
    return error


def seconds_until(moment) -> float:
    return (moment - timezone.now()).total_seconds()


def cancel(client, job_id):
    assert client.post(f"/api/ai-studio/generation-jobs/{job_id}/cancel").json()["status"] == "canceled"


# --- concurrent jobs --------------------------------------------------------------------------
def test_jobs_over_the_concurrent_limit_are_refused_until_one_finishes(generate, set_limits, auth_client):
    set_limits(concurrent_jobs=2)
    first, second = generate(), generate()
    assert (first.status_code, second.status_code) == (202, 202)

    third = generate()
    error = refusal(third, "concurrent_jobs")
    assert "2 at a time" in error["message"]
    assert third["Retry-After"] == "30"  # a hint: a job's end cannot be known
    assert VideoGenerationJob.objects.count() == 2

    cancel(auth_client, first.json()["id"])
    assert generate().status_code == 202


def test_a_processing_job_is_active_too(generate, set_limits, user):
    set_limits(concurrent_jobs=1)
    VideoGenerationJob.objects.filter(pk=generate().json()["id"]).update(status=JobStatus.PROCESSING)
    refusal(generate(), "concurrent_jobs")
    VideoGenerationJob.objects.filter(owner=user).update(status=JobStatus.COMPLETED)
    assert generate().status_code == 202


# --- jobs per day -----------------------------------------------------------------------------
def test_jobs_over_the_daily_limit_are_refused_until_the_utc_day_ends(generate, set_limits):
    set_limits(jobs_per_day=2)
    assert [generate().status_code for _ in range(2)] == [202, 202]
    refused = generate()
    refusal(refused, "jobs_per_day")
    assert abs(int(refused["Retry-After"]) - seconds_until(periods_at(timezone.now()).day_end)) <= 5
    assert VideoGenerationJob.objects.count() == 2


def test_a_canceled_job_is_given_back_to_the_day(generate, set_limits, auth_client):
    set_limits(jobs_per_day=1)
    cancel(auth_client, generate().json()["id"])
    assert generate().status_code == 202


def test_yesterdays_jobs_do_not_count_today(generate, set_limits, user):
    set_limits(jobs_per_day=1)
    assert generate().status_code == 202
    JobCharge.objects.filter(owner=user).update(created_at=periods_at(timezone.now()).day_start - timedelta(seconds=1))
    VideoGenerationJob.objects.filter(owner=user).update(status=JobStatus.COMPLETED)
    assert generate().status_code == 202


# --- video minutes per month ------------------------------------------------------------------
def test_a_job_is_charged_its_estimate_and_refused_when_the_months_minutes_would_run_out(generate, set_limits):
    set_limits(video_minutes_per_month=1)
    assert generate(script=words(60)).status_code == 202
    assert generate(script=words(60)).status_code == 202
    assert sorted(JobCharge.objects.values_list("estimated_seconds", flat=True)) == [spoken_seconds(60)] * 2
    assert spoken_seconds(60) == 19.9  # so 20.2 s of the minute are left

    refused = generate(script=words(65))  # 21.5 s
    error = refusal(refused, "video_minutes_per_month")
    assert "0.3 of your plan's 1 minutes" in error["message"]
    assert abs(int(refused["Retry-After"]) - seconds_until(periods_at(timezone.now()).month_end)) <= 5
    # Faster is shorter: it fits.
    assert generate(script=words(65), speed=2.0).status_code == 202
    assert VideoGenerationJob.objects.count() == 3


def test_the_estimate_follows_the_voices_engine_and_language_the_speed_and_the_end_card(generate):
    generate(script=words(100), speed=2.0)
    spanish = VoiceFactory(provider="local", provider_voice_id="espeak:es", language="es-ES")
    generate(voice_id=spanish.pk, script="palabra " * 45)
    generate(script=words(30), end_card={"seconds": 3})
    estimates = list(JobCharge.objects.order_by("created_at").values_list("estimated_seconds", flat=True))
    assert estimates == [
        spoken_seconds(100, pacing.words_per_second(pacing.PIPER, "en-US", 2.0)),
        spoken_seconds(45, pacing.words_per_second(pacing.ESPEAK, "es-ES")),
        round(30 / PIPER_ENGLISH + 3, 1),
    ]


def test_no_minutes_left_at_all_refuses_every_job(generate, set_limits):
    set_limits(video_minutes_per_month=0)
    refusal(generate(), "video_minutes_per_month")


# --- longest script ---------------------------------------------------------------------------
def test_a_script_longer_than_the_plan_allows_is_refused_without_retry_after(generate, set_limits):
    set_limits(script_characters=20)
    assert generate(script="x" * 20).status_code == 202
    refused = generate(script="x" * 21)
    assert "21 characters; your plan allows 20" in refusal(refused, "script_characters")["message"]
    assert "Retry-After" not in refused  # waiting cannot help


# --- retries ----------------------------------------------------------------------------------
def retry(client, job_id):
    return client.post(f"/api/ai-studio/generation-jobs/{job_id}/retry")


def test_retries_of_one_job_are_capped_and_retrying_does_not_reset_the_count(generate, set_limits, auth_client):
    set_limits(retries_per_job=2)
    job_id = generate().json()["id"]
    for retried in (1, 2):
        cancel(auth_client, job_id)
        retried_job = retry(auth_client, job_id)
        assert retried_job.status_code == 202
        assert (retried_job.json()["user_retries"], retried_job.json()["attempts"]) == (retried, 0)

    cancel(auth_client, job_id)
    refused = retry(auth_client, job_id)
    assert "retried 2 times" in refusal(refused, "retries_per_job")["message"]
    assert "Retry-After" not in refused
    assert VideoGenerationJob.objects.get(pk=job_id).status == JobStatus.CANCELED


def test_a_retry_is_charged_again_and_must_fit_the_other_limits(generate, set_limits, auth_client):
    set_limits(concurrent_jobs=1)
    job_id = generate().json()["id"]
    cancel(auth_client, job_id)
    other = generate()
    assert other.status_code == 202
    refusal(retry(auth_client, job_id), "concurrent_jobs")

    cancel(auth_client, other.json()["id"])
    assert retry(auth_client, job_id).status_code == 202
    charges = JobCharge.objects.filter(job_id=job_id).order_by("created_at")
    assert [charge.status for charge in charges] == [ChargeStatus.REFUNDED, ChargeStatus.ESTIMATED]


def test_staff_retrying_from_the_admin_are_not_refused_and_leave_the_users_retries(generate, set_limits,
                                                                                    auth_client):
    set_limits(retries_per_job=0)
    job_id = generate().json()["id"]
    cancel(auth_client, job_id)
    set_limits(concurrent_jobs=0, jobs_per_day=0)
    retried = job_services.retry_job(VideoGenerationJob.objects.get(pk=job_id), by_staff=True)
    assert (retried.status, retried.user_retries) == (JobStatus.QUEUED, 0)
    assert JobCharge.objects.filter(job_id=job_id, status=ChargeStatus.ESTIMATED).count() == 1


# --- idempotent replays -----------------------------------------------------------------------
def test_an_idempotent_replay_is_neither_refused_nor_charged_again(generate, set_limits):
    set_limits(concurrent_jobs=1, jobs_per_day=1)
    key = {"HTTP_IDEMPOTENCY_KEY": "launch-1"}
    first = generate(headers=key)
    replay = generate(headers=key)
    assert replay.status_code == 202
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert JobCharge.objects.count() == 1
    refusal(generate(headers={"HTTP_IDEMPOTENCY_KEY": "launch-2"}), "concurrent_jobs")


# --- plans and overrides ----------------------------------------------------------------------
def put_on(plan_slug: str, *users):
    UserPlan.objects.filter(user__in=users).update(plan=Plan.objects.get(slug=plan_slug))


def test_the_free_plan_allows_one_job_at_a_time_and_scripts_up_to_1500_characters(generate, user):
    put_on("free", user)
    refusal(generate(script=words(301)), "script_characters")  # 1505 characters
    assert generate().status_code == 202
    refusal(generate(), "concurrent_jobs")


def test_an_override_lifts_one_users_limit_on_a_shared_plan(generate, user, other_user, auth_client, other_client):
    put_on("free", user, other_user)
    UserPlan.objects.filter(user=other_user).update(concurrent_jobs=3)
    assert [generate(client=auth_client).status_code for _ in range(2)] == [202, 429]
    assert [generate(client=other_client).status_code for _ in range(2)] == [202, 202]


def test_moving_a_user_to_another_plan_applies_its_limits_at_once(generate, user):
    put_on("free", user)
    assert generate().status_code == 202
    refusal(generate(), "concurrent_jobs")
    put_on("pro", user)
    assert generate().status_code == 202
