"""What a request costs the production web server beyond its view: database connections come from
a pool in the web processes, and under ASGI the middleware chain does not switch threads per hook."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from django.test import AsyncClient

ROOT = Path(__file__).resolve().parents[2]


def database_settings_after_importing(module: str) -> dict:
    """settings.DATABASES['default'] in a fresh process that imported `module` first."""
    env = {key: value for key, value in os.environ.items() if key != "DB_POOL"}
    env.update(DJANGO_SETTINGS_MODULE="reelmate.settings", DEBUG="false", SECRET_KEY="x" * 40,
               DATABASE_URL="postgres://postgres@127.0.0.1:5432/reelmate", DB_POOL_MAX_SIZE="6")
    code = (f"import {module}; from django.conf import settings; import json; "
            "db = settings.DATABASES['default']; "
            "print(json.dumps({'pool': db['OPTIONS'].get('pool'), 'max_age': db['CONN_MAX_AGE']}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.splitlines()[-1])


@pytest.mark.parametrize("entrypoint", ["reelmate.asgi", "reelmate.wsgi"])
def test_the_web_entrypoints_take_connections_from_a_pool(entrypoint):
    database = database_settings_after_importing(entrypoint)
    assert database["pool"] == {"min_size": 1, "max_size": 6, "timeout": 5.0}
    assert database["max_age"] == 0  # a request hands its connection back to the pool


def test_other_processes_keep_their_own_connections():
    """Celery workers fork: their processes must not inherit pooled connections."""
    database = database_settings_after_importing("reelmate.celery")
    assert database["pool"] is None
    assert database["max_age"] == 60


@pytest.fixture
def thread_switches(monkeypatch):
    """Counts the calls of sync code from async code (each a switch to a thread and back)."""
    calls = []
    original = SyncToAsync.__call__

    async def counting(self, *args, **kwargs):
        calls.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counting)
    return calls


def test_under_asgi_a_request_switches_threads_a_few_times_not_once_per_middleware_hook(thread_switches):
    response = async_to_sync(AsyncClient().get)("/api/health/live")
    assert response.status_code == 200
    # The chain, the view, the request signals and process_view hooks: with the async chain Django
    # chose before (each middleware's hooks through sync_to_async) it was 38.
    assert len(thread_switches) <= 10, thread_switches
