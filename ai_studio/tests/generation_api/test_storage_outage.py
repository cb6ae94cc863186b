"""S3 goes away in the middle of a job's upload: bounded retries, then the job fails with a clear,
retryable code; no video without its files; what was half-written is removed once S3 is back.

The storage is a SeaweedFS server of the test's own, frozen (SIGSTOP: it keeps its port and
answers nothing, the worst case for timeouts) right after the first file of the upload landed.
"""
from __future__ import annotations

import pytest
from django.test import override_settings

from ai_studio.models import GeneratedVideo, JobStatus, PendingFileDeletion, VideoGenerationJob
from ai_studio.services import execution
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore, purge_pending_deletions
from ai_studio.tests.generation_api.observe import assert_only_the_videos_files_are_stored, stored_keys
from testkit.fixtures import s3_storage_settings
from testkit.s3_server import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Fail fast: one second per request, two attempts (botocore's standard retry mode).
IMPATIENT = {"connect_timeout": 1.0, "read_timeout": 1.0, "max_attempts": 2}


@pytest.fixture
def own_s3():
    """A private S3 server as the default storage (request it before the fixtures that store files)."""
    with S3Server() as server, override_settings(**s3_storage_settings(server, **IMPATIENT)):
        try:
            yield server
        finally:
            server.resume()  # a frozen server would ignore the TERM that stops it


def test_storage_dying_mid_upload_fails_the_job_clearly_and_leaves_nothing_half_written(
        own_s3, generate, auth_client, settings, monkeypatch):
    settings.GENERATION_MAX_ATTEMPTS = 2
    job_id = generate(script="Meet the new Rocket Shoes. Tap the link and run further today!").json()["id"]
    upload = DjangoStorageArtifactStore.put

    def storage_dies_after_the_first_file(store, local_path, key, content_type):
        stored = upload(store, local_path, key, content_type)
        own_s3.pause()
        return stored

    monkeypatch.setattr(DjangoStorageArtifactStore, "put", storage_dies_after_the_first_file)

    first = execution.execute_job(job_id)  # the video lands, the thumbnail cannot
    job = VideoGenerationJob.objects.get(pk=job_id)
    assert first.status == "retry" and first.retry_in > 0  # transient: back to the queue with a backoff
    assert (job.status, job.error_code) == (JobStatus.QUEUED, "storage_unavailable")
    # The half-written run could not be removed either (storage is down): remembered for later.
    assert PendingFileDeletion.objects.filter(prefix__startswith=execution.artifact_prefix(job)).count() == 1

    second = execution.execute_job(job_id)  # storage still down: the last attempt fails too
    job.refresh_from_db()
    assert second.status == "failed"
    assert (job.status, job.error_code) == (JobStatus.FAILED, "storage_unavailable")
    assert "gave up after 2 attempts" in job.error_message
    assert not GeneratedVideo.objects.filter(job=job).exists()

    own_s3.resume()
    monkeypatch.undo()
    assert purge_pending_deletions() == 2  # what beat runs every minute: both runs' folders
    assert not PendingFileDeletion.objects.exists()
    assert stored_keys(own_s3, execution.artifact_prefix(job)) == set()  # nothing half-written is left

    assert auth_client.post(f"/api/ai-studio/generation-jobs/{job_id}/retry").status_code == 202  # the user retries
    assert execution.execute_job(job_id).status == "completed"
    assert_only_the_videos_files_are_stored(own_s3, VideoGenerationJob.objects.get(pk=job_id))
