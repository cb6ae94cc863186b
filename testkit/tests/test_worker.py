"""The worker harness: a real Celery worker process consumes what the app publishes, from the
queues it listens on, shares the test process's services, and leaves no process behind.

Results are ignored project-wide (job state lives in the database), so the tests observe the
worker through the broker: task events (`task-succeeded` carries the return value) and the
per-task totals of `inspect().stats()`. The app's own configuration is tested in
reelmate/tests/test_celery.py.
"""
from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from reelmate.celery import app
from testkit import group_pids


def waiting_messages(queue: str) -> int:
    with app.connection_for_write() as conn:
        try:
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
        except conn.channel_errors:  # Redis drops the key of an empty queue
            return 0


@pytest.mark.slow  # starts a worker process
def test_ping_round_trip_on_the_default_queue(celery_worker, task_events):
    before = celery_worker.task_totals().get("reelmate.ping", 0)

    sent = app.send_task("reelmate.ping", args=["hello"], queue="default")

    succeeded = task_events.wait_for("task-succeeded", uuid=sent.id)
    assert succeeded["hostname"] == celery_worker.name
    assert succeeded["result"] == "'hello'"  # the worker ran it and returned the argument
    assert celery_worker.wait_for_total("reelmate.ping", before + 1) == before + 1


@pytest.mark.slow  # starts a worker process
def test_the_worker_shares_the_test_database_broker_storage_and_openai(openai_server, celery_worker):
    env = celery_worker.env
    assert connection.settings_dict["NAME"].startswith("test_")
    assert env["DATABASE_URL"].endswith("/" + connection.settings_dict["NAME"])
    assert env["CELERY_BROKER_URL"] == settings.CELERY_BROKER_URL
    assert env["S3_ENDPOINT_URL"] == settings.S3_ENDPOINT_URL
    assert env["S3_ACCESS_KEY_ID"] == settings.S3_ACCESS_KEY_ID != ""
    assert env["OPENAI_BASE_URL"] == openai_server.base_url
    assert env["OPENAI_API_KEY"] == openai_server.api_key
    # What the worker's own Celery app was configured with, asked over the broker.
    assert celery_worker.ping()


@pytest.mark.slow  # starts a worker process
def test_a_render_queue_task_is_consumed_by_a_render_worker(worker_factory, task_events):
    worker = worker_factory(queues=("render",))
    assert waiting_messages("default") == waiting_messages("render") == 0

    on_render = app.send_task("reelmate.ping", args=["render"], queue="render")
    on_default = app.send_task("reelmate.ping", args=["default"], queue="default")

    assert task_events.wait_for("task-succeeded", uuid=on_render.id)["hostname"] == worker.name
    # The default-queue message is still waiting: this worker listens on `render` only.
    assert waiting_messages("default") == 1
    assert not task_events.of_type("task-received", uuid=on_default.id)


@pytest.mark.slow  # starts a worker process
def test_stop_and_kill_leave_no_processes(worker_factory):
    stopped = worker_factory()
    killed = worker_factory()
    groups = [stopped.pid, killed.pid]
    assert killed.child_pids(), "prefork keeps a pool child next to the main process"

    stopped.stop()
    killed.kill()

    assert not stopped.is_alive and not killed.is_alive
    assert [group_pids(pgid) for pgid in groups] == [[], []]
