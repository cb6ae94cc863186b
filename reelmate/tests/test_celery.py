"""The Celery app's own configuration: where it publishes and where generation jobs go.

The worker harness that runs real worker processes is tested in testkit/tests/test_worker.py.
"""
from __future__ import annotations

from django.conf import settings

from reelmate.celery import app


def test_the_app_publishes_to_the_test_broker():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.broker_url.startswith("redis://")


def test_generation_jobs_are_routed_to_the_render_queue():
    route = app.amqp.router.route({}, "ai_studio.tasks.run_generation_job")
    assert route["queue"].name == "render"
