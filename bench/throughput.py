#!/usr/bin/env python
"""Throughput and cost per reel with real workers: a batch of jobs on PostgreSQL + Redis, run by
1 and then 2 worker processes. Run by hand (it prints its figures):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reelmate .venv/bin/python bench/throughput.py \\
        [--jobs 50] [--workers 1 2] [--resolution 1080p|720p] [--timeout 3600]
        [--personalised] [--speech-cache on off]

It works in a throwaway database (created and dropped here) on that PostgreSQL server, a Redis
server of its own (testkit's, on a free port: the broker and the cache) and local file storage in
a temporary folder. One user with no plan limits submits ``--jobs`` jobs through the service
(``ai_studio.services.jobs.submit_job``), as the API does: a starter avatar with its lip-sync
rig, the local Piper voice, captions, 9:16 at ``--resolution``, scripts cycling through four
lengths from tiny to medium (SCRIPTS: 9, 24, 47 and 81 words, ~3-28 s of speech). With
``--personalised`` the jobs are one batch instead (``POST /api/ai-studio/batches``, as a marketer
sends it): PERSONALISED, a ~20 s script whose ``{{store}}`` is filled by each row with a store of its
own (STORES), so 2 of its 6 sentences differ from row to row. The workers are real ``celery worker``
processes (testkit/worker.py: prefork, concurrency 1, like production), with beat for the
dispatcher; each phase waits until every job of its batch has finished.

The workers speak through the machine's speech cache (SPEECH_CACHE_MAX_MB; a fresh, empty folder for
each phase, shared by its workers), or without it: ``--speech-cache on off`` runs every phase with
it and then without it. The sentences spoken and those found in the cache are counted from the
workers' logs.

Printed per phase (1 worker, then 2):
- reels per hour per core: by the clock (completed reels over the batch's wall time, divided by
  the machine's cores: a single worker's ffmpeg uses all of them) and by the CPU (3600 over the
  CPU-seconds per reel: what one fully used core would make; steadier on a shared machine);
- CPU-seconds per second of video, the workers' whole process trees (main process, pool process,
  its ffmpeg), against the baseline measured first in the same run: a bare x264 encode of a still
  of the same size with the render's encoder settings (bench/render.py's ``bare_encode``), per
  second of video; and their ratio;
- peak memory per worker: its pool process's high-water mark, its ffmpeg's, the most both held at
  one moment, the pool process's proportional share (PSS: pages shared with the main process
  counted once across them), and the main process's.
"""
from __future__ import annotations

import argparse
import itertools
import os
import re
import resource
import secrets
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    raise SystemExit("set DATABASE_URL to a PostgreSQL server (a throwaway database is created there)")

from testkit.redis_server import RedisServer  # before Django: settings read REDIS_URL at import

REDIS = RedisServer().start()
VAR_DIR = Path(tempfile.mkdtemp(prefix="reelmate-bench-throughput-"))
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "reelmate.settings", "REDIS_URL": REDIS.url(), "CELERY_BROKER_URL": REDIS.url(),
    "REELMATE_VAR_DIR": str(VAR_DIR), "LOG_LEVEL": "ERROR", "S3_ACCESS_KEY_ID": "", "S3_SECRET_ACCESS_KEY": "",
    "OPENAI_API_KEY": "", "THROTTLE_GENERATION": "100000/m",
})
os.environ.setdefault("ALLOWED_HOSTS", "testserver")  # the batch is POSTed through Django's test client
# Workers as in production (DEBUG off: Django would otherwise keep every query in memory), with a
# throwaway key.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django

django.setup()

from django.core.files.base import ContentFile
from django.db import connection, connections
from django.db.models import Count, Sum
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import LIMIT_NAMES, Plan
from accounts.tests.factories import UserFactory
from ai_studio.generation.rig import rig_zip_bytes
from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from ai_studio.seeding.portraits import draw_rig
from ai_studio.services.catalog import set_avatar_rig
from ai_studio.services.jobs import submit_job
from ai_studio.tests.catalog.factories import AvatarFactory, VoiceFactory
from bench.render import STYLE, bare_encode
from testkit import group_pids
from testkit.worker import CeleryBeat, CeleryWorker, worker_environment

SCRIPTS = (
    "Meet Rocket Shoes. Lighter than air. Run today!",
    "Meet the new Rocket Shoes. Lighter than air, faster than ever, with a grip that holds on every "
    "trail. Tap the link and run further today!",
    "Tired of shoes that slow you down? Meet Rocket Shoes, the lightest pair we ever made. The foam "
    "gives back every step, the grip holds on wet rock, and the mesh keeps your feet cool for hours. "
    "Tap the link, pick your colour, and run further today!",
    "Tired of spending hours editing videos? Meet ReelMate, the fastest way to turn a few lines of "
    "text into a scroll-stopping reel. Pick an avatar, paste your script, and choose your brand "
    "colours. ReelMate writes the captions, gives your avatar a natural voice, and renders a polished "
    "vertical video in seconds. No camera, no studio, no editing skills needed. Post more often, test "
    "more ideas, and grow your audience faster. Try ReelMate free today and publish your first reel "
    "in minutes.",
)
# One script personalised for many stores: the sentences naming the store differ from row to row.
PERSONALISED = (
    "Big news for {{store}}! Rocket Shoes land on our shelves this Monday. They are the lightest pair we "
    "ever made, with foam that gives back every step and a grip that holds on wet rock. The breathable mesh "
    "keeps your feet cool for hours, even on the longest run. Come and try a pair at {{store}}, and ask about "
    "our launch week offer. Rocket Shoes: run further, starting today."
)
STORES = tuple(f"{place} {kind}" for kind, place in itertools.product(
    ("Mall", "High Street", "Retail Park", "Outlet", "Plaza"),
    ("Northgate", "Riverside", "Hillcrest", "Lakeside", "Old Town", "Harbour", "Westfield", "Kingsway",
     "Meadowbank", "Stonebridge", "Elm Park", "Castlegate", "Brookfield", "Seaview", "Parkhead", "Millbrook",
     "Ashford", "Fairview", "Greenhill", "Oakwood")))
SIZES = {"1080p": (1080, 1920), "720p": (720, 1280)}
SPOKEN = re.compile(r"spoke (\d+) sentences, (\d+) from the speech cache")
FINISHED = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)
SAMPLE_SECONDS = 0.1
PSS_EVERY = 10  # samples: smaps_rollup costs more to read than status


@dataclass
class WorkerMemory:
    """Peaks of one worker's processes, in MB."""

    main: float = 0.0
    pool: float = 0.0
    pool_pss: float = 0.0
    ffmpeg: float = 0.0
    pool_and_ffmpeg: float = 0.0


@dataclass
class Phase:
    workers: int
    speech_cache: bool = True
    jobs: list = field(default_factory=list)
    sentences: int = 0  # spoken by the workers
    cached: int = 0  # of which found in the speech cache
    wall: float = 0.0
    cpu: float = 0.0
    memory: list[WorkerMemory] = field(default_factory=list)


def clock_ticks(stat: str) -> int:
    """utime + stime + cutime + cstime from /proc/PID/stat: the process's CPU and its reaped children's."""
    fields = stat.rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15])


def tree_cpu_seconds(workers: list[CeleryWorker]) -> float:
    """CPU-seconds of the workers' process trees so far: each live process's own and its reaped
    children's (a pool process's finished ffmpeg runs are in its cutime)."""
    ticks = 0
    for worker in workers:
        for pid in group_pids(worker.pid):
            try:
                ticks += clock_ticks(Path(f"/proc/{pid}/stat").read_text())
            except OSError:
                continue
    return ticks / os.sysconf("SC_CLK_TCK")


def status_mb(pid: int, name: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def parent_pid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


class MemoryWatch(threading.Thread):
    """Samples each worker's processes: main, pool process(es), and what they run (ffmpeg)."""

    def __init__(self, workers: list[CeleryWorker]) -> None:
        super().__init__(daemon=True)
        self.workers = workers
        self.peaks = [WorkerMemory() for _ in workers]
        self.stopped = threading.Event()

    def run(self) -> None:
        samples = 0
        while not self.stopped.wait(SAMPLE_SECONDS):
            samples += 1
            for worker, peak in zip(self.workers, self.peaks, strict=True):
                pids = group_pids(worker.pid)
                pool = [pid for pid in pids if parent_pid(pid) == worker.pid]
                peak.main = max(peak.main, status_mb(worker.pid, "VmHWM"))
                for pid in pool:
                    peak.pool = max(peak.pool, status_mb(pid, "VmHWM"))
                    if samples % PSS_EVERY == 0:
                        peak.pool_pss = max(peak.pool_pss, pss_mb(pid))
                    running = [child for child in pids if parent_pid(child) == pid]
                    for child in running:
                        peak.ffmpeg = max(peak.ffmpeg, status_mb(child, "VmHWM"))
                    together = status_mb(pid, "VmRSS") + sum(status_mb(child, "VmRSS") for child in running)
                    peak.pool_and_ffmpeg = max(peak.pool_and_ffmpeg, together)

    def stop(self) -> list[WorkerMemory]:
        self.stopped.set()
        self.join()
        return self.peaks


def baseline_cpu_per_second(resolution: str, folder: Path, seconds: float = 30.0) -> float:
    """bench/render.py's bare encode (a grainy still, the render's x264 and AAC settings) of
    ``seconds`` of video with silent audio: CPU-seconds of ffmpeg per second of video."""
    folder.mkdir(parents=True)
    audio = folder / "silence.wav"
    with wave.open(str(audio), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(48000)
        wav.writeframes(b"\0\0" * int(48000 * seconds))
    width, height = SIZES[resolution]
    plan = {"width": width, "height": height, "fps": 30, "duration": seconds, "audio": str(audio),
            "audio_duration": seconds, "preset": os.environ.get("RENDER_PRESET", "veryfast"),
            "crf": int(os.environ.get("RENDER_CRF", "23")), "threads": int(os.environ.get("RENDER_THREADS", "0"))}
    _, cpu = bare_encode(folder, plan)
    return cpu / seconds


def run_phase(workers_count: int, speech_cache: bool, options: argparse.Namespace, user, avatar, voice,
              env: dict[str, str]) -> Phase:
    phase = Phase(workers_count, speech_cache)
    name = f"{workers_count}w-cache-{'on' if speech_cache else 'off'}"
    # A fresh cache per phase, shared by its workers as on one machine.
    env = {**env, "SPEECH_CACHE_DIR": str(VAR_DIR / f"speech-cache-{name}")}
    if not speech_cache:
        env["SPEECH_CACHE_MAX_MB"] = "0"
    logs = [VAR_DIR / f"worker-{name}-{n}.log" for n in range(workers_count)]
    workers = [CeleryWorker(env=env, log_path=log) for log in logs]
    for worker in workers:
        worker.start()
    try:
        cpu_before = tree_cpu_seconds(workers)
        watch = MemoryWatch(workers)
        watch.start()
        started = time.monotonic()
        if options.personalised:
            phase.jobs = submit_batch(user, avatar, voice, options, name)
        else:
            for n in range(options.jobs):
                script = SCRIPTS[n % len(SCRIPTS)]
                phase.jobs.append(submit_job(owner=user, fields={
                    "avatar": avatar, "voice": voice, "script": script, "title": f"{workers_count}w reel {n}",
                    "resolution": options.resolution, "aspect_ratio": "9:16",
                }, idempotency_key=None, fingerprint="").job.pk)
        pending = VideoGenerationJob.objects.filter(pk__in=phase.jobs).exclude(status__in=FINISHED)
        while pending.exists():
            if time.monotonic() - started > options.timeout:
                print(f"  timed out with {pending.count()} jobs unfinished", flush=True)
                break
            time.sleep(0.5)
        phase.wall = time.monotonic() - started
        phase.cpu = tree_cpu_seconds(workers) - cpu_before
        phase.memory = watch.stop()
    finally:
        for worker in workers:
            worker.kill()
    for log in logs:
        for spoken, cached in SPOKEN.findall(log.read_text(errors="replace") if log.exists() else ""):
            phase.sentences += int(spoken)
            phase.cached += int(cached)
    return phase


def submit_batch(user, avatar, voice, options: argparse.Namespace, name: str) -> list:
    """One batch of ``--jobs`` rows of PERSONALISED, each for a store, POSTed as the API's clients do."""
    rows = [{"store": STORES[n % len(STORES)] + (f" {n // len(STORES) + 1}" if n >= len(STORES) else "")}
            for n in range(options.jobs)]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    response = client.post("/api/ai-studio/batches", {
        "name": name, "script": PERSONALISED, "rows": rows,
        "settings": {"avatar_id": avatar.pk, "voice_id": voice.pk, "title": "Rocket Shoes at {{store}}",
                     "resolution": options.resolution, "aspect_ratio": "9:16"},
    }, format="json")
    if response.status_code != 202:
        raise SystemExit(f"the batch was refused: {response.status_code} {response.content[:500]!r}")
    return list(VideoGenerationJob.objects.filter(batch_id=response.json()["id"]).values_list("pk", flat=True))


def report(phase: Phase, baseline: float) -> None:
    jobs = VideoGenerationJob.objects.filter(pk__in=phase.jobs)
    states = dict(jobs.values_list("status").annotate(n=Count("pk")))
    videos = GeneratedVideo.objects.filter(job__in=phase.jobs)
    completed = videos.count()
    seconds = videos.aggregate(total=Sum("duration_seconds"))["total"] or 0.0
    cores = os.cpu_count() or 1  # a worker's ffmpeg uses every core, even with one worker
    cache = "on" if phase.speech_cache else "off"
    print(f"--- {phase.workers} worker process{'es' if phase.workers > 1 else ''} (concurrency 1 each), speech cache "
          f"{cache}, on "
          f"{cores} cores: {completed}/{len(phase.jobs)} completed "
          f"({', '.join(f'{n} {status}' for status, n in sorted(states.items()))}), {seconds:.0f} s of video "
          f"in {phase.wall:.0f} s; load average {os.getloadavg()[0]:.1f}")
    if not completed:
        return
    per_reel = phase.cpu / completed
    print(f"  reels per hour per core: {completed / phase.wall * 3600 / cores:.0f} by the clock, "
          f"{3600 / per_reel:.0f} by the CPU ({per_reel:.2f} CPU-s per reel, {seconds / completed:.1f} s of video "
          "on average)")
    per_second = phase.cpu / seconds
    print(f"  CPU-seconds per second of video: {per_second:.3f}; bare encode {baseline:.3f}: "
          f"{per_second / baseline:.2f}x")
    if phase.speech_cache:
        synthesised = phase.sentences - phase.cached
        print(f"  sentences spoken: {phase.sentences}, {phase.cached} of them from the speech cache "
              f"({synthesised} synthesised, {synthesised / completed:.1f} per reel)")
    for n, memory in enumerate(phase.memory, 1):
        print(f"  worker {n} peak memory: pool process {memory.pool:.0f} MB (PSS {memory.pool_pss:.0f} MB) + its "
              f"ffmpeg {memory.ffmpeg:.0f} MB = {memory.pool + memory.ffmpeg:.0f} MB; at one moment at most "
              f"{memory.pool_and_ffmpeg:.0f} MB; main process {memory.main:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=50, help="jobs per phase")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker processes of each phase")
    parser.add_argument("--resolution", default="1080p", choices=tuple(SIZES))
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per phase")
    parser.add_argument("--personalised", action="store_true",
                        help="one batch of a script with a {{store}} per row, instead of four scripts in turn")
    parser.add_argument("--speech-cache", nargs="+", default=["on"], choices=("on", "off"),
                        help="run each phase with the speech cache (fresh per phase), without it, or both in turn")
    options = parser.parse_args()

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    if used.ru_utime + used.ru_stime > 1:
        print("(children already used CPU: the baseline below is measured on top)")
    baseline = baseline_cpu_per_second(options.resolution, VAR_DIR / "baseline")
    print(f"baseline: bare x264 encode of a {options.resolution} still, {baseline:.3f} CPU-s per second of video",
          flush=True)
    from django.conf import settings

    settings.DATABASES["default"]["TEST"]["NAME"] = f"bench_throughput_{os.getpid()}"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    beat = None
    try:
        user = UserFactory()
        Plan.objects.update(**dict.fromkeys(LIMIT_NAMES))  # no limits: the batch is the point
        voice = VoiceFactory(provider="local", provider_voice_id="en_US-joe-medium")
        avatar = AvatarFactory(default_voice=voice)
        set_avatar_rig(avatar, ContentFile(rig_zip_bytes(draw_rig(STYLE)), name="rig.zip"))
        env = worker_environment()
        beat = CeleryBeat(env=env, schedule_path=VAR_DIR / "celerybeat-schedule", log_path=VAR_DIR / "beat.log")
        beat.start()
        words = sorted({len(script.split()) for script in SCRIPTS})
        scripts = (f"one batch of a {len(PERSONALISED.split())}-word script with a {{{{store}}}} per row"
                   if options.personalised else f"scripts of {', '.join(map(str, words))} words in turn")
        print(f"{options.jobs} jobs per phase: lip-synced {options.resolution} 9:16 reels, local Piper voice, "
              f"captions; {scripts}; RENDER_THREADS={settings.RENDER_THREADS}; SPEECH_CACHE_MAX_MB="
              f"{settings.SPEECH_CACHE_MAX_MB:g}", flush=True)
        for workers, cache in itertools.product(options.workers, options.speech_cache):
            report(run_phase(workers, cache == "on", options, user, avatar, voice, env), baseline)
    finally:
        if beat is not None:
            beat.kill()
        REDIS.cleanup()
        connections.close_all()
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
