#!/usr/bin/env python
"""Fair queueing, measured: how long user B's single job waits while user A's 200-job batch is queued
on the same worker, against the time of one job on that worker measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reelmate .venv/bin/python bench/fairness.py \\
        [--rows 200] [--share 2] [--workers 1]

Like bench/faults.py it works in a throwaway database on that PostgreSQL server, a Redis server of
its own (broker and cache) and local file storage in a temporary folder; `--workers` worker
processes (concurrency 1) and beat. Jobs are short (a sentence, 720p) so that the run takes a few
minutes. Steps:

1. baseline: B submits one job to the idle workers: its wait (submitted → started) and its time
   (started → completed);
2. A queues a batch of `--rows` jobs, with `--share` jobs in flight (its plan's max_in_flight);
3. once A's jobs have been rendering for a while, B submits one job while one of A's is in its
   render stage: B's wait, and how many of A's jobs started between B's submission and B's start;
4. A's batch is canceled, and the run cleaned up.

Printed: B's wait behind the batch beside one job's time (the ratio is the target: about 1), and
what B would have waited had the whole batch been sent to the queue at once (A's jobs queued ahead
of it × the job time measured here).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    raise SystemExit("set DATABASE_URL to a PostgreSQL server (a throwaway database is created there)")

from testkit.redis_server import RedisServer  # before Django: settings read REDIS_URL at import

REDIS = RedisServer().start()
VAR_DIR = Path(tempfile.mkdtemp(prefix="reelmate-bench-fairness-"))
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "reelmate.settings", "REDIS_URL": REDIS.url(), "CELERY_BROKER_URL": REDIS.url(),
    "REELMATE_VAR_DIR": str(VAR_DIR), "LOG_LEVEL": "ERROR", "S3_ACCESS_KEY_ID": "", "S3_SECRET_ACCESS_KEY": "",
    "OPENAI_API_KEY": "", "GENERATION_DISPATCH_SECONDS": os.environ.get("GENERATION_DISPATCH_SECONDS", "2"),
})

import django

django.setup()

from django.core.files.base import ContentFile
from django.db import connection

from accounts.models import Plan, UserPlan
from accounts.tests.factories import UserFactory
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.seeding.portraits import PortraitStyle, portrait_png
from ai_studio.services.batches import NewBatch, cancel_batch, create_batch
from ai_studio.services.catalog import set_avatar_portrait
from ai_studio.services.jobs import submit_job
from ai_studio.tests.catalog.factories import AvatarFactory, VoiceFactory
from testkit.worker import CeleryBeat, CeleryWorker, worker_environment

STYLE = PortraitStyle(skin="#F1C7A5", hair="#2B1B12", hair_style="long", clothing="#E4572E",
                      clothing_style="crew", background=("#1D3557", "#457B9D"))
FINAL = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)


def wait_until(condition, timeout: float = 600.0, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise SystemExit(f"gave up after {timeout:.0f} s")


def finished(job_id) -> VideoGenerationJob | None:
    job = VideoGenerationJob.objects.get(pk=job_id)
    return job if job.status in FINAL else None


def single_job(owner, avatar, voice, text: str) -> VideoGenerationJob:
    fields = {"avatar": avatar, "voice": voice, "script": text, "title": text, "resolution": "720p"}
    job = submit_job(owner=owner, fields=fields, idempotency_key=None, fingerprint="").job
    done = wait_until(lambda: finished(job.pk))
    if done.status != JobStatus.COMPLETED:
        raise SystemExit(f"B's job {done.status}: {done.error_code} {done.error_message}")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--share", type=int, default=2, help="A's plan's max_in_flight")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warmup-jobs", type=int, default=3, help="A's jobs to complete before B submits")
    options = parser.parse_args()

    from django.conf import settings
    settings.DATABASES["default"]["TEST"]["NAME"] = f"bench_fairness_{os.getpid()}"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    processes: list = []
    try:
        a, b = UserFactory(), UserFactory()
        plan = Plan.objects.create(name="Bench share", slug="bench-share", max_in_flight=options.share)
        UserPlan.objects.filter(user=a).update(plan=plan)
        voice = VoiceFactory(provider="local", provider_voice_id="en_US-joe-medium")
        avatar = AvatarFactory(default_voice=voice)
        set_avatar_portrait(avatar, ContentFile(portrait_png(STYLE), name="bench.png"))
        env = worker_environment()
        processes = [CeleryWorker(env=env, log_path=VAR_DIR / f"worker-{n}.log") for n in range(options.workers)]
        processes.append(CeleryBeat(env=env, schedule_path=VAR_DIR / "celerybeat-schedule",
                                    log_path=VAR_DIR / "beat.log"))
        for process in processes:
            process.start()
        print(f"{options.workers} worker(s) (concurrency 1) + beat; A: {options.rows}-job batch, "
              f"{options.share} in flight; jobs: one sentence, 720p", flush=True)

        single_job(b, avatar, voice, "Warming up the worker.")  # first job loads the voice model
        baseline = single_job(b, avatar, voice, "Hello from user B, on idle workers.")
        job_seconds = (baseline.completed_at - baseline.started_at).total_seconds()
        idle_wait = (baseline.started_at - baseline.created_at).total_seconds()

        rows = [{"avatar": avatar, "voice": voice, "script": f"Hello store number {n}, see you soon.",
                 "title": f"Store {n}", "resolution": "720p", "campaign": None} for n in range(options.rows)]
        batch = create_batch(owner=a, batch=NewBatch(name="bench", template=None, script="", campaign=None,
                                                     settings={}, source="json", rows=rows),
                             idempotency_key=None, fingerprint="").batch
        a_jobs = VideoGenerationJob.objects.filter(batch=batch)
        wait_until(lambda: a_jobs.filter(status=JobStatus.COMPLETED).count() >= options.warmup_jobs)
        # B arrives in the middle of one of A's jobs (not just as one ends, when the worker is taking the next).
        wait_until(lambda: a_jobs.filter(status=JobStatus.PROCESSING, stage="rendering_video").exists(), step=0.05)
        a_seconds = [(job.completed_at - job.started_at).total_seconds()
                     for job in a_jobs.filter(status=JobStatus.COMPLETED)]
        a_job_seconds = sum(a_seconds) / len(a_seconds)

        contended = single_job(b, avatar, voice, "Hello from user B, behind a batch.")
        wait = (contended.started_at - contended.created_at).total_seconds()
        overtaking = a_jobs.filter(started_at__gt=contended.created_at, started_at__lt=contended.started_at).count()
        ahead_unfair = a_jobs.filter(created_at__lt=contended.created_at).exclude(
            completed_at__lt=contended.created_at).count()
        cancel_batch(batch)

        print(f"\none job on the idle worker(s) (baseline): {job_seconds:.2f} s rendering, {idle_wait:.2f} s from "
              f"submission to start; A's jobs: {a_job_seconds:.2f} s each ({len(a_seconds)} measured)")
        print(f"B's job behind A's batch: waited {wait:.2f} s = {wait / job_seconds:.2f}x one job's time "
              f"(target: about 1x); {overtaking} of A's jobs started between B's submission and its start")
        unfair = ahead_unfair * a_job_seconds / options.workers
        print(f"had the whole batch been sent to the queue at once: {ahead_unfair} of A's jobs ahead of B, "
              f"about {unfair:.0f} s = {unfair / job_seconds:.0f}x one job's time")
    finally:
        for process in reversed(processes):
            process.stop()
        connection.creation.destroy_test_db(test_db, verbosity=0)
        REDIS.cleanup()


if __name__ == "__main__":
    main()
