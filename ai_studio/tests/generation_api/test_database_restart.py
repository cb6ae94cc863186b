"""PostgreSQL restarts while the API serves and a worker renders: the API answers JSON 503 while the
database is down and recovers by itself (the same server process), and the job completes once.

A PostgreSQL server of the test's own (a copy of the test database, with this test's user, avatar
and voice), the API under gunicorn and a worker with embedded beat, all real processes; the
shared database server is never touched.
"""
from __future__ import annotations

import time

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD
from testkit.postgres_server import PostgresServer
from testkit.web_server import WebServer
from testkit.worker import database_url, worker_environment

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCRIPT = "Meet the new Rocket Shoes. Lighter than air, faster than ever. Tap the link and run further today!"
FAST_RECOVERY = {"GENERATION_LEASE_SECONDS": "4", "GENERATION_DISPATCH_SECONDS": "1"}


@pytest.fixture
def own_postgres(transactional_db):
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.cleanup()


WORKER_SAW_THE_OUTAGE = "heartbeat failed; retrying"


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


def poll(web: WebServer, path: str, token: str, until, timeout: float = 150.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body, _ = web.request("GET", path, token=token)
        if status == 200 and until(body):
            return body
        time.sleep(0.2)
    raise AssertionError(f"{path}: last answer {status} {body}")


def test_the_api_answers_503_while_postgres_restarts_then_recovers_and_the_job_completes_once(
        own_postgres, user, avatar, voice, worker_factory, tmp_path):
    own_postgres.copy_database_from(database_url(), "reelmate")  # what this test created is committed
    env = {"DATABASE_URL": own_postgres.url("reelmate"), **FAST_RECOVERY}
    web = WebServer(env=worker_environment(extra=env), log_path=tmp_path / "gunicorn.log").start()
    try:
        worker = worker_factory(env=env, extra_args=("-B", "--schedule", str(tmp_path / "celerybeat-schedule")))
        status, tokens, _ = web.request("POST", "/api/auth/token", {"email": user.email, "password": DEFAULT_PASSWORD})
        assert status == 200, tokens
        token = tokens["access"]
        status, job, _ = web.request("POST", "/api/ai-studio/generate-video", {
            "avatar_id": avatar.pk, "voice_id": voice.pk, "script": " ".join([SCRIPT] * 2)}, token=token)
        assert status == 202, job
        job_path = f"/api/ai-studio/generation-status/{job['id']}"
        poll(web, job_path, token, until=lambda body: body["stage"] == "rendering_video")

        own_postgres.stop()  # every connection drops
        during = {path: web.request("GET", path, token=token) for path in
                  (job_path, "/api/campaigns", "/api/health/ready", "/v/missing-share-token-0001")}
        wait_until(lambda: WORKER_SAW_THE_OUTAGE in worker.log_text())  # its job's heartbeat failed meanwhile
        own_postgres.start()

        for path in (job_path, "/api/campaigns"):
            status, body, headers = during[path]
            assert (status, body["error"]["code"], headers["Retry-After"]) == (503, "database_unavailable", "5")
        status, body, _ = during["/api/health/ready"]
        assert (status, body["status"], body["components"]["database"]["status"]) == (503, "unavailable", "down")
        status, body, headers = during["/v/missing-share-token-0001"]
        assert (status, headers["Content-Type"]) == (503, "text/plain")

        final = poll(web, job_path, token, until=lambda body: body["status"] in ("completed", "failed"))
        assert final["status"] == "completed", final["error"]
        status, videos, _ = web.request("GET", "/api/ai-studio/generated-videos", token=token)
        assert (status, videos["count"]) == (200, 1)
        assert web.request("GET", "/api/health/ready")[0] == 200
        assert web.is_alive  # the same server process served before, during and after
    finally:
        web.stop()
