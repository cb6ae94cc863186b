#!/usr/bin/env python
"""Event ingest throughput: POST /api/analytics/events through Django's test client, then the flush.

Run by hand (it prints its figures):

    .venv/bin/python bench/events.py                       # the embedded default: direct writes to SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reelmate REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/events.py --requests 400 --batch 50 --threads 4

It works in a throwaway test database (created and dropped here) and, with REDIS_URL, in the
buffer keys of that Redis database (emptied first). With REDIS_URL it measures buffered ingest,
the flush into the rollups, and direct ingest (REDIS_URL ignored) for comparison; without it,
direct ingest only. Rate limiting is off; the events come from `--viewers` distinct viewers, all
of whom one address may bring (ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY is raised to --viewers).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reelmate.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.setdefault("DEBUG", "true")  # a benchmark on a development machine: the development key will do

import django

django.setup()

from django.conf import settings
from django.db import connection, connections
from django.test.utils import setup_test_environment
from rest_framework.test import APIClient

from analytics import services
from analytics.models import VideoDailyStats
from analytics.tests.conftest import _clear_event_buffer
from analytics.tests.factories import GeneratedVideoFactory, ShareLinkFactory

EVENT_MIX = ["view", "play", "progress", "progress", "progress", "complete", "cta_click"]


def make_batches(token: str, *, requests: int, batch: int, viewers: int) -> list[dict]:
    rng = random.Random(42)
    batches = []
    for _ in range(requests):
        events = []
        for _ in range(batch):
            kind = rng.choice(EVENT_MIX)
            event = {"type": kind, "share_token": token, "viewer_id": f"viewer-{rng.randrange(viewers)}"}
            if kind == "progress":
                event["position"] = round(rng.uniform(0, 30), 1)
            events.append(event)
        batches.append({"events": events})
    return batches


def ingest(batches: list[dict], threads: int) -> tuple[float, list[float]]:
    """POST every batch, spread over `threads` clients; returns (wall seconds, per-request seconds)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(share: list[dict]) -> None:
        client = APIClient()
        mine = []
        for body in share:
            started = time.perf_counter()
            response = client.post("/api/analytics/events", body, format="json", REMOTE_ADDR="127.0.0.1")
            mine.append(time.perf_counter() - started)
            if response.status_code != 202:
                raise SystemExit(f"ingest failed: {response.status_code} {response.content[:300]!r}")
        connections.close_all()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=worker, args=(batches[index::threads],)) for index in range(threads)]
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return time.perf_counter() - started, latencies


def report(label: str, events: int, seconds: float, latencies: list[float] | None = None) -> None:
    line = f"{label:<34} {events:>8,} events in {seconds:6.2f} s = {events / seconds:>10,.0f} events/s"
    if latencies:
        ordered = sorted(latencies)
        line += (f"   (request p50 {statistics.median(ordered) * 1000:.1f} ms,"
                 f" p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.1f} ms)")
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--batch", type=int, default=50, help="events per request (at most 100)")
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()

    setup_test_environment()
    settings.RATELIMIT_ENABLE = False
    # Every event comes from one address: let it bring all the benchmark's viewers (the bound's
    # bookkeeping is still done, so its cost is measured).
    settings.ANALYTICS_NEW_VIEWERS_PER_IP_PER_DAY = options.viewers
    settings.ALLOWED_HOSTS = ["testserver"]
    if connection.vendor != "sqlite":
        settings.DATABASES["default"]["TEST"]["NAME"] = f"bench_events_{os.getpid()}"  # not the suite's
    elif options.threads > 1:
        raise SystemExit("--threads needs PostgreSQL (DATABASE_URL): SQLite serialises writers anyway")
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        total = options.requests * options.batch
        print(f"database: {connection.vendor}; buffer: {'Redis' if settings.REDIS_URL else 'none'}; "
              f"{options.requests} requests x {options.batch} events, {options.threads} thread(s)", flush=True)
        redis_url = settings.REDIS_URL
        if redis_url:
            _clear_event_buffer()
            link = ShareLinkFactory(video=GeneratedVideoFactory(duration_seconds=30.0))
            batches = make_batches(link.token, requests=options.requests, batch=options.batch, viewers=options.viewers)
            seconds, latencies = ingest(batches, options.threads)
            report("ingest, buffered in Redis", total, seconds, latencies)
            started = time.perf_counter()
            flushed = services.flush_event_buffer(time_budget_seconds=3600).events
            report("flush into the daily rollups", flushed, time.perf_counter() - started)
            assert sum(VideoDailyStats.objects.values_list("views", flat=True)) == sum(
                event["type"] == "view" for body in batches for event in body["events"])
            settings.REDIS_URL = ""
        link = ShareLinkFactory(video=GeneratedVideoFactory(duration_seconds=30.0))
        batches = make_batches(link.token, requests=options.requests, batch=options.batch, viewers=options.viewers)
        seconds, latencies = ingest(batches, options.threads)
        report("ingest, written directly", total, seconds, latencies)
        settings.REDIS_URL = redis_url
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
