"""pytest plugin: real S3, a local OpenAI-compatible API and real Celery workers for the suite.

Registered from the root conftest (`pytest_plugins = ["testkit.fixtures"]`).

* `s3_server` (session): SeaweedFS on loopback, started once per session.
* `s3_storage` (session, autouse): Django's default storage is S3Storage on that server for the
  whole session, so every test that stores a file does real S3 over HTTP.
* `openai_server` (function): the fake OpenAI API (audio, chat), reset for each test, with
  settings.OPENAI_API_KEY / OPENAI_BASE_URL pointing at it. `openai_server_session` underneath.
* `worker_factory` / `celery_worker` (function, transactional_db): real worker processes sharing
  the test database, broker, S3 and (when the test uses `openai_server`) the fake OpenAI API.
* `beat_factory` (function): `celery beat` processes next to those workers.
* `private_redis` (function): a Redis server of the test's own (to stop, restart empty, freeze),
  used as cache and broker by the test process and the workers/beat it starts afterwards.
* `embedded_broker` (function): `make run`'s filesystem broker, in the test's own folder.
* `task_events` (function): a `TaskEvents` recorder, entered before the test body runs.
* `web_server_factory` (function, transactional_db): the API as a real server process (ASGI), on
  the test database, broker and S3, like the workers.
"""
from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from reelmate.settings import filesystem_broker_options, s3_storage_backend
from testkit.openai_server import FakeOpenAIServer
from testkit.redis_server import RedisServer
from testkit.s3_server import S3Server
from testkit.web_server import WebServer
from testkit.worker import (
    CeleryBeat,
    CeleryProcess,
    CeleryWorker,
    TaskEvents,
    broker_switched,
    purge_broker,
    worker_environment,
)

_WORKERS_KEY = pytest.StashKey[list[CeleryProcess]]()
_WEB_KEY = pytest.StashKey[list[WebServer]]()


def s3_storage_settings(server: S3Server, **client_options: Any) -> dict[str, Any]:
    """The settings reelmate.settings would compute with the S3_* environment of `server`.

    Built with reelmate.settings.s3_storage_backend, like production; staticfiles is kept.
    `client_options` (connect_timeout, read_timeout, max_attempts) go to s3_storage_backend.
    """
    return {
        "USING_S3": True,
        "S3_ENDPOINT_URL": server.endpoint_url,
        "S3_ACCESS_KEY_ID": server.access_key,
        "S3_SECRET_ACCESS_KEY": server.secret_key,
        "S3_REGION": server.region,
        "STORAGE_BUCKET_NAME": server.bucket,
        "STORAGES": {
            **django_settings.STORAGES,
            "default": s3_storage_backend(bucket=server.bucket, endpoint_url=server.endpoint_url,
                                  access_key=server.access_key, secret_key=server.secret_key,
                                  region=server.region, expire=django_settings.PRESIGNED_URL_EXPIRY,
                                  **client_options),
        },
    }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """SeaweedFS with signature checking and a private bucket, for the whole session."""
    with S3Server() as server:
        yield server


@pytest.fixture(scope="session", autouse=True)
def s3_storage(s3_server: S3Server, django_test_environment: None) -> Iterator[S3Server]:
    """Point Django's default storage at `s3_server` for the whole session.

    override_settings sends `setting_changed` for STORAGES, and Django's test signal handler
    then drops the cached backends (`storages._storages`) and `default_storage`'s wrapped
    instance, so the next use builds S3Storage from the new settings. The pytest-django
    `settings` fixture stacks on top of this and restores it after each test.
    """
    override = override_settings(**s3_storage_settings(s3_server))
    override.enable()
    try:
        yield s3_server
    finally:
        override.disable()


@pytest.fixture(scope="session")
def openai_server_session() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def openai_server(openai_server_session: FakeOpenAIServer, settings: Any) -> Iterator[FakeOpenAIServer]:
    """The fake OpenAI API, clean for this test, with OPENAI_API_KEY / OPENAI_BASE_URL set to it.

    SPEECH_DEFAULT_PROVIDER is left as it is (settings.py derives it from the key at import).
    """
    server = openai_server_session
    server.reset()
    settings.OPENAI_API_KEY = server.api_key
    settings.OPENAI_BASE_URL = server.base_url
    yield server
    server.reset()


@pytest.fixture
def private_redis(settings: Any) -> Iterator[RedisServer]:
    """A Redis server of this test's own, which the test may stop, restart empty or freeze.

    It is the cache, the broker and the event buffer of this process, and of the workers and beat
    started after this fixture (request it before `worker_factory`/`beat_factory`).
    """
    server = RedisServer().start()
    url = server.url()
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    settings.REDIS_URL = settings.CELERY_BROKER_URL = url
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": url}}
    try:
        with broker_switched(url, options):
            yield server
    finally:
        server.cleanup()


@pytest.fixture
def embedded_broker(settings: Any, tmp_path: Path) -> Iterator[dict[str, str]]:
    """`make run`'s broker: Celery's filesystem transport, in a folder of this test's own.

    This process publishes there; pass the returned environment to the workers (no Redis for them:
    filesystem broker, in-process cache, events written directly).
    """
    var_dir = tmp_path / "var"
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, **filesystem_broker_options(var_dir)}
    for redis_only in ("socket_timeout", "socket_connect_timeout"):
        options.pop(redis_only, None)
    settings.REDIS_URL, settings.CELERY_BROKER_URL = "", "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
    with broker_switched("filesystem://", options):
        yield {"REELMATE_VAR_DIR": str(var_dir)}


class WorkerFactory(Protocol):
    def __call__(
        self,
        *,
        queues: tuple[str, ...] = ("default", "render"),
        env: Mapping[str, str] | None = None,
        concurrency: int = 1,
        ready_timeout: float = 60.0,
        extra_args: tuple[str, ...] = (),
    ) -> CeleryWorker: ...


@pytest.fixture
def worker_factory(
    request: pytest.FixtureRequest, transactional_db: None, s3_storage: S3Server, tmp_path: Path
) -> Iterator[WorkerFactory]:
    """Start real Celery workers; every one is stopped (TERM, then KILL) at teardown.

    `worker_factory(queues=("render",), env={"GENERATION_MAX_ATTEMPTS": "2"})` — `env` is
    applied over `worker_environment()` (test DB, broker, S3, OpenAI and mirrored settings).
    The broker is purged once, before the first worker of the test starts, so stale messages
    from earlier runs are not consumed, while messages a killed worker left behind survive
    for a replacement worker started later in the same test.
    """
    # If the test also uses the fake OpenAI API, set it up first so its settings reach the worker.
    if "openai_server" in request.fixturenames:
        request.getfixturevalue("openai_server")
    purge_broker()
    workers: list[CeleryWorker] = []
    request.node.stash[_WORKERS_KEY] = workers

    def start(
        *,
        queues: tuple[str, ...] = ("default", "render"),
        env: Mapping[str, str] | None = None,
        concurrency: int = 1,
        ready_timeout: float = 60.0,
        extra_args: tuple[str, ...] = (),
    ) -> CeleryWorker:
        worker = CeleryWorker(
            env=worker_environment(extra=env),
            queues=queues,
            concurrency=concurrency,
            log_path=tmp_path / f"celery-worker-{len(workers) + 1}.log",
            ready_timeout=ready_timeout,
            extra_args=extra_args,
        )
        workers.append(worker)
        worker.start()
        return worker

    yield start
    _stop_all(workers)


def _stop_all(processes: list[CeleryProcess]) -> None:
    failures: list[Exception] = []
    for process in reversed(processes):
        try:
            process.stop()
        except Exception as error:
            failures.append(error)
    if failures:
        raise failures[0]


@pytest.fixture
def beat_factory(request: pytest.FixtureRequest, worker_factory: WorkerFactory,
                 tmp_path: Path) -> Iterator[Callable[..., CeleryBeat]]:
    """Start `celery beat` processes (as the README runs it next to the workers), stopped at teardown.

    `beat_factory(env={"GENERATION_DISPATCH_SECONDS": "1"})`: `env` as for `worker_factory`.
    """
    beats: list[CeleryBeat] = []
    processes = request.node.stash[_WORKERS_KEY]

    def start(*, env: Mapping[str, str] | None = None) -> CeleryBeat:
        number = len(beats) + 1
        beat = CeleryBeat(env=worker_environment(extra=env), schedule_path=tmp_path / f"celerybeat-schedule-{number}",
                          log_path=tmp_path / f"celery-beat-{number}.log")
        beats.append(beat)
        processes.append(beat)
        beat.start()
        return beat

    yield start
    _stop_all(beats)


@pytest.fixture
def web_server_factory(request: pytest.FixtureRequest, transactional_db: None, s3_storage: S3Server,
                       tmp_path: Path) -> Iterator[Callable[..., WebServer]]:
    """Start the API (the ASGI app under gunicorn + uvicorn, or `embedded=True`: uvicorn alone) on the
    test database, stopped at teardown; its log tail is attached to a failing test's report.

    `web_server_factory(env={"LIVE_AUTH_TIMEOUT_SECONDS": "1"})`: `env` as for `worker_factory`.
    """
    if "openai_server" in request.fixturenames:
        request.getfixturevalue("openai_server")
    servers: list[WebServer] = []
    request.node.stash[_WEB_KEY] = servers

    def start(*, env: Mapping[str, str] | None = None, embedded: bool = False, port: int | None = None) -> WebServer:
        server = WebServer(env=worker_environment(extra=env), embedded=embedded, port=port,
                           log_path=tmp_path / f"web-{len(servers) + 1}.log")
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def celery_worker(worker_factory: WorkerFactory) -> CeleryWorker:
    """One running worker on the `default` and `render` queues (concurrency 1, prefork)."""
    return worker_factory()


@pytest.fixture
def task_events() -> Iterator[TaskEvents]:
    """Celery events seen during the test (workers started by these fixtures send them)."""
    with TaskEvents() as events:
        yield events


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failing test, attach the tail of each worker's log to the report."""
    report = yield
    if report.failed:
        for process in item.stash.get(_WORKERS_KEY, []):
            report.sections.append((f"celery {process.kind} {process.name} log (tail)", process.log_tail(80)))
        for server in item.stash.get(_WEB_KEY, []):
            report.sections.append((f"web server {server.base_url} log (tail)", server.log_tail(80)))
    return report


__all__ = [
    "WorkerFactory",
    "beat_factory",
    "embedded_broker",
    "private_redis",
    "celery_worker",
    "openai_server",
    "openai_server_session",
    "s3_server",
    "s3_storage",
    "s3_storage_settings",
    "task_events",
    "web_server_factory",
    "worker_factory",
]
