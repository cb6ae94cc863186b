"""Batches on real worker processes (Redis broker, PostgreSQL, S3): fair to other users, and never a job
rendered twice however many workers share a batch.

Fairness is asserted on order, not time: with user A's 200-job batch queued, user B's single job
starts after at most one more of A's jobs has started, i.e. within about one job's time on one
worker. Scripts are a few words, so each job is quick.
"""
from __future__ import annotations

import time

import pytest

from accounts.models import Plan, UserPlan
from ai_studio.models import BatchStatus, GeneratedVideo, GenerationBatch, JobStatus, VideoGenerationJob
from ai_studio.services import dispatch
from ai_studio.tests.generation_api.observe import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST = {"GENERATION_DISPATCH_SECONDS": "1", "GENERATION_LEASE_SECONDS": "8"}
RUN_JOB = "ai_studio.tasks.run_generation_job"


def give_share(user, max_in_flight: int) -> None:
    plan = Plan.objects.create(name=f"Share of {user.pk}", slug=f"share-{user.pk}", max_in_flight=max_in_flight)
    UserPlan.objects.filter(user=user).update(plan=plan)


def post_batch(client, avatar, voice, rows: int) -> str:
    response = client.post("/api/ai-studio/batches", {
        "script": "Hi {{name}}.", "settings": {"avatar_id": avatar.pk, "voice_id": voice.pk},
        "rows": [{"name": f"store {n}"} for n in range(rows)]}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()["id"]


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not {what} after {timeout} s")


def wait_for_batch(client, batch_id: str, timeout: float = 300) -> dict:
    return wait_until(lambda: (body := client.get(f"/api/ai-studio/batches/{batch_id}").json())["finished_at"]
                      and body, timeout, f"batch {batch_id} finished")


def test_another_users_job_starts_within_one_job_of_a_200_job_batch(
        auth_client, other_client, user, avatar, voice, generate, worker_factory):
    give_share(user, 2)
    worker_factory(env=FAST)  # one worker, one job at a time
    batch_id = post_batch(auth_client, avatar, voice, rows=200)
    wait_until(lambda: VideoGenerationJob.objects.filter(batch_id=batch_id, started_at__isnull=False).exists(),
               90, "the batch started")

    b_job = generate(client=other_client, script="Hello there.").json()["id"]
    final = wait_for(other_client, b_job, timeout=180)["last"]
    assert final["status"] == "completed", final["error"]

    b = VideoGenerationJob.objects.get(pk=b_job)
    a_jobs = VideoGenerationJob.objects.filter(batch_id=batch_id)
    overtaking = a_jobs.filter(started_at__gt=b.created_at, started_at__lt=b.started_at).count()
    # A's share is 2: one rendering and one on the queue when B arrived. B's job, its owner's only one
    # in flight, is sent ahead of A's second: it starts when A's current job ends (at most one more of
    # A's jobs may start first, if A's job ends in the instant between B's commit and its message).
    assert overtaking <= 1, f"{overtaking} of A's jobs started between B's submission and its start"
    assert a_jobs.filter(started_at__isnull=False).count() < 10  # the batch was not all sent ahead of B

    canceled = auth_client.post(f"/api/ai-studio/batches/{batch_id}/cancel").json()
    assert canceled["status"] == "canceled"
    assert wait_for_batch(auth_client, batch_id, timeout=120)["counts"]["queued"] == 0


def test_workers_sharing_a_batch_render_each_job_exactly_once(
        auth_client, user, avatar, voice, worker_factory, beat_factory):
    give_share(user, 4)
    workers = [worker_factory(env=FAST), worker_factory(env=FAST)]
    beat_factory(env=FAST)
    batch_id = post_batch(auth_client, avatar, voice, rows=8)
    # Every released job's message is sent a second time: two workers may both receive one job.
    for job_id in VideoGenerationJob.objects.filter(dispatch.IN_FLIGHT, batch_id=batch_id).values_list("pk", flat=True):
        assert dispatch.send_job(job_id)

    body = wait_for_batch(auth_client, batch_id)

    assert body["counts"]["completed"] == 8 and body["status"] == "finished" and body["progress"] == 100
    jobs = VideoGenerationJob.objects.filter(batch_id=batch_id)
    assert {(job.status, job.attempts) for job in jobs} == {(JobStatus.COMPLETED, 1)}  # no worker died: one run
    assert GeneratedVideo.objects.filter(job__batch_id=batch_id).count() == 8  # one video per job
    assert all(worker.task_totals().get(RUN_JOB, 0) > 0 for worker in workers)  # both took part
    assert GenerationBatch.objects.get(pk=batch_id).status == BatchStatus.FINISHED
