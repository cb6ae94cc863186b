#!/usr/bin/env python
"""Creating batches: POST /api/ai-studio/batches with 1,000 rows (JSON, then CSV) against a one-row
batch measured in the same run, and the database queries each takes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reelmate .venv/bin/python bench/batches.py [--rows 1000] [--runs 3]

It works in a throwaway database (created and dropped here) on that PostgreSQL server, with local
file storage and an in-process broker that is never consumed (nothing renders). Printed: the median
time of each request, its ratio to the one-row batch, the time per row, and the queries.
"""
from __future__ import annotations

import argparse
import io
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

VAR_DIR = Path(tempfile.mkdtemp(prefix="reelmate-bench-batches-"))
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "reelmate.settings", "REDIS_URL": "", "CELERY_BROKER_URL": "filesystem://",
    "REELMATE_VAR_DIR": str(VAR_DIR), "LOG_LEVEL": "ERROR", "S3_ACCESS_KEY_ID": "", "S3_SECRET_ACCESS_KEY": "",
    "OPENAI_API_KEY": "", "DEFAULT_PLAN": "unlimited", "THROTTLE_GENERATION": "100000/m",
    "ALLOWED_HOSTS": "testserver,localhost",
})

import django

django.setup()

from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from ai_studio.tests.catalog.factories import AvatarFactory, VoiceFactory

SCRIPT = "Hi {{city}}! Rocket Shoes are in our {{store}} store from Monday. Come and try a pair."


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(post) -> tuple[float, int]:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        response = post()
        elapsed = time.perf_counter() - started
    if response.status_code != 202:
        raise SystemExit(f"{response.status_code}: {response.content[:500]!r}")
    return elapsed, counter.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()

    settings.DATABASES["default"]["TEST"]["NAME"] = f"bench_batches_{os.getpid()}"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        user = UserFactory()
        voice = VoiceFactory(provider="local", provider_voice_id="en_US-joe-medium")
        avatar = AvatarFactory(default_voice=voice)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        shared = {"avatar_id": avatar.pk, "voice_id": voice.pk, "title": "Shoes in {{city}}"}
        rows = [{"city": f"City {n}", "store": f"Store {n}"} for n in range(options.rows)]
        csv_text = "city,store\n" + "".join(f"City {n},Store {n}\n" for n in range(options.rows))

        def json_batch(count: int):
            return lambda: client.post("/api/ai-studio/batches", {"script": SCRIPT, "settings": shared,
                                                                  "rows": rows[:count]}, format="json")

        def csv_batch():
            upload = io.BytesIO(csv_text.encode())
            upload.name = "rows.csv"
            return client.post("/api/ai-studio/batches", {"script": SCRIPT, "settings": json.dumps(shared),
                                                          "file": upload}, format="multipart")

        timed(json_batch(1))  # warm up (first queries, caches)
        results = {}
        cases = (("1 row (baseline)", json_batch(1)), (f"{options.rows} rows, JSON", json_batch(options.rows)),
                 (f"{options.rows} rows, CSV upload", csv_batch))
        for name, post in cases:
            runs = [timed(post) for _ in range(options.runs)]
            results[name] = (statistics.median(seconds for seconds, _ in runs), runs[-1][1])
        baseline = results["1 row (baseline)"][0]
        print(f"POST /api/ai-studio/batches, median of {options.runs} (PostgreSQL, in-process Django client):")
        for name, (seconds, queries) in results.items():
            rows_in = 1 if name.startswith("1 row") else options.rows
            print(f"  {name:28s} {seconds * 1000:8.0f} ms  {seconds / baseline:6.1f}x the one-row batch  "
                  f"{seconds * 1000 / rows_in:6.2f} ms/row  {queries} queries")
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
