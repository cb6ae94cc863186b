"""The render task's soft time limit, however the code it strikes in reports it."""
import pytest
from celery.exceptions import SoftTimeLimitExceeded

from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.services import engine_requests, execution

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_limit_that_a_library_wraps_in_its_own_error_still_fails_the_job_as_over_its_time(generate, monkeypatch):
    # onnxruntime does this when the limit strikes while it is being imported (a loaded machine).
    def import_interrupted(voice):
        try:
            raise SoftTimeLimitExceeded()
        except SoftTimeLimitExceeded as limit:
            raise ImportError("initialization failed") from limit

    monkeypatch.setattr(engine_requests, "speech_provider_for", import_interrupted)
    job_id = generate().json()["id"]

    assert execution.execute_job(job_id).status == "failed"
    job = VideoGenerationJob.objects.get(pk=job_id)
    assert (job.status, job.error_code) == (JobStatus.FAILED, "time_limit_exceeded")


def test_an_unrelated_crash_is_still_an_internal_error(generate, monkeypatch):
    def broken(voice):
        raise ImportError("a real bug")

    monkeypatch.setattr(engine_requests, "speech_provider_for", broken)
    job_id = generate().json()["id"]

    assert execution.execute_job(job_id).status == "failed"
    assert VideoGenerationJob.objects.get(pk=job_id).error_code == "internal_error"
