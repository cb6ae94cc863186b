"""What becomes a webhook: a job completed or failed (its endpoints, and its one-off callback_url
signed with the job's own secret), a batch completed, a video shared; the generation request's callback_url is
checked like an endpoint's URL."""
from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils import timezone

from ai_studio.events import batch_changed, batch_outcome, job_changed, job_outcome
from ai_studio.models import GenerationBatch, JobStatus, VideoGenerationJob
from ai_studio.services import batch_progress, execution
from analytics import services as sharing
from analytics.tests.factories import GeneratedVideoFactory, JobFactory
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def job_event(job, kind):
    """What the worker sends in the transaction that records the job's outcome."""
    job_outcome.send(sender=None, job_id=job.pk, owner_id=job.owner_id, kind=kind)


def test_a_completed_job_is_told_to_subscribed_endpoints_with_its_video(make_endpoint, user, receiver,
                                                                        run_attempts):
    endpoint = make_endpoint(events=["job.completed"])
    make_endpoint(events=["job.failed"])
    job = JobFactory(owner=user, title="Spring", metadata={"crm_id": 42})
    video = GeneratedVideoFactory(owner=user, job=job, title="Spring")
    job_event(job, "completed")

    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.endpoint == endpoint and delivery.event_type == "job.completed"
    run_attempts(delivery)
    data = receiver.verify(receiver.wait_for(1)[0], endpoint.secret)["data"]
    assert data["job"]["id"] == str(job.pk) and data["job"]["status"] == "completed"
    assert data["job"]["metadata"] == {"crm_id": 42}
    assert data["job"]["status_url"].endswith(f"/api/ai-studio/generation-status/{job.pk}")
    assert data["video"]["id"] == str(video.pk) and data["video"]["urls"]["video"].startswith("http")


def test_a_failed_job_is_told_with_its_error(make_endpoint, user):
    make_endpoint(events=["job.failed"])
    job = JobFactory(owner=user, status=JobStatus.FAILED, error_code="speech_failed", error_message="No voice.")
    job_event(job, "failed")
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["type"] == "job.failed"
    assert delivery.payload["data"]["job"]["error"] == {"code": "speech_failed", "message": "No voice."}
    assert delivery.payload["data"]["video"] is None


@pytest.mark.parametrize("kind", ["queued", "started", "progress", "canceled", "completed", "failed"])
def test_the_after_commit_job_events_are_not_webhooks(make_endpoint, user, kind):
    """Only the outcome recorded in its transaction makes a delivery, so none is made twice."""
    make_endpoint(events=["job.completed", "job.failed"])
    job_changed.send(sender=None, job_id=JobFactory(owner=user).pk, owner_id=user.pk, kind=kind)
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db  # the test's transaction never commits: nothing after the commit runs
def test_a_failed_jobs_webhook_is_written_with_the_failure_not_after_the_commit(
        make_endpoint, user, django_capture_on_commit_callbacks):
    """A worker killed right after committing the failure loses no webhook: the deliveries are
    rows of that same transaction (their messages, sent after the commit, are swept up later)."""
    make_endpoint(events=["job.failed"])
    token = uuid.uuid4()
    job = JobFactory(owner=user, status=JobStatus.PROCESSING, lease_token=token, heartbeat_at=timezone.now(),
                     completed_at=None)
    with django_capture_on_commit_callbacks(execute=False):
        assert execution._fail(job, token, "speech_failed", "No voice.").status == "failed"
        (delivery,) = WebhookDelivery.objects.all()
    assert delivery.event_type == "job.failed" and delivery.payload["data"]["job"]["status"] == "failed"


def test_sharing_a_video_is_told_once(make_endpoint, user, receiver, run_attempts):
    endpoint = make_endpoint(events=["video.shared"])
    video = GeneratedVideoFactory(owner=user)
    link, created = sharing.share_video(video=video)
    assert created
    sharing.share_video(video=video)  # the same link again: no new event
    (delivery,) = WebhookDelivery.objects.all()
    run_attempts(delivery)
    data = receiver.verify(receiver.wait_for(1)[0], endpoint.secret)["data"]
    assert data["share"]["token"] == link.token and data["share"]["url"].endswith(f"/v/{link.token}")
    assert data["video"]["id"] == str(video.pk)


def test_a_callback_url_is_checked_like_an_endpoint_url(generate, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = generate(callback_url="http://127.0.0.1:8080/done")
    assert response.status_code == 400
    assert "loopback" in response.json()["error"]["fields"]["callback_url"][0]
    assert generate(callback_url="ftp://example.com/x").status_code == 400
    assert not VideoGenerationJob.objects.exists()


def test_without_a_callback_url_there_is_no_secret(generate):
    body = generate().json()
    assert body["callback_url"] is None and body["callback_secret"] is None


def test_a_jobs_callback_url_is_told_of_its_end_signed_with_the_jobs_own_secret(generate, auth_client, loopback,
                                                                               receiver, run_attempts, user):
    """Through the real pipeline (in process): the 202 shows the secret once; the completed job's
    event goes to the callback, signed with it, even without any endpoint."""
    submitted = generate(callback_url=receiver.url("/jobs/done"), script="Tell my server when you are done.")
    assert submitted.status_code == 202, submitted.json()
    job_id, secret = submitted.json()["id"], submitted.json()["callback_secret"]
    assert secret.startswith("whsec_") and submitted.json()["callback_url"] == receiver.url("/jobs/done")
    status = auth_client.get(f"/api/ai-studio/generation-status/{job_id}").json()
    assert "callback_secret" not in status and status["callback_url"] == receiver.url("/jobs/done")

    assert execution.execute_job(job_id).status == "completed"
    (delivery,) = WebhookDelivery.objects.filter(job_id=job_id)
    assert delivery.endpoint is None
    run_attempts(delivery)
    (request,) = receiver.wait_for(1)
    assert request.path == "/jobs/done"
    body = receiver.verify(request, secret)
    assert body["type"] == "job.completed" and body["data"]["video"]["job_id"] == job_id


def test_a_batch_whose_last_job_ends_is_told_once_with_its_counts(make_endpoint, user, receiver, run_attempts):
    endpoint = make_endpoint(events=["batch.completed"])
    make_endpoint(events=["job.completed"])
    batch = GenerationBatch.objects.create(owner=user, name="Stores", total_jobs=2)
    done = JobFactory(owner=user, batch=batch, batch_row=0, status=JobStatus.COMPLETED)
    last = JobFactory(owner=user, batch=batch, batch_row=1, status=JobStatus.PROCESSING)
    batch_progress.job_finished(batch.pk, user.pk)
    assert not WebhookDelivery.objects.filter(event_type="batch.completed").exists()  # one job still renders

    VideoGenerationJob.objects.filter(pk=last.pk).update(status=JobStatus.FAILED)
    batch_progress.job_finished(batch.pk, user.pk)
    batch_progress.job_finished(batch.pk, user.pk)  # a late second report: still one event

    (delivery,) = WebhookDelivery.objects.filter(event_type="batch.completed")
    assert delivery.endpoint == endpoint
    run_attempts(delivery)
    data = receiver.verify(receiver.wait_for(1)[0], endpoint.secret)["data"]["batch"]
    assert data["id"] == str(batch.pk) and data["name"] == "Stores" and data["status"] == "finished"
    assert data["counts"] == {"queued": 0, "processing": 0, "completed": 1, "failed": 1, "canceled": 0}
    assert data["download_url"].endswith(f"/api/ai-studio/batches/{batch.pk}/download")
    assert done.batch_id == batch.pk


@pytest.mark.django_db  # the test's transaction never commits: nothing after the commit runs
def test_a_batchs_completed_webhook_is_written_with_its_finish_not_after_the_commit(
        make_endpoint, user, django_capture_on_commit_callbacks):
    """A process dying right after the batch is marked finished loses no webhook (the dispatcher's
    safety net finishes only batches not yet marked, so it could not make it up)."""
    make_endpoint(events=["batch.completed"])
    batch = GenerationBatch.objects.create(owner=user, name="Stores", total_jobs=1)
    JobFactory(owner=user, batch=batch, batch_row=0, status=JobStatus.COMPLETED)
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        assert batch_progress.finish_if_done(batch.pk)
        (delivery,) = WebhookDelivery.objects.filter(event_type="batch.completed")
    assert after_commit  # the live stream's event still waits for the commit
    assert delivery.payload["data"]["batch"]["status"] == "finished"


def test_the_after_commit_batch_events_are_not_webhooks(make_endpoint, user):
    """Only the finish recorded in its transaction makes a delivery, so none is made twice."""
    make_endpoint(events=["batch.completed"])
    batch = GenerationBatch.objects.create(owner=user, name="Stores", total_jobs=0)
    for kind in ("created", "progress", "completed", "canceled"):
        batch_changed.send(sender=None, batch_id=batch.pk, owner_id=user.pk, kind=kind)
    assert not WebhookDelivery.objects.exists()


def test_a_batch_outcome_receiver_whose_query_fails_leaves_the_batch_finished(make_endpoint, user):
    make_endpoint(events=["batch.completed"])
    batch = GenerationBatch.objects.create(owner=user, name="Stores", total_jobs=1)
    JobFactory(owner=user, batch=batch, batch_row=0, status=JobStatus.FAILED)

    def broken(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")  # aborts its savepoint, not the finish

    batch_outcome.connect(broken, dispatch_uid="test.broken_batch_outcome")
    try:
        assert batch_progress.finish_if_done(batch.pk)
    finally:
        batch_outcome.disconnect(dispatch_uid="test.broken_batch_outcome")
    batch.refresh_from_db()
    assert batch.status == "finished" and batch.finished_at is not None


def test_staff_see_a_jobs_callback_url_but_not_its_secret(generate, staff_browser, loopback, receiver):
    job_id = generate(callback_url=receiver.url("/done")).json()["id"]
    job = VideoGenerationJob.objects.get(pk=job_id)
    page = staff_browser.get(f"/admin/ai_studio/videogenerationjob/{job_id}/change/")
    assert page.status_code == 200
    assert receiver.url("/done").encode() in page.content and job.callback_secret.encode() not in page.content
