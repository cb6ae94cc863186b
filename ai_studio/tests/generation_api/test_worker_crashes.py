"""Workers die mid-job (SIGKILL, as the OOM killer does) and Redis restarts empty: every job still
completes exactly once, resumed by another run found by its lapsed lease — not by the broker's
visibility timeout, which is set to an hour here — and no file of a dead run is left behind.

Real processes throughout: a Redis server of the test's own, `celery worker` and `celery beat` as
the README starts them (or one worker with -B on the filesystem broker, as `make run` does).
The lease is 4 s and the dispatcher runs every second, to keep the tests short.
"""
from __future__ import annotations

import os
import signal

import pytest

from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from ai_studio.tests.generation_api.observe import assert_only_the_videos_files_are_stored, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCRIPT = "Meet the new Rocket Shoes. Lighter than air, faster than ever. Tap the link and run further today!"
FAST_RECOVERY = {"GENERATION_LEASE_SECONDS": "4", "GENERATION_DISPATCH_SECONDS": "1",
                 "CELERY_VISIBILITY_TIMEOUT": "3600"}
RUN_JOB = "ai_studio.tasks.run_generation_job"


def submit_and_wait_until_rendering(generate, auth_client) -> str:
    job_id = generate(script=" ".join([SCRIPT] * 2)).json()["id"]
    wait_for(auth_client, job_id, until=lambda body: body["stage"] == "rendering_video", timeout=90)
    return job_id


def assert_completed_once_on_a_second_run(auth_client, s3_server, job_id: str) -> VideoGenerationJob:
    final = wait_for(auth_client, job_id, timeout=150)["last"]
    assert final["status"] == "completed", final["error"]
    job = VideoGenerationJob.objects.get(pk=job_id)
    assert job.attempts >= 2  # the killed run, then the one that resumed it
    assert GeneratedVideo.objects.filter(job=job).count() == 1
    assert_only_the_videos_files_are_stored(s3_server, job)
    return job


def test_a_killed_workers_job_is_resumed_by_another_worker_through_its_lapsed_lease(
        private_redis, generate, auth_client, worker_factory, beat_factory, s3_server):
    workers = [worker_factory(env=FAST_RECOVERY), worker_factory(env=FAST_RECOVERY)]
    beat_factory(env=FAST_RECOVERY)
    job_id = submit_and_wait_until_rendering(generate, auth_client)
    [doomed] = [worker for worker in workers if f"{RUN_JOB}[" in worker.log_text()]
    [survivor] = [worker for worker in workers if worker is not doomed]

    os.kill(doomed.pid, signal.SIGKILL)  # the main process: its pool process goes down with it

    assert_completed_once_on_a_second_run(auth_client, s3_server, job_id)
    assert survivor.task_totals().get(RUN_JOB, 0) >= 1
    assert doomed.pids() == []


def test_a_killed_pool_process_is_replaced_and_its_job_resumed_without_beat(
        private_redis, generate, auth_client, worker_factory, s3_server):
    """The main process survives and requeues the message (reject on worker lost); the new pool
    process finds the lease still alive and looks again when it lapses (the `busy` path)."""
    worker = worker_factory(env=FAST_RECOVERY)
    job_id = submit_and_wait_until_rendering(generate, auth_client)
    [child] = worker.child_pids()

    os.kill(child, signal.SIGKILL)

    assert_completed_once_on_a_second_run(auth_client, s3_server, job_id)
    assert worker.is_alive and child not in worker.child_pids()


def test_in_the_embedded_default_a_restarted_worker_resumes_the_job_of_the_one_killed(
        embedded_broker, generate, auth_client, worker_factory, s3_server, tmp_path):
    """`make run`: one worker with beat embedded (-B), on the filesystem broker — which deletes a
    message as it is taken, so only the dispatcher can bring the killed job back."""
    env = {**embedded_broker, **FAST_RECOVERY}
    embedded_beat = ("-B", "--schedule", str(tmp_path / "celerybeat-schedule"))
    doomed = worker_factory(env=env, extra_args=embedded_beat)
    job_id = submit_and_wait_until_rendering(generate, auth_client)

    doomed.kill()
    worker_factory(env=env, extra_args=embedded_beat)

    assert_completed_once_on_a_second_run(auth_client, s3_server, job_id)


def test_after_redis_restarts_empty_every_queued_and_processing_job_completes_once(
        private_redis, generate, auth_client, worker_factory, beat_factory, s3_server):
    worker_factory(env=FAST_RECOVERY)
    beat = beat_factory(env=FAST_RECOVERY)
    running = submit_and_wait_until_rendering(generate, auth_client)
    waiting = generate(script=SCRIPT).json()["id"]  # behind it: the only worker is busy
    assert VideoGenerationJob.objects.get(pk=waiting).status == JobStatus.QUEUED

    private_redis.restart_empty()  # every message is gone, the unacknowledged one included

    for job_id in (running, waiting):
        final = wait_for(auth_client, job_id, timeout=150)["last"]
        assert final["status"] == "completed", final["error"]
        assert GeneratedVideo.objects.filter(job_id=job_id).count() == 1
    # The waiting job's message was lost with the rest: the dispatcher noticed and sent both again.
    assert "the broker had lost its messages" in beat.log_text()
