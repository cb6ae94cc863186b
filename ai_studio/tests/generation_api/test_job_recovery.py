"""Jobs whose worker died: canceling them, running out of attempts, and losing the lease."""
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

from ai_studio.generation.artifacts import artifact_keys
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.services import execution
from ai_studio.services.jobs import cancel_job
from ai_studio.tests.catalog.factories import GenerationJobFactory

pytestmark = pytest.mark.django_db(transaction=True)

LONG_AGO = timedelta(minutes=30)


def orphaned_job(**fields):
    """A job left `processing` by a worker that was killed: its heartbeat stopped long ago."""
    return GenerationJobFactory(status=JobStatus.PROCESSING, heartbeat_at=timezone.now() - LONG_AGO,
                                lease_token="00000000-0000-0000-0000-000000000001", attempts=1, **fields)


def upload_partial_files(job) -> str:
    """What the dead run had uploaded: under its own prefix, named by its lease token."""
    key = artifact_keys(execution.run_prefix(job, job.lease_token))["audio"]
    default_storage.save(key, ContentFile(b"half a job"))
    return key


def test_canceling_a_job_whose_worker_died_cancels_it_at_once_and_removes_its_files(user):
    job = orphaned_job(owner=user)
    leftover = upload_partial_files(job)
    canceled = cancel_job(job)
    assert canceled.status == JobStatus.CANCELED
    assert not default_storage.exists(leftover)


def test_a_redelivered_job_that_was_canceled_meanwhile_is_canceled_not_stuck():
    job = orphaned_job(cancel_requested=True)
    assert execution.execute_job(job.pk).status == "canceled"
    assert VideoGenerationJob.objects.get(pk=job.pk).status == JobStatus.CANCELED


@override_settings(GENERATION_MAX_ATTEMPTS=2)
def test_a_job_that_keeps_killing_its_worker_fails_instead_of_looping():
    job = orphaned_job()
    job.attempts = 2
    job.save()
    leftover = upload_partial_files(job)
    assert execution.execute_job(job.pk).status == "failed"
    job.refresh_from_db()
    assert (job.status, job.error_code) == (JobStatus.FAILED, "worker_lost")
    assert not default_storage.exists(leftover)


def test_a_job_under_a_live_lease_is_left_to_its_worker():
    job = GenerationJobFactory(status=JobStatus.PROCESSING, heartbeat_at=timezone.now(), attempts=1)
    outcome = execution.execute_job(job.pk)
    assert outcome.status == "busy"
    assert 0 < outcome.retry_in <= 61
    assert VideoGenerationJob.objects.get(pk=job.pk).attempts == 1


@override_settings(GENERATION_LEASE_SECONDS=2)
def test_a_run_whose_lease_was_taken_over_notices_and_stops_at_the_next_stage():
    job, token = execution.claim(GenerationJobFactory(released_at=timezone.now()).pk)
    heartbeat = execution._Heartbeat(job, token)
    heartbeat.start()
    try:
        # Another worker decided this run was dead and claimed the job.
        VideoGenerationJob.objects.filter(pk=job.pk).update(lease_token="00000000-0000-0000-0000-000000000002")
        heartbeat.join(timeout=5)
        assert heartbeat.lost
        with pytest.raises(execution.LeaseLost):
            execution._DatabaseReporter(job, token, heartbeat).stage("rendering_video", 55)
    finally:
        heartbeat.stop()
