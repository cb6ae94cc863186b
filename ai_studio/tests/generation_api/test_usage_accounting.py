"""Each run of a job is charged: its estimate when admitted, settled to the video's real length
when it completes, refunded when it fails or is canceled — once, whichever worker gets there."""
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from ai_studio.models import ChargeStatus, JobCharge, JobStatus, VideoGenerationJob
from ai_studio.services import execution, quotas
from ai_studio.services.jobs import cancel_job
from ai_studio.tests.generation_api.estimates import spoken_seconds, words
from ai_studio.tests.generation_api.test_generation_end_to_end import wait_for

# The worker's side runs outside the test's transaction (in a worker process, or through
# execute_job, which manages its own connection): the rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def charge_of(job_id) -> JobCharge:
    return JobCharge.objects.get(job_id=job_id)


def submitted_job(generate, **overrides) -> VideoGenerationJob:
    response = generate(**overrides)
    assert response.status_code == 202, response.json()
    return VideoGenerationJob.objects.get(pk=response.json()["id"])


def orphan(job: VideoGenerationJob, *, attempts: int = 1) -> None:
    """Leave the job as a killed worker would: processing, its heartbeat long stopped."""
    VideoGenerationJob.objects.filter(pk=job.pk).update(
        status=JobStatus.PROCESSING, heartbeat_at=timezone.now() - timedelta(minutes=30), attempts=attempts,
        lease_token="00000000-0000-0000-0000-000000000001")


def test_a_submission_opens_a_charge_at_its_estimate(generate):
    job = submitted_job(generate, script=words(75))
    charge = charge_of(job.pk)
    assert (charge.status, charge.estimated_seconds, charge.seconds, charge.owner_id) == (
        ChargeStatus.ESTIMATED, spoken_seconds(75), spoken_seconds(75), job.owner_id)


def test_canceling_a_queued_job_refunds_it(generate):
    job = submitted_job(generate)
    cancel_job(job)
    charge = charge_of(job.pk)
    assert (charge.status, charge.seconds) == (ChargeStatus.REFUNDED, 0.0)
    assert charge.closed_at is not None


def test_canceling_a_job_whose_worker_died_refunds_it(generate):
    job = submitted_job(generate)
    orphan(job)
    assert cancel_job(job).status == JobStatus.CANCELED
    assert charge_of(job.pk).status == ChargeStatus.REFUNDED


@override_settings(GENERATION_MAX_ATTEMPTS=1)
def test_a_job_that_fails_is_refunded_with_its_failure(generate):
    job = submitted_job(generate)
    orphan(job, attempts=1)  # its worker died on the last attempt: the next delivery fails it
    assert execution.execute_job(job.pk).status == "failed"
    assert (VideoGenerationJob.objects.get(pk=job.pk).status, charge_of(job.pk).status) == (
        JobStatus.FAILED, ChargeStatus.REFUNDED)


def test_a_job_canceled_while_its_worker_was_gone_is_refunded_when_redelivered(generate):
    job = submitted_job(generate)
    orphan(job)
    VideoGenerationJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    assert execution.execute_job(job.pk).status == "canceled"
    assert charge_of(job.pk).status == ChargeStatus.REFUNDED


def test_a_run_that_lost_its_lease_neither_fails_nor_refunds_the_job(generate):
    job = submitted_job(generate)
    claimed, stale_token = execution.claim(job.pk)
    # Another worker presumed this run dead and took the job over.
    VideoGenerationJob.objects.filter(pk=job.pk).update(lease_token="00000000-0000-0000-0000-000000000002")
    assert execution._fail(claimed, stale_token, "speech_failed", "late news from a dead run").status == "skipped"
    assert (VideoGenerationJob.objects.get(pk=job.pk).status, charge_of(job.pk).status) == (
        JobStatus.PROCESSING, ChargeStatus.ESTIMATED)


def test_a_charge_is_closed_once(generate):
    job = submitted_job(generate)
    quotas.settle_charge(job, 12.5)
    quotas.refund_charge(job)
    quotas.settle_charge(job, 99.0)
    charge = charge_of(job.pk)
    assert (charge.status, charge.seconds) == (ChargeStatus.SETTLED, 12.5)


@pytest.mark.slow
def test_a_completed_job_is_settled_to_its_videos_real_length(generate, auth_client, celery_worker):
    # Two long words: spoken they take far longer than two words at the average pace, so the
    # settled charge visibly differs from the estimate.
    job = submitted_job(generate, script="Extraordinarily incomprehensibilities.")
    final = wait_for(auth_client, job.pk)["last"]
    assert final["status"] == "completed", final["error"]

    charge = charge_of(job.pk)
    duration = final["video"]["duration_seconds"]
    assert charge.status == ChargeStatus.SETTLED
    assert charge.estimated_seconds == spoken_seconds(2)
    assert charge.seconds == duration != charge.estimated_seconds
    minutes = auth_client.get("/api/usage").json()["limits"]["video_minutes_per_month"]
    assert minutes["used"] == round(duration / 60, 2)
