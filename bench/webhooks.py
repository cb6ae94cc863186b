#!/usr/bin/env python
"""Webhook deliveries per second through a real Celery worker to a loopback receiver, beside a
baseline measured in the same run: the same number of plain HTTP POSTs of the same body from one
Python process with the same client library (urllib3, one kept-alive connection). Run by hand:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reelmate .venv/bin/python bench/webhooks.py --deliveries 500

It creates a throwaway database on that server and a Redis server of its own (broker), starts
`--workers` worker processes (concurrency 1 each, `default` queue, no task events: as the Makefile
runs them) with loopback allowed, and a threaded HTTP receiver in this process. The events are
emitted in one transaction; the clock runs from its commit (the messages go out then) until the
last delivery is recorded as succeeded in the database. Each delivery is a task: claim the row,
sign (standardwebhooks), SSRF check (resolve), a new connection to the checked address, record the
attempt and the outcome. Two more lines split that cost: as many no-op tasks through the same
workers (the task machinery alone), and as many deliveries attempted in this process, one after
another, without Celery (the service alone).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
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
VAR_DIR = Path(tempfile.mkdtemp(prefix="reelmate-bench-webhooks-"))
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "reelmate.settings", "REDIS_URL": REDIS.url(), "CELERY_BROKER_URL": REDIS.url(),
    "REELMATE_VAR_DIR": str(VAR_DIR), "LOG_LEVEL": "ERROR", "S3_ACCESS_KEY_ID": "", "S3_SECRET_ACCESS_KEY": "",
    "OPENAI_API_KEY": "", "WEBHOOKS_ALLOW_LOOPBACK": "true", "DEBUG": os.environ.get("DEBUG", "true"),
})

import django

django.setup()

import urllib3
from django.conf import settings
from django.db import connection, connections, transaction

from accounts.tests.factories import UserFactory
from reelmate.celery import ping
from testkit.webhook_receiver import WebhookReceiver
from testkit.worker import CeleryWorker, purge_broker, worker_environment
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery

DATA = {"job": {"id": "00000000-0000-0000-0000-000000000000", "status": "completed", "title": "Spring teaser",
                "metadata": {"crm_id": 42}}, "video": {"id": "11111111-1111-1111-1111-111111111111",
                                                       "duration_seconds": 21.4, "width": 720, "height": 1280}}


class Worker(CeleryWorker):
    """A worker as the Makefile and docker-compose run it: without task events (`-E`, for tests)."""

    @property
    def command(self) -> list[str]:
        return [arg for arg in super().command if arg != "-E"]


def in_process(user, count: int) -> float:
    """Seconds for `count` deliveries attempted one after another in this process (no Celery): the
    service's own cost (claim, sign, check, POST, record), separated from the task machinery's."""
    with transaction.atomic():
        ids = [delivery.pk for _ in range(count) for delivery in services.emit_event(user.pk, "job.completed", DATA)]
    started = time.perf_counter()
    for delivery_id in ids:
        if services.attempt_delivery(delivery_id) != "succeeded":
            raise SystemExit(f"in-process delivery {delivery_id} did not succeed")
    return time.perf_counter() - started


def ping_tasks(workers: list[CeleryWorker], count: int, timeout: float) -> float:
    """Seconds for the same workers to run `count` no-op tasks (`reelmate.ping`): the task machinery's
    own cost (broker round trips, acks, the prefork pool), with no database and no HTTP."""
    before = sum(worker.task_totals().get("reelmate.ping", 0) for worker in workers)
    started = time.perf_counter()
    for _ in range(count):
        ping.delay("bench")
    while time.perf_counter() - started < timeout:
        done = sum(worker.task_totals().get("reelmate.ping", 0) for worker in workers) - before
        if done >= count:
            return time.perf_counter() - started
        time.sleep(0.1)
    raise SystemExit(f"only {done} of {count} ping tasks ran in {timeout:.0f} s")


def baseline(url: str, count: int, body: bytes) -> float:
    """Seconds for `count` plain POSTs, one after another, on one kept-alive urllib3 connection."""
    pool = urllib3.PoolManager(maxsize=1, retries=False)
    started = time.perf_counter()
    for _ in range(count):
        response = pool.request("POST", url, body=body, headers={"Content-Type": "application/json"},
                                redirect=False)
        assert response.status == 200
    elapsed = time.perf_counter() - started
    pool.clear()
    return elapsed


def wait_until_delivered(ids: list, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        done = WebhookDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.SUCCEEDED).count()
        if done == len(ids):
            return time.perf_counter() - started
        time.sleep(0.05)
    raise SystemExit(f"only {done} of {len(ids)} deliveries succeeded in {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1, help="worker processes, concurrency 1 each")
    parser.add_argument("--timeout", type=float, default=600.0)
    options = parser.parse_args()

    settings.DATABASES["default"]["TEST"]["NAME"] = f"bench_webhooks_{os.getpid()}"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    workers: list[CeleryWorker] = []
    try:
        with WebhookReceiver() as receiver:
            user = UserFactory()
            endpoint = services.create_endpoint(owner=user, url=receiver.url(), events=["job.completed"])
            env = worker_environment()
            workers = [Worker(env=env, queues=("default",), log_path=VAR_DIR / f"worker-{n}.log")
                       for n in range(1, options.workers + 1)]
            for worker in workers:
                worker.start()
            count = options.deliveries
            body = json.dumps(services.envelope("job.completed", DATA), separators=(",", ":")).encode()
            print(f"{count} deliveries of {len(body)} bytes; {options.workers} worker(s) x concurrency 1; "
                  f"PostgreSQL + Redis; receiver: threaded http.server on loopback", flush=True)

            base_seconds = baseline(receiver.url(), count, body)
            receiver.received.clear()

            started = time.perf_counter()
            with transaction.atomic():
                ids = [delivery.pk for _ in range(count)
                       for delivery in services.emit_event(user.pk, "job.completed", DATA)]
                emitted = time.perf_counter() - started
            # The messages go out as the transaction commits (on_commit), then the workers deliver.
            seconds = wait_until_delivered(ids, options.timeout)
            received = receiver.wait_for(count, timeout=10)

            assert all(receiver.verify(request, endpoint.secret) for request in received[:: max(count // 20, 1)])
            assert len({request.webhook_id for request in received}) == count
            latencies = list(WebhookDelivery.objects.filter(pk__in=ids).values_list(
                "attempt_log__latency_ms", flat=True))
            ping_seconds = ping_tasks(workers, count, options.timeout)
            for worker in workers:  # the in-process run below must not race them for its deliveries
                worker.stop()
            purge_broker()
            service_seconds = in_process(user, count)

        base_rate, rate = count / base_seconds, count / seconds
        print(f"baseline: plain urllib3 POSTs, one process    {count:>6} in {base_seconds:7.2f} s = "
              f"{base_rate:8.0f} /s  ({base_seconds / count * 1000:.2f} ms each)")
        print(f"webhooks: signed deliveries through workers   {count:>6} in {seconds:7.2f} s = "
              f"{rate:8.0f} /s  ({seconds / count * 1000:.2f} ms each; emitting them took {emitted:.2f} s)")
        print(f"task machinery: as many no-op ping tasks      {count:>6} in {ping_seconds:7.2f} s = "
              f"{count / ping_seconds:8.0f} /s  ({ping_seconds / count * 1000:.2f} ms each; same workers)")
        print(f"service alone: the same deliveries in-process {count:>6} in {service_seconds:7.2f} s = "
              f"{count / service_seconds:8.0f} /s  ({service_seconds / count * 1000:.2f} ms each; no Celery)")
        print(f"ratio: webhooks / baseline = {rate / base_rate:.3f} (baseline {base_rate / rate:.1f}x faster); "
              f"HTTP part of an attempt p50 {statistics.median(latencies):.0f} ms, max {max(latencies)} ms")
    finally:
        for worker in workers:
            worker.stop()
        REDIS.cleanup()
        connections.close_all()
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
