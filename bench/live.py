#!/usr/bin/env python
"""Live job status under load: N WebSocket subscribers watching running jobs.

Run by hand (it prints its figures):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reelmate REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/live.py                       # 1,000 sockets, 100 users, 100 jobs, 20 s
    ... bench/live.py --connections 2000 --users 200 --rate 200 --seconds 30

One ASGI server process (uvicorn, as `make run` starts it; a gunicorn worker in production is the
same process) on a throwaway test database and the given Redis. `--users` users each have one
running job; the connections are spread over them (each authenticates with its user's token and
subscribes to that job). The worker's reports are *simulated* by a publisher process at a known
rate (`--rate` reports a second, round-robin over the jobs), doing what the worker's progress report
does: UPDATE the job's stage/progress, read it as generation-status shows it, publish
(reelmate.live.publish: sequence + backlog in Redis, channels-redis group send). Real renders
would report far less often.

Figures, each beside a baseline measured in the same run:
- latency from the report (before the UPDATE) to each subscriber, p50/p99, against a plain Redis
  pub/sub round trip at the same rate (publisher process → one subscriber);
- server memory per connection (RSS after the N sockets subscribed minus before, / N), beside the
  server's idle RSS; and GET /api/health/live's time on the same server.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reelmate.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.setdefault("DEBUG", "true")  # a benchmark on a development machine: the development key will do

import django

django.setup()

import httpx
import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.db import connection, connections
from django.test.utils import setup_test_environment
from rest_framework_simplejwt.tokens import AccessToken
from websockets.asyncio.client import connect

from accounts.tests.factories import UserFactory
from ai_studio.live import STREAM, job_state
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.tests.catalog.factories import AvatarFactory, GenerationJobFactory, VoiceFactory
from reelmate import live
from testkit.web_server import WebServer
from testkit.worker import database_url

BASELINE_CHANNEL = "reelmate-bench-live-baseline"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# --- the simulated worker (a process of its own) ------------------------------------------------
def report_progress(jobs: list[tuple[str, int]], rate: float, seconds: float, results) -> None:
    """`rate` progress reports a second over `jobs` for `seconds`: [(job id, seq, report time)]."""
    connections.close_all()  # the parent's connections are not this process's
    sent, interval, started = [], 1.0 / rate, time.perf_counter()
    count = int(rate * seconds)
    for number in range(count):
        job_id, owner_id = jobs[number % len(jobs)]
        delay = started + number * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        reported = time.time()
        progress = min(99, number // len(jobs))
        VideoGenerationJob.objects.filter(pk=job_id).update(stage="rendering_video", progress=progress)
        seq = live.publish(owner_id, STREAM, job_id, "progress", job_state(owner_id, job_id))
        sent.append((job_id, seq, reported))
    results.put(sent)


def baseline_publisher(url: str, rate: float, count: int) -> None:
    client, interval, started = redis.Redis.from_url(url), 1.0 / rate, time.perf_counter()
    for number in range(count):
        delay = started + number * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        client.publish(BASELINE_CHANNEL, json.dumps({"at": time.time(), "n": number}))


# --- the subscribers ------------------------------------------------------------------------------
async def subscriber(url: str, token: str, job_id: str, received: list, ready: asyncio.Event,
                     opened: list) -> None:
    async with connect(url, max_size=2 ** 22, open_timeout=60, ping_interval=None) as socket:
        await socket.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(await socket.recv())["type"] == "ready"
        await socket.send(json.dumps({"type": "subscribe", "stream": "job", "ids": [job_id]}))
        assert json.loads(await socket.recv())["type"] == "subscribed"
        json.loads(await socket.recv())  # the snapshot
        opened.append(1)
        await ready.wait()
        async for text in socket:
            now = time.time()
            event = json.loads(text)
            if event.get("type") == "event":
                received.append((event["id"], event["seq"], now, event["at"]))


async def open_all(url: str, tokens: list[tuple[str, str]], received: list, ready: asyncio.Event,
                   batch: int = 100) -> list[asyncio.Task]:
    tasks, opened = [], []
    for start in range(0, len(tokens), batch):
        for token, job_id in tokens[start:start + batch]:
            tasks.append(asyncio.create_task(subscriber(url, token, job_id, received, ready, opened)))
        while len(opened) < len(tasks):
            failed = [task for task in tasks if task.done() and task.exception()]
            if failed:
                raise failed[0].exception()
            await asyncio.sleep(0.05)
    return tasks


async def baseline_round_trips(url: str, rate: float, count: int) -> list[float]:
    client = aioredis.Redis.from_url(url)
    pubsub = client.pubsub()
    await pubsub.subscribe(BASELINE_CHANNEL)
    await pubsub.get_message(timeout=5)  # the subscribe confirmation
    publisher = multiprocessing.get_context("fork").Process(target=baseline_publisher, args=(url, rate, count))
    publisher.start()
    latencies = []
    while len(latencies) < count:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
        if message is None:
            break
        latencies.append(time.time() - json.loads(message["data"])["at"])
    publisher.join()
    await pubsub.aclose()
    await client.aclose()
    return latencies


def health_times(base_url: str, count: int = 200) -> list[float]:
    times = []
    with httpx.Client(base_url=base_url) as client:
        for _ in range(count):
            started = time.perf_counter()
            assert client.get("/api/health/live").status_code == 200
            times.append(time.perf_counter() - started)
    return times


async def measure(args, server: WebServer, tokens: list[tuple[str, str]], jobs: list[tuple[str, int]]) -> dict:
    url = server.ws_url("/ws/live")
    idle = rss_kib(server.pid)
    received: list = []
    warm_ready = asyncio.Event()
    warm = await open_all(url, tokens[:1], received, warm_ready)  # the first socket loads the code paths
    before = rss_kib(server.pid)
    ready = asyncio.Event()
    opening = time.perf_counter()
    tasks = await open_all(url, tokens[1:], received, ready)
    open_seconds = time.perf_counter() - opening
    await asyncio.sleep(1.0)
    after = rss_kib(server.pid)
    ready.set()
    warm_ready.set()

    results = multiprocessing.get_context("fork").Queue()
    publisher = multiprocessing.get_context("fork").Process(target=report_progress,
                                                             args=(jobs, args.rate, args.seconds, results))
    publisher.start()
    sent = await asyncio.get_running_loop().run_in_executor(None, results.get)
    publisher.join()
    await asyncio.sleep(2.0)  # the last deliveries
    for task in tasks + warm:
        task.cancel()
    await asyncio.gather(*tasks, *warm, return_exceptions=True)

    baseline = await baseline_round_trips(settings.REDIS_URL, args.rate, len(sent))
    return {"idle": idle, "before": before, "after": after, "open_seconds": open_seconds, "sent": sent,
            "received": received, "baseline": baseline}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--users", type=int, default=100, help="users, one running job each")
    parser.add_argument("--rate", type=float, default=100.0, help="progress reports a second, over all jobs")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL: the publisher and the server are processes "
                         "of their own")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # N sockets here and in the server

    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    server = None
    try:
        voice = VoiceFactory()
        avatar = AvatarFactory(default_voice=voice)
        users = [UserFactory() for _ in range(args.users)]
        jobs = [(str(GenerationJobFactory(owner=user, avatar=avatar, voice=voice, status=JobStatus.PROCESSING,
                                          stage="rendering_video", progress=10).pk), user.pk) for user in users]
        tokens = [(str(AccessToken.for_user(users[n % args.users])), jobs[n % args.users][0])
                  for n in range(args.connections)]
        env = {**os.environ, "DATABASE_URL": database_url(), "LOG_LEVEL": "WARNING", "DEBUG": "true",
               "UVICORN_LOG_LEVEL": "warning", "LIVE_KEEPALIVE_SECONDS": "15"}
        connections.close_all()
        server = WebServer(env=env, embedded=True,
                           log_path=Path(tempfile.mkstemp(prefix="bench-live-", suffix=".log")[1])).start()
        health = health_times(server.base_url)
        figures = asyncio.run(measure(args, server, tokens, jobs))
    finally:
        if server is not None:
            server.stop()
        connections.close_all()
        connection.creation.destroy_test_db(test_db, verbosity=0)

    report_time = {(job_id, seq): at for job_id, seq, at in figures["sent"] if seq is not None}
    latencies = [now - report_time[(job_id, seq)] for job_id, seq, now, _ in figures["received"]
                 if (job_id, seq) in report_time]
    from_publish = [now - at for _, _, now, at in figures["received"]]
    per_job = args.connections / args.users
    expected = round(len(figures["sent"]) * per_job)
    baseline = figures["baseline"]
    n = args.connections - 1
    per_connection = (figures["after"] - figures["before"]) / n
    live_p50, live_p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    base_p50, base_p99 = percentile(baseline, 0.5) * 1000, percentile(baseline, 0.99) * 1000
    health_p50 = statistics.median(health) * 1000

    print(f"live status: {args.connections} WebSocket subscribers ({args.users} users, {per_job:g} sockets each), "
          f"{args.users} running jobs; simulated worker reports: {len(figures['sent'])} at {args.rate:g}/s for "
          f"{args.seconds:g} s (UPDATE + read + publish, as the worker's progress report); one uvicorn process")
    print(f"  sockets opened, authenticated and subscribed in {figures['open_seconds']:.1f} s")
    print(f"  deliveries: {len(latencies)} of {expected} expected ({len(figures['received'])} events received)")
    print(f"  latency report -> subscriber   p50 {live_p50:7.2f} ms   p99 {live_p99:7.2f} ms")
    print(f"    of which publish -> subscriber p50 {percentile(from_publish, 0.5) * 1000:7.2f} ms   "
          f"p99 {percentile(from_publish, 0.99) * 1000:7.2f} ms (after the UPDATE and the read of the job)")
    print(f"  baseline Redis pub/sub RTT     p50 {base_p50:7.2f} ms   p99 {base_p99:7.2f} ms   "
          f"({len(baseline)} messages, same rate)")
    print(f"  ratio                          p50 {live_p50 / base_p50:7.1f}x    p99 {live_p99 / base_p99:7.1f}x")
    print(f"  server memory per connection: {per_connection:.1f} KiB (RSS {figures['before'] / 1024:.1f} -> "
          f"{figures['after'] / 1024:.1f} MiB for {n} sockets); idle server RSS {figures['idle'] / 1024:.1f} MiB, "
          f"ratio per-connection/idle {per_connection / figures['idle']:.4f}")
    print(f"  baseline GET /api/health/live p50 {health_p50:.2f} ms on the same server "
          f"(latency p50 / health p50: {live_p50 / health_p50:.1f}x)")


if __name__ == "__main__":
    main()
