"""The Celery app: JSON only, late acks, one task at a time per process, a separate `render` queue.

Environment-dependent values (broker, time limits, visibility timeout) are `CELERY_*` names in
`reelmate.settings`; the policy that never changes between environments is set here. Each task
declares its own time limits (and retries) in its decorator; the CELERY_TASK_*TIME_LIMIT settings
are the render task's, and the fallback only for Celery's built-in tasks.
In the embedded default the broker is Celery's filesystem transport, so `make run` needs no Redis.
"""

from __future__ import annotations

import gc
import os

from celery import Celery
from celery.signals import before_task_publish, task_prerun, worker_init
from kombu import Queue

from reelmate.logging import attach_request_id, bind_task_request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reelmate.settings")

app = Celery("reelmate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    accept_content=["json"],
    task_serializer="json",
    result_serializer="json",
    task_ignore_result=True,  # job state lives in the database, not in Celery results
    task_acks_late=True,
    # A task whose worker died (SIGKILL, OOM) goes back on the queue instead of being acknowledged.
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_default_queue="default",
    task_queues=(Queue("default", routing_key="default"), Queue("render", routing_key="render")),
    task_routes={"ai_studio.tasks.run_generation_job": {"queue": "render"}},
    worker_hijack_root_logger=False,
    timezone="UTC",
    beat_schedule={},  # filled by each app's tasks module via `register_periodic`
)
app.autodiscover_tasks()
before_task_publish.connect(attach_request_id, weak=False)
task_prerun.connect(bind_task_request_id, weak=False)


@worker_init.connect(weak=False)
def freeze_imported_objects(**kwargs) -> None:
    """Leave the objects a worker made while importing the project out of garbage collection.

    A prefork pool process shares the worker's memory until it writes to a page. Python's
    collector writes to every object it examines, so the first full collection in a pool process
    copied nearly all of the ~85 MB the imports had made: ~45 MB of its own per process, for
    objects (modules, classes, functions) that live as long as the worker anyway. Frozen here,
    after the task modules are imported and before the pool forks, they stay shared (~2 MB of
    its own after a full collection). See ``gc.freeze``.
    """
    gc.freeze()


def register_periodic(name: str, task: str, schedule) -> None:
    """Declare a beat entry next to the task it runs (keeps the schedule in code, in one place)."""
    app.conf.beat_schedule[name] = {"task": task, "schedule": schedule}


@app.task(name="reelmate.ping", soft_time_limit=5, time_limit=10)
def ping(value: str = "pong") -> str:
    """A round trip used by the worker test and for smoke-checking a deployment."""
    return value
