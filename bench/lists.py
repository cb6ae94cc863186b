#!/usr/bin/env python
"""Lists stay flat from 10,000 to 1,000,000 jobs in the table: the API lists and the admin change lists.

Run by hand (it prints its figures):

    source /work/wt/<you>.env   # or set DATABASE_URL (PostgreSQL) and REDIS_URL yourself
    .venv/bin/python bench/lists.py [--small 10000] [--large 1000000] [--share 0.1] [--requests 30]

It works in a throwaway database (`<your database>_bench_lists`, created, migrated and dropped here),
with DEBUG off and S3 presigning (nothing is sent to S3). Jobs are inserted in bulk with
generate_series (one INSERT ... SELECT), spread over 1,000 users of whom one, the measured user,
owns `--share` of them (10 %: 1,000 jobs at 10,000, 100,000 at 1,000,000); 90 % of the jobs are
completed with their video, 5 % failed, 5 % queued; one a second going back in time. After each
load: VACUUM ANALYZE (what autovacuum does on a live table).

Measured through Django's request handler in this process (the server's work without the HTTP
server), `--requests` times each after 3 warm-up requests; the fastest and the median are printed
(on a shared machine the fastest is the steadiest estimate of the work itself): the user's job list
(page 1, page 5, and filtered by status=failed), the video list, the admin change lists of jobs (all,
and filtered by status) and of videos, and the batch list when the project has one (BATCH_LIST_PATH
resolves). Printed: each time at `--large` beside its time at `--small` and the ratio (target
<= 1.5x), with GET /api/health/live measured in the same phase as the baseline of the machine's
speed (its ratio shows how much the machine itself drifted between the two phases). `--explain`
adds the plans of the API lists' queries.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    raise SystemExit("set DATABASE_URL to a PostgreSQL server (a throwaway database is created there)")

os.environ.update({
    "DJANGO_SETTINGS_MODULE": "reelmate.settings", "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "testserver", "LOG_LEVEL": "ERROR", "S3_ENDPOINT_URL": "http://127.0.0.1:9",
    "S3_ACCESS_KEY_ID": "bench-access-key", "S3_SECRET_ACCESS_KEY": "bench-secret-key-" + secrets.token_hex(8),
    "STORAGE_BUCKET_NAME": "reelmate-bench", "OPENAI_API_KEY": "",
})

import django

django.setup()

from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tests.factories import UserFactory
from ai_studio.models import GeneratedVideo, VideoGenerationJob
from ai_studio.tests.catalog.factories import AvatarFactory

BATCH_LIST_PATH = "/api/ai-studio/batches"  # measured when it exists (issue 13's batches)
USERS = 1000

# Columns set explicitly; any other NOT NULL column gets its type's empty value.
JOB_COLUMNS = {
    "id": "gen_random_uuid()",
    "owner_id": "CASE WHEN i %% {every} = 0 THEN {measured} ELSE {first_user} + (i %% {users}) END",
    "avatar_id": "{avatar}", "voice_id": "{voice}",
    "title": "'Reel ' || i", "script": "'Meet our product. Tap the link to get yours today.'",
    # The status cycles over blocks of `every` jobs, so the measured user has every status too.
    "status": "CASE (i / {every}) %% 20 WHEN 1 THEN 'failed' WHEN 2 THEN 'queued' ELSE 'completed' END",
    "stage": "CASE (i / {every}) %% 20 WHEN 1 THEN 'rendering_video' WHEN 2 THEN 'queued' ELSE 'done' END",
    "progress": "CASE (i / {every}) %% 20 WHEN 2 THEN 0 ELSE 100 END",
    "error_code": "CASE (i / {every}) %% 20 WHEN 1 THEN "
                  "(ARRAY['speech_failed', 'render_failed', 'storage_unavailable'])[1 + i %% 3] ELSE '' END",
    "speech_provider": "CASE (i / {every}) %% 20 WHEN 2 THEN '' ELSE 'local' END",
    "aspect_ratio": "'9:16'", "resolution": "'720p'", "captions_enabled": "true", "speed": "1.0",
    "created_at": "now() - i * interval '1 second'", "updated_at": "now() - i * interval '1 second'",
    "completed_at": "CASE (i / {every}) %% 20 WHEN 2 THEN NULL ELSE now() - i * interval '1 second' END",
}
EMPTY = {"jsonb": "'{{}}'::jsonb", "text": "''", "character varying": "''", "integer": "0", "smallint": "0",
         "bigint": "0", "double precision": "0", "boolean": "false", "uuid": "gen_random_uuid()",
         "timestamp with time zone": "now()"}
JSON_LISTS = {"scenes"}


def job_insert_sql() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                       "WHERE table_name = %s ORDER BY ordinal_position", [VideoGenerationJob._meta.db_table])
        columns = cursor.fetchall()
    names, values = [], []
    for name, data_type, nullable in columns:
        if name in JOB_COLUMNS:
            value = JOB_COLUMNS[name]
        elif name in JSON_LISTS:
            value = "'[]'::jsonb"
        elif nullable == "NO":
            value = EMPTY[data_type]
        else:
            continue
        names.append(name)
        values.append(value)
    table = VideoGenerationJob._meta.db_table
    return (f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} "
            f"FROM generate_series(%s, %s) AS i")


def insert_jobs(first: int, last: int, context: dict) -> None:
    video_table, job_table = GeneratedVideo._meta.db_table, VideoGenerationJob._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(job_insert_sql().format(**context), [first, last])
        cursor.execute(
            f"INSERT INTO {video_table} (id, owner_id, job_id, campaign_id, title, video_key, thumbnail_key, "
            f"audio_key, captions_srt_key, captions_vtt_key, duration_seconds, width, height, fps, size_bytes, "
            f"video_codec, audio_codec, checksum_sha256, aspect_ratio, stage_timings, created_at) "
            f"SELECT gen_random_uuid(), j.owner_id, j.id, NULL, j.title, 'videos/' || j.id || '/video.mp4', "
            f"'videos/' || j.id || '/thumb.jpg', 'videos/' || j.id || '/audio.wav', "
            f"'videos/' || j.id || '/captions.srt', 'videos/' || j.id || '/captions.vtt', 21.5, 720, 1280, 30, "
            f"4200000, 'h264', 'aac', repeat('0', 64), '9:16', '{{}}'::jsonb, j.completed_at "
            f"FROM {job_table} j LEFT JOIN {video_table} v ON v.job_id = j.id "
            f"WHERE j.status = 'completed' AND v.id IS NULL")
        cursor.execute(f"VACUUM ANALYZE {job_table}")
        cursor.execute(f"VACUUM ANALYZE {video_table}")


def timed(client: Client, path: str, requests: int, **headers) -> tuple[float, float]:
    """(fastest, median) milliseconds of GET `path`. On a shared machine the fastest is the
    steadiest estimate of the work itself; the median shows the noise around it."""
    for _ in range(3):
        response = client.get(path, **headers)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path, **headers)
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


def endpoints() -> dict[str, tuple[str, str]]:
    """name → (path, "api" or "admin")."""
    found = {
        "job list, page 1": ("/api/ai-studio/generation-jobs", "api"),
        "job list, page 5": ("/api/ai-studio/generation-jobs?page=5", "api"),
        "job list, status=failed": ("/api/ai-studio/generation-jobs?status=failed", "api"),
        "video list, page 1": ("/api/ai-studio/generated-videos", "api"),
        "admin jobs": ("/admin/ai_studio/videogenerationjob/", "admin"),
        "admin jobs, status=failed": ("/admin/ai_studio/videogenerationjob/?status__exact=failed", "admin"),
        "admin videos": ("/admin/ai_studio/generatedvideo/", "admin"),
    }
    try:
        resolve(BATCH_LIST_PATH)
        found["batch list, page 1"] = (BATCH_LIST_PATH, "api")
    except Resolver404:
        pass
    return found


def measure(api: Client, admin: Client, token: str, requests: int) -> dict[str, tuple[float, float]]:
    figures = {"health/live (baseline)": timed(api, "/api/health/live", requests)}
    for name, (path, kind) in endpoints().items():
        if kind == "api":
            figures[name] = timed(api, path, requests, HTTP_AUTHORIZATION=f"Bearer {token}")
        else:
            figures[name] = timed(admin, path, requests)
    return figures


def explain(api: Client, token: str) -> None:
    """EXPLAIN ANALYZE of each query of the API lists (the plans show which index answers)."""
    for name, (path, kind) in endpoints().items():
        if kind != "api":
            continue
        queries = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            api.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        for sql, params in queries[1:]:
            if sql.startswith("EXPLAIN"):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                plan = "\n    ".join(row[0] for row in cursor.fetchall())
            print(f"{name}: {sql[:100]}...\n    {plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="jobs in the table first (default 10,000)")
    parser.add_argument("--large", type=int, default=1_000_000, help="jobs in the table then (default 1,000,000)")
    parser.add_argument("--share", type=float, default=0.1, help="the measured user's share of the jobs (0.1)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per figure (median)")
    parser.add_argument("--explain", action="store_true", help="print the plans of the API lists' queries")
    args = parser.parse_args()

    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{connection.settings_dict['NAME']}_bench_lists"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        avatar = AvatarFactory()
        measured = UserFactory()
        others = User.objects.bulk_create([User(email=f"bench-{n}@example.com", name=f"User {n}")
                                           for n in range(USERS - 1)])
        staff = UserFactory(is_staff=True, is_superuser=True)
        context = {"every": max(1, round(1 / args.share)), "measured": measured.pk, "first_user": others[0].pk,
                   "users": len(others), "avatar": avatar.pk, "voice": avatar.default_voice_id}
        token = str(AccessToken.for_user(measured))
        api, admin = Client(), Client()
        admin.force_login(staff)

        phases = {}
        loaded = 0
        for size in (args.small, args.large):
            started = time.perf_counter()
            insert_jobs(loaded + 1, size, context)
            loaded = size
            mine = VideoGenerationJob.objects.filter(owner=measured).count()
            print(f"{size:,} jobs loaded ({mine:,} of the measured user's) and vacuumed in "
                  f"{time.perf_counter() - started:.0f} s; measuring...", flush=True)
            phases[size] = measure(api, admin, token, args.requests)
            if args.explain:
                explain(api, token)

        small, large = phases[args.small], phases[args.large]
        print(f"\nfastest (median) of {args.requests} requests, milliseconds; "
              f"target: {args.large:,} within 1.5x of {args.small:,} (ratio of the fastest; of the medians)")
        print(f"{'':28} {f'{args.small:,} jobs':>18} {f'{args.large:,} jobs':>18} {'ratio':>13}")
        for name in small:
            (small_best, small_median), (large_best, large_median) = small[name], large[name]
            ratio = large_best / small_best
            verdict = "" if name.startswith("health") else ("  met" if ratio <= 1.5 else "  NOT met")
            print(f"{name:28} {small_best:8.2f} ({small_median:7.2f}) {large_best:8.2f} ({large_median:7.2f}) "
                  f"{ratio:5.2f} ({large_median / small_median:5.2f}){verdict}")
    finally:
        connection.close()
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
