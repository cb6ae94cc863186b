#!/usr/bin/env python
"""API speed under the production server: wrk against gunicorn (2 workers) on PostgreSQL and Redis.

Run by hand (it prints its figures):

    source /work/wt/<you>.env   # or set DATABASE_URL (PostgreSQL) and REDIS_URL yourself
    .venv/bin/python bench/api.py [--duration 5] [--jobs 60] [--connections 8] [--rounds 1]
                                  [--server asgi|wsgi|"<command>"]...

It works in a throwaway database (`<your database>_bench_api`, created, migrated and dropped here)
on that PostgreSQL server and the given Redis database, with DEBUG off, a random SECRET_KEY,
ALLOWED_HOSTS=127.0.0.1 and S3 storage configured (presigned URLs are signed locally: nothing is
sent to the S3 endpoint, which is a closed port on loopback). It seeds one user with `--jobs`
completed jobs, each with its video (the worst case for the lists: every row carries presigned
URLs), and by default measures two servers one after the other (`--server`, repeatable, picks):

- `asgi`, the production command (the Dockerfile's, with 2 workers): gunicorn reelmate.asgi:application
  --worker-class uvicorn_worker.UvicornWorker --workers 2 --access-logfile -
- `wsgi`: gunicorn reelmate.wsgi:application --workers 2 --access-logfile - (sync workers)

(another command: `{bind}` is replaced by 127.0.0.1:<free port>). Both log every request, as
deployed. Measured with wrk (`apt-get install -y wrk`):

- p50 / p99 latency with 1 connection, and requests/s with `--connections` connections,
- the server's CPU time per request during the requests/s run (user + system of all its processes,
  from /proc): steadier than the timings on a shared machine, where the other loads take the cores,
- for GET /api/health/live (the baseline: the server, no database, no authentication; measured
  first and last, the figures are their mean), /api/ai-studio/generation-status/:id, the job list
  (/api/ai-studio/generation-jobs) and the video list (/api/ai-studio/generated-videos),
- with `--rounds N`, every server started at once and measured in turn N times (an A/B by alternation
  on a shared machine: e.g. the old code with `--chdir <an export of it>` against this tree), then
  each one's medians,
- each beside the baseline and the ratio (endpoint / baseline for latency and CPU, baseline /
  endpoint for requests/s: 1.0 would be as cheap as health/live), with the load average around it.

Targets (issue 13): generation-status and both lists p50 <= 5 ms at c=1, >= 600 requests/s at c=8.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The production command (Dockerfile) with 2 workers, then gunicorn's sync workers on the WSGI app.
SERVERS = {
    "asgi": "gunicorn reelmate.asgi:application --worker-class uvicorn_worker.UvicornWorker --workers 2"
            " --bind {bind} --access-logfile -",
    "wsgi": "gunicorn reelmate.wsgi:application --workers 2 --bind {bind} --access-logfile -",
}

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    raise SystemExit("set DATABASE_URL to a PostgreSQL server (a throwaway database is created there)")
if not os.environ.get("REDIS_URL", "").startswith("redis"):
    raise SystemExit("set REDIS_URL to a Redis database (the production cache)")

SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "reelmate.settings", "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING", "CELERY_BROKER_URL": os.environ["REDIS_URL"],
    # Presigning is local computation: the endpoint is never contacted (port 9 on loopback is closed).
    "S3_ENDPOINT_URL": "http://127.0.0.1:9", "S3_ACCESS_KEY_ID": "bench-access-key",
    "S3_SECRET_ACCESS_KEY": "bench-secret-key-" + secrets.token_hex(8), "STORAGE_BUCKET_NAME": "reelmate-bench",
    "OPENAI_API_KEY": "",
}
os.environ.update(SERVER_ENV)

import django

django.setup()

from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory
from ai_studio.models import GeneratedVideo, JobStage, JobStatus, VideoGenerationJob
from ai_studio.tests.catalog.factories import AvatarFactory, VoiceFactory


@dataclass
class Figures:
    p50_ms: float
    p99_ms: float
    rps: float
    cpu_ms: float  # the server's CPU time (all its processes) per request at c=connections
    failed: int = 0  # responses that were not 2xx/3xx (e.g. 503 database_unavailable)


def seed(jobs: int) -> tuple[str, str]:
    """One user with `jobs` completed jobs and their videos → (access token, the newest job's id)."""
    user = UserFactory()
    avatar = AvatarFactory()
    voice = avatar.default_voice or VoiceFactory()
    now = timezone.now()
    rows = VideoGenerationJob.objects.bulk_create([
        VideoGenerationJob(
            owner=user, avatar=avatar, voice=voice, title=f"Reel {n}", script="Meet our product. " * 8,
            status=JobStatus.COMPLETED, stage=JobStage.DONE,
            progress=100, speech_provider="local", lip_sync="visemes", total_seconds=21.5,
            stage_timings={"synthesizing_speech": 1.9, "rendering": 14.2, "uploading": 0.4},
            started_at=now, completed_at=now, caption_style={"font_size": 64},
        ) for n in range(jobs)
    ])
    GeneratedVideo.objects.bulk_create([
        GeneratedVideo(
            owner=user, job=job, title=job.title, video_key=f"videos/{job.pk}/video.mp4",
            thumbnail_key=f"videos/{job.pk}/thumb.jpg", audio_key=f"videos/{job.pk}/audio.wav",
            captions_srt_key=f"videos/{job.pk}/captions.srt", captions_vtt_key=f"videos/{job.pk}/captions.vtt",
            duration_seconds=21.5, width=1080, height=1920, fps=30, size_bytes=4_200_000, video_codec="h264",
            audio_codec="aac", checksum_sha256="0" * 64, aspect_ratio="9:16",
            stage_timings={"rendering": 14.2},
        ) for job in rows
    ])
    newest = VideoGenerationJob.objects.filter(owner=user).order_by("-created_at").first()
    return str(AccessToken.for_user(user)), str(newest.pk)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(command: str, env: dict, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    bind = f"127.0.0.1:{port}"
    argv = shlex.split(command.replace("{bind}", bind))
    if argv[0] in ("gunicorn", "uvicorn", "daphne", "hypercorn", "granian"):
        argv = [sys.executable, "-m", argv[0], *argv[1:]]
    log = open(log_path, "ab")
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://{bind}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base}/api/health/live", timeout=2) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not start:\n{log_path.read_text()[-3000:]}")


def check(url: str, token: str | None) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise SystemExit(f"{url}: {response.status}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def server_cpu_seconds(session_id: int) -> float:
    """User + system CPU time of the server's processes (its session: the arbiter and its workers)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[3]) == session_id:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(url: str, token: str | None, *, connections: int, duration: float) -> tuple[float, float, float, int, int]:
    """(p50 ms, p99 ms, requests/s, requests, failed responses) from one wrk run."""
    argv = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{duration:g}s", "--latency"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    p50 = _milliseconds(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _milliseconds(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return p50, p99, rps, requests, int(errors.group(1)) if errors else 0


def measure(url: str, token: str | None, server_pid: int, args: argparse.Namespace) -> Figures:
    wrk(url, token, connections=1, duration=1)  # warm up: imports, connections, caches
    p50, p99, _, _, failed_alone = wrk(url, token, connections=1, duration=args.duration)
    cpu_before = server_cpu_seconds(server_pid)
    _, _, rps, requests, failed = wrk(url, token, connections=args.connections, duration=args.duration)
    cpu_ms = (server_cpu_seconds(server_pid) - cpu_before) * 1000 / requests
    return Figures(p50, p99, rps, cpu_ms, failed_alone + failed)


def start(command: str, env: dict, token: str, job_id: str, log_path: Path) -> tuple[subprocess.Popen, dict]:
    """Start one server command → (the server, {endpoint name: URL}), each endpoint checked once."""
    server, base = start_server(command, env, log_path)
    endpoints = {
        "generation-status/:id": f"{base}/api/ai-studio/generation-status/{job_id}",
        "job list (20 a page)": f"{base}/api/ai-studio/generation-jobs",
        "video list (20 a page)": f"{base}/api/ai-studio/generated-videos",
    }
    try:
        for url in endpoints.values():
            check(url, token)
    except BaseException:
        stop(server)
        raise
    return server, {"health/live": f"{base}/api/health/live", **endpoints}


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, 15)
    server.wait(timeout=30)


def bench_server(command: str, server: subprocess.Popen, urls: dict, token: str,
                 args: argparse.Namespace) -> tuple[Figures, dict[str, Figures]]:
    """Measure every endpoint and health/live (first and last) against a running server, print the table."""
    print(f"\nserver: {command}\nload average before: {os.getloadavg()[0]:.2f}")
    first = measure(urls["health/live"], None, server.pid, args)
    results = {name: measure(url, token, server.pid, args) for name, url in urls.items() if name != "health/live"}
    last = measure(urls["health/live"], None, server.pid, args)
    base_fig = Figures(*((getattr(first, name) + getattr(last, name)) / 2
                         for name in ("p50_ms", "p99_ms", "rps", "cpu_ms")), failed=first.failed + last.failed)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"health/live (baseline): p50 {base_fig.p50_ms:.2f} ms  p99 {base_fig.p99_ms:.2f} ms  "
          f"{base_fig.rps:.0f} req/s (first {first.rps:.0f}, last {last.rps:.0f})  "
          f"server CPU {base_fig.cpu_ms:.2f} ms/request")
    print(f"{'endpoint':24} {'p50 ms':>7} {'x base':>6} {'p99 ms':>7} {'x base':>6} {'req/s':>6} {'base/x':>6}"
          f" {'CPU ms':>6} {'x base':>6}  target p50<=5 ms, >=600 req/s")
    for name, fig in results.items():
        met = "met" if fig.p50_ms <= 5 and fig.rps >= 600 and not fig.failed else "NOT met"
        if fig.failed:  # counted in requests/s by wrk: the figures are not the endpoint's
            met += f" ({fig.failed} responses failed)"
        print(f"{name:24} {fig.p50_ms:7.2f} {fig.p50_ms / base_fig.p50_ms:6.2f} {fig.p99_ms:7.2f} "
              f"{fig.p99_ms / base_fig.p99_ms:6.2f} {fig.rps:6.0f} {base_fig.rps / fig.rps:6.2f} "
              f"{fig.cpu_ms:6.2f} {fig.cpu_ms / base_fig.cpu_ms:6.2f}  {met}")
    return base_fig, results


def summary(commands: list[str], rounds: list[list[tuple[Figures, dict[str, Figures]]]]) -> None:
    """With --rounds > 1: each server's median per endpoint over the rounds (servers alternated in each)."""
    print(f"\nmedian of {len(rounds)} rounds (servers alternated within each round): "
          "server CPU ms/request, p50 ms at c=1, req/s at c=N")
    for index, command in enumerate(commands):
        print(f"[{index + 1}] {command}")
    names = ["health/live", *rounds[0][0][1]]
    for name in names:
        cells = []
        for index in range(len(commands)):
            figs = [run[index][0] if name == "health/live" else run[index][1][name] for run in rounds]
            cells.append(f"[{index + 1}] {statistics.median(f.cpu_ms for f in figs):5.2f} CPU"
                         f" {statistics.median(f.p50_ms for f in figs):6.2f} p50"
                         f" {statistics.median(f.rps for f in figs):5.0f}/s")
        print(f"{name:24} " + "   ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", action="append",
                        help="a server command, repeatable; {bind} becomes 127.0.0.1:<port>; 'asgi' and 'wsgi'"
                             " name the built-in ones (default: both: " + "; ".join(SERVERS.values()) + ")")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=8, help="connections for requests/s (default 8)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every server this many times, in turn (A/B by alternation), then print"
                             " each one's medians (default 1)")
    parser.add_argument("--jobs", type=int, default=60, help="completed jobs (with videos) of the user")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    commands = [SERVERS.get(command, command) for command in (args.server or SERVERS)]

    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{connection.settings_dict['NAME']}_bench_api"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    log_path = Path(tempfile.mkstemp(prefix="reelmate-bench-api-", suffix=".log")[1])
    try:
        token, job_id = seed(args.jobs)
        database_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{test_db}"))
        connection.close()
        env = {**os.environ, **SERVER_ENV, "DATABASE_URL": database_url}
        print(f"jobs/videos of the user: {args.jobs}   wrk {args.duration:g} s a run, c=1 for latency,"
              f" c={args.connections} for requests/s and the server's CPU per request")
        servers = []
        try:
            for command in commands:  # all up at once: with --rounds, each round measures them in turn
                servers.append(start(command, env, token, job_id, log_path))
            rounds = [[bench_server(command, server, urls, token, args)
                       for command, (server, urls) in zip(commands, servers, strict=True)]
                      for _ in range(args.rounds)]
        finally:
            for server, _ in servers:
                stop(server)
        if args.rounds > 1:
            summary(commands, rounds)
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
        print(f"(server log: {log_path})")


if __name__ == "__main__":
    main()
