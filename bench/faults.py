#!/usr/bin/env python
"""Fault tolerance of generation jobs: N jobs on PostgreSQL + Redis with 2 workers and beat, while
workers are SIGKILLed and Redis is restarted empty. Run by hand (it prints its figures):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reelmate .venv/bin/python bench/faults.py \\
        [--jobs 12] [--kills 6] [--redis-restarts 2] [--fault-every 5] [--restart-after 2]

It works in a throwaway database (created and dropped here) on that PostgreSQL server, a Redis
server of its own (testkit's, on a free port: the broker and the cache) and local file storage
in a temporary folder, with the production defaults for the lease and the dispatcher (override
them in the environment, e.g. GENERATION_LEASE_SECONDS=20 GENERATION_DISPATCH_SECONDS=5). Every
`--fault-every` seconds, while jobs remain, it does the next fault: SIGKILL a worker in the middle of
rendering a job no kill has hit yet (main process and pool child; a supervisor restarts it
`--restart-after` seconds later), or restart Redis empty.

Printed at the end: completed / duplicates / orphans / lost, and the recovery time after each
kind of fault (p50, p95, max):
- worker killed (one that is rendering: the job is read from its ffmpeg's command line): from the
  kill until that job is claimed by a new run;
- Redis restarted: from Redis being back until each queued or processing job's message was sent
  again, and until each job that was waiting is claimed by a run (this includes waiting for a free
  worker); and the time until the last of those jobs completed.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    raise SystemExit("set DATABASE_URL to a PostgreSQL server (a throwaway database is created there)")

from testkit.redis_server import RedisServer  # before Django: settings read REDIS_URL at import

REDIS = RedisServer().start()
VAR_DIR = Path(tempfile.mkdtemp(prefix="reelmate-bench-faults-"))
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "reelmate.settings", "REDIS_URL": REDIS.url(), "CELERY_BROKER_URL": REDIS.url(),
    "REELMATE_VAR_DIR": str(VAR_DIR), "LOG_LEVEL": "ERROR", "S3_ACCESS_KEY_ID": "", "S3_SECRET_ACCESS_KEY": "",
    "OPENAI_API_KEY": "",
})

import django

django.setup()

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from accounts.models import Plan, UserPlan
from accounts.tests.factories import UserFactory
from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from ai_studio.seeding.portraits import PortraitStyle, portrait_png
from ai_studio.services.catalog import set_avatar_portrait
from ai_studio.services.jobs import submit_job
from ai_studio.tests.catalog.factories import AvatarFactory, VoiceFactory
from testkit.worker import CeleryBeat, CeleryWorker, worker_environment

SCRIPT = ("Meet the new Rocket Shoes. Lighter than air, faster than ever. Tap the link and run further today! "
          "Rocket Shoes: the lightest pair we ever made, with a grip that holds on every trail.")
STYLE = PortraitStyle(skin="#F1C7A5", hair="#2B1B12", hair_style="long", clothing="#E4572E",
                      clothing_style="crew", background=("#1D3557", "#457B9D"))
ACTIVE = (JobStatus.QUEUED, JobStatus.PROCESSING)
WORKDIR = re.compile(r"reel-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-")


@dataclass
class Fault:
    kind: str  # "worker killed" | "Redis restarted"
    at: datetime  # the kill, or Redis back
    runs: dict[str, object]  # job id -> lease token of its run when the fault happened (None: queued)
    resumed: dict[str, float] = field(default_factory=dict)  # job id -> seconds until a new run claimed it
    resent: dict[str, float] = field(default_factory=dict)  # job id -> seconds until it was sent again
    completed: dict[str, float] = field(default_factory=dict)  # job id -> seconds until it completed


def seconds_since(moment: datetime, later: datetime) -> float:
    return round((later - moment).total_seconds(), 2)


def observe(fault: Fault) -> None:
    """Note, for each job the fault touched, when it was sent again, claimed by a new run, completed.

    """
    for job in VideoGenerationJob.objects.filter(pk__in=list(fault.runs)):
        key = str(job.pk)
        if job.dispatched_at and job.dispatched_at >= fault.at and key not in fault.resent:
            fault.resent[key] = seconds_since(fault.at, job.dispatched_at)
        new_run = job.lease_token != fault.runs[key] and job.started_at and job.started_at >= fault.at
        if new_run and key not in fault.resumed and (job.status == JobStatus.PROCESSING or job.lease_token is None):
            fault.resumed[key] = seconds_since(fault.at, job.started_at)
        if job.status == JobStatus.COMPLETED and key not in fault.completed:
            fault.completed[key] = seconds_since(fault.at, job.completed_at)


def snapshot() -> dict[str, object]:
    return {str(pk): token for pk, token in
            VideoGenerationJob.objects.filter(status__in=ACTIVE).values_list("pk", "lease_token")}


def rendering_jobs(workers: list[CeleryWorker]) -> dict[CeleryWorker, str]:
    """The job each worker is rendering right now, read from its ffmpeg's command line (the job's
    work folder is named after it); workers that are not rendering are left out."""
    found = {}
    for worker in workers:
        for pid in worker.child_pids() if worker.is_alive else []:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            match = WORKDIR.search(command)
            if "ffmpeg" in command and match:
                found[worker] = match.group(1)
    return found


def fault_plan(kills: int, redis_restarts: int) -> list[str]:
    """The Redis restarts spread among the kills: 6 and 2 give kill kill redis kill kill redis kill kill."""
    plan = ["kill"] * kills
    for n in range(redis_restarts, 0, -1):
        plan.insert(round(n * kills / (redis_restarts + 1)), "redis")
    return plan


def percentiles(values: list[float]) -> str:
    if not values:
        return "n=0"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"n={len(ordered)}, p50 {statistics.median(ordered):.1f} s, p95 {p95:.1f} s, "
            f"max {ordered[-1]:.1f} s")


def orphaned_files() -> list[str]:
    kept = set()
    for keys in GeneratedVideo.objects.values_list("video_key", "thumbnail_key", "audio_key", "captions_srt_key",
                                                    "captions_vtt_key"):
        kept.update(keys)
    media = Path(settings.MEDIA_ROOT)
    stored = {str(path.relative_to(media)) for path in (media / "users").rglob("*") if path.is_file()}
    return sorted(stored - kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--redis-restarts", type=int, default=2)
    parser.add_argument("--fault-every", type=float, default=5.0, help="seconds between faults")
    parser.add_argument("--restart-after", type=float, default=2.0, help="seconds before a killed worker restarts")
    parser.add_argument("--timeout", type=float, default=900.0)
    options = parser.parse_args()

    settings.DATABASES["default"]["TEST"]["NAME"] = f"bench_faults_{os.getpid()}"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    processes: list = []
    try:
        user = UserFactory()
        # No limits, and every job in flight at once (fair queueing would hold all but the plan's
        # share in the database): the faults hit a full render queue, as they did before it.
        bench_plan = Plan.objects.create(name="Bench", slug="bench", max_in_flight=options.jobs)
        UserPlan.objects.filter(user=user).update(plan=bench_plan)
        voice = VoiceFactory(provider="local", provider_voice_id="en_US-joe-medium")
        avatar = AvatarFactory(default_voice=voice)
        set_avatar_portrait(avatar, ContentFile(portrait_png(STYLE), name="bench.png"))
        env = worker_environment()
        workers = [CeleryWorker(env=env, log_path=VAR_DIR / f"worker-{n}.log") for n in (1, 2)]
        beat = CeleryBeat(env=env, schedule_path=VAR_DIR / "celerybeat-schedule", log_path=VAR_DIR / "beat.log")
        processes = [*workers, beat]
        for process in processes:
            process.start()
        print(f"{options.jobs} jobs (720p, {len(SCRIPT.split()) + 2} words), 2 workers (concurrency 1) + beat; lease "
              f"{settings.GENERATION_LEASE_SECONDS} s, dispatcher every {settings.GENERATION_DISPATCH_SECONDS} s; "
              f"{options.kills} worker kills, {options.redis_restarts} Redis restarts, one every "
              f"{options.fault_every:.0f} s", flush=True)

        jobs = [submit_job(owner=user, fields={"avatar": avatar, "voice": voice, "script": f"Reel {n}. {SCRIPT}",
                                               "title": f"Reel {n}", "resolution": "720p"},
                           idempotency_key=None, fingerprint="").job for n in range(options.jobs)]
        plan = fault_plan(options.kills, options.redis_restarts)
        faults: list[Fault] = []
        restarts: list[tuple[float, CeleryWorker]] = []
        started = time.monotonic()
        next_fault = started + options.fault_every
        while time.monotonic() - started < options.timeout:
            now = time.monotonic()
            for due, worker in list(restarts):
                if now >= due:
                    worker.start()
                    restarts.remove((due, worker))
            remaining = VideoGenerationJob.objects.filter(pk__in=[job.pk for job in jobs], status__in=ACTIVE).count()
            if not remaining and not restarts:
                break
            # Workers in the middle of rendering a job no kill has hit yet: the kills spread over the
            # jobs (a job whose worker dies GENERATION_MAX_ATTEMPTS times fails, by design: worker_lost).
            killed = {key for fault in faults if fault.kind == "worker killed" for key in fault.runs}
            victims = {worker: job_id for worker, job_id in rendering_jobs(workers).items() if job_id not in killed}
            if plan and remaining and now >= next_fault and (plan[0] == "redis" or victims):
                if plan.pop(0) == "kill":
                    victim, job_id = next(iter(victims.items()))
                    runs = {job_id: VideoGenerationJob.objects.get(pk=job_id).lease_token}
                    victim.kill()
                    faults.append(Fault("worker killed", timezone.now(), runs))
                    restarts.append((time.monotonic() + options.restart_after, victim))
                else:
                    runs = snapshot()
                    REDIS.restart_empty()
                    faults.append(Fault("Redis restarted", timezone.now(), runs))
                print(f"  {time.monotonic() - started:6.1f} s  {faults[-1].kind} ({len(runs)} jobs touched)",
                      flush=True)
                next_fault = time.monotonic() + options.fault_every
            for fault in faults:
                observe(fault)
            time.sleep(0.25)
        for fault in faults:
            observe(fault)

        states = dict(VideoGenerationJob.objects.filter(pk__in=[job.pk for job in jobs])
                      .values_list("status").annotate(n=Count("pk")))
        duplicates = sum(n - 1 for n in GeneratedVideo.objects.values("job").annotate(n=Count("pk"))
                         .values_list("n", flat=True) if n > 1)
        orphans = orphaned_files()
        completed = states.get(JobStatus.COMPLETED, 0)
        lost = sum(states.get(status, 0) for status in ACTIVE)
        print(f"\nafter {time.monotonic() - started:.0f} s: completed {completed}/{options.jobs}, duplicates "
              f"{duplicates}, orphans {len(orphans)}, lost {lost}, failed {states.get(JobStatus.FAILED, 0)}")
        for path in orphans[:10]:
            print(f"  orphan: {path}")
        for title, code, tries in VideoGenerationJob.objects.filter(status=JobStatus.FAILED).values_list(
                "title", "error_code", "attempts"):
            print(f"  failed: {title}: {code} after {tries} attempts")
        kills = [fault for fault in faults if fault.kind == "worker killed"]
        restarts_done = [fault for fault in faults if fault.kind == "Redis restarted"]
        print(f"worker killed ({len(kills)}), until its job is claimed by a new run: "
              f"{percentiles([s for fault in kills for s in fault.resumed.values()])}")
        print(f"Redis restarted empty ({len(restarts_done)}), until each active job was sent again: "
              f"{percentiles([s for fault in restarts_done for s in fault.resent.values()])}")
        waiting = [fault.resumed[key] for fault in restarts_done for key, token in fault.runs.items()
                   if token is None and key in fault.resumed]
        print(f"  until each job that was waiting is claimed (includes waiting for a free worker): "
              f"{percentiles(waiting)}")
        print(f"  until the last of them completed: "
              f"{percentiles([max(fault.completed.values()) for fault in restarts_done if fault.completed])}")
    finally:
        for process in processes:
            process.kill()
        REDIS.cleanup()
        connections.close_all()
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
