"""The Celery app's own configuration: where it publishes, where generation jobs go, and the
policy (time limits, retries) each task declares for itself.

The worker harness that runs real worker processes is tested in testkit/tests/test_worker.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Task
from django.conf import settings

from ai_studio.generation.speech import TransientSpeechError
from analytics import services as analytics_services
from reelmate.celery import app

# A worker set up as `celery worker` sets itself up (the task modules imported, worker_init sent),
# then a process forked from it as the prefork pool forks one, which runs a full collection and
# reports the memory that is its own (not shared with the worker any more).
POOL_PROCESS = """
import gc, json, os, sys
import django
django.setup()
from reelmate.celery import app
app.WorkController(pool_cls="prefork", concurrency=1)
read, write = os.pipe()
if os.fork() == 0:
    gc.collect()
    fields = dict(line.split()[:2] for line in open("/proc/self/smaps_rollup") if line.split()[1].isdigit())
    own = (int(fields["Private_Clean:"]) + int(fields["Private_Dirty:"])) / 1024
    os.write(write, json.dumps({"own_mb": own, "frozen": gc.get_freeze_count()}).encode())
    os._exit(0)
os.wait()
sys.stdout.write(os.read(read, 1000).decode())
"""

RENDER_TASK = "ai_studio.tasks.run_generation_job"
VOICE_SAMPLE_TASK = "ai_studio.tasks.generate_voice_sample"
FLUSH_TASK = "analytics.tasks.flush_event_buffer"
SHORT_TASKS = (
    VOICE_SAMPLE_TASK,
    FLUSH_TASK,
    "ai_studio.tasks.purge_pending_file_deletions",
    "analytics.tasks.prune_processed_event_batches",
    "analytics.tasks.prune_daily_viewers",
    "accounts.tasks.flush_expired_tokens",
    "webhooks.tasks.deliver",
    "webhooks.tasks.send_due_deliveries",
    "webhooks.tasks.prune_deliveries",
    "reelmate.ping",
)


@pytest.fixture(scope="module")
def tasks() -> dict[str, Task]:
    """The project's tasks, registered as a worker registers them (each app's tasks module)."""
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_the_app_publishes_to_the_test_broker():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.broker_url.startswith("redis://")


def test_generation_jobs_are_routed_to_the_render_queue():
    route = app.amqp.router.route({}, "ai_studio.tasks.run_generation_job")
    assert route["queue"].name == "render"


def test_every_task_of_the_project_has_its_policy_specified_here(tasks):
    # A task that declares no limits inherits the render task's (Celery's global default, from the
    # same settings), which the short-task test below refuses: a new task must state its own.
    assert set(tasks) == {RENDER_TASK, *SHORT_TASKS}


@pytest.mark.parametrize("name", [RENDER_TASK, *SHORT_TASKS])
def test_each_task_has_a_soft_limit_below_its_hard_limit_below_redelivery(tasks, name):
    task = tasks[name]
    assert 0 < task.soft_time_limit < task.time_limit
    # A task still running when its message is handed to another worker would run twice.
    assert task.time_limit < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


def test_the_render_task_has_the_generation_limits_from_settings(tasks):
    task = tasks[RENDER_TASK]
    assert (task.soft_time_limit, task.time_limit) == (
        settings.CELERY_TASK_SOFT_TIME_LIMIT,
        settings.CELERY_TASK_TIME_LIMIT,
    )
    assert task.max_retries is None  # the service bounds attempts (GENERATION_MAX_ATTEMPTS)


@pytest.mark.parametrize("name", SHORT_TASKS)
def test_short_tasks_are_stopped_within_minutes_not_at_the_render_limit(tasks, name):
    assert tasks[name].time_limit <= 300 < settings.CELERY_TASK_SOFT_TIME_LIMIT


def test_a_voice_sample_has_time_for_a_speech_request_and_its_transcription(tasks):
    assert tasks[VOICE_SAMPLE_TASK].soft_time_limit > 2 * settings.OPENAI_TIMEOUT


def test_a_voice_sample_retries_transient_speech_failures_with_jittered_backoff(tasks):
    task = tasks[VOICE_SAMPLE_TASK]
    assert task.autoretry_for == (TransientSpeechError,)
    assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter, task.max_retries) == (30, 120, True, 3)


def test_the_event_flush_gets_its_time_budget_and_ends_before_its_lock_expires(tasks):
    task = tasks[FLUSH_TASK]
    assert task.soft_time_limit > analytics_services.FLUSH_TIME_BUDGET_SECONDS
    assert task.time_limit <= analytics_services.FLUSH_LOCK_SECONDS


def test_a_pool_process_collecting_garbage_keeps_sharing_what_the_worker_imported():
    """Without the worker's imports frozen, its pool process's first full collection made ~45 MB
    of the worker's memory its own; with them frozen, ~2 MB."""
    completed = subprocess.run(
        [sys.executable, "-c", POOL_PROCESS],
        cwd=Path(__file__).resolve().parents[2],
        env=dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "reelmate.settings")),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    pool_process = json.loads(completed.stdout)

    assert pool_process["frozen"] > 10_000
    assert pool_process["own_mb"] < 15
