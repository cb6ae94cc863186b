"""A real Celery worker process for tests, and a way to watch what it does.

`CeleryWorker` runs `python -m celery -A reelmate worker` (prefork, like production) in its own
process group with an environment derived from the test process's Django settings: the *test*
database pytest-django created, the same Redis broker, the same storage and OpenAI endpoints.
Being another process, it only sees committed rows: use it from `transactional_db` tests.

Results are ignored project-wide (`task_ignore_result=True`, no result backend), so tests observe
the worker through the broker instead: control `ping`/`inspect` (readiness, per-task totals) and
task events (`-E`), which `TaskEvents` records — e.g. `task-succeeded` with the task's return value.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

from celery import Celery
from django.conf import settings
from django.db import connections

from reelmate.celery import app as reelmate_app
from testkit import ChildProcess, group_pids, stop_process_group, with_parent_death_signal

__all__ = ["CeleryBeat", "CeleryProcess", "CeleryWorker", "TaskEvents", "broker_switched", "database_url",
           "purge_broker", "worker_environment"]

_counter = itertools.count(1)

# Settings read from the environment by reelmate.settings under the same name, copied from the
# test process (including values a test changed with the `settings` fixture) so the worker
# behaves like the code under test expects. Extend via `worker_environment(extra=...)`.
MIRRORED_SETTINGS = (
    "SECRET_KEY",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_SOFT_TIME_LIMIT",
    "CELERY_TASK_TIME_LIMIT",
    "STORAGE_BUCKET_NAME",
    "S3_ENDPOINT_URL",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_REGION",
    "PRESIGNED_URL_EXPIRY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_TTS_MODEL",
    "OPENAI_TRANSCRIBE_MODEL",
    "OPENAI_WORD_TIMESTAMPS",
    "OPENAI_TIMEOUT",
    "SPEECH_DEFAULT_PROVIDER",
    "RENDER_PRESET",
    "RENDER_CRF",
    "RENDER_THREADS",
    "GENERATION_MAX_ATTEMPTS",
    "GENERATION_RETRY_BASE_SECONDS",
    "GENERATION_LEASE_SECONDS",
    "GENERATION_DISPATCH_SECONDS",
    "OUTAGE_RECHECK_SECONDS",
    "PUBLIC_BASE_URL",
    "FRONTEND_URL",
)


def database_url(alias: str = "default") -> str:
    """A DATABASE_URL for the database this process is connected to (the test database, in tests)."""
    config = connections[alias].settings_dict
    engine, name = config["ENGINE"], str(config["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or name.startswith("file:memorydb") or "mode=memory" in name:
            raise RuntimeError("a worker process cannot share an in-memory SQLite database; use PostgreSQL "
                               "(DATABASE_URL=postgres://...) or a file-based test database")
        return f"sqlite:///{name}"
    if not engine.endswith(("postgresql", "postgis")):
        raise RuntimeError(f"worker_environment() does not know how to describe {engine} as a URL")
    user = quote(config.get("USER") or "", safe="")
    password = quote(config.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = config.get("HOST") or "localhost"
    host = quote(host, safe="") if host.startswith("/") else host  # a unix socket directory
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"


def _env_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def worker_environment(*, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a worker that shares this test process's database, broker and services.

    Built from the *current* Django settings, so overrides made before the worker starts (the
    session-wide S3 storage, `openai_server`, `settings.X = ...`) reach the worker too.
    """
    if reelmate_app.conf.broker_url != settings.CELERY_BROKER_URL:
        # The test process publishes with reelmate.celery.app; the worker consumes
        # settings.CELERY_BROKER_URL. If they differ, tasks would silently go nowhere.
        raise RuntimeError(f"reelmate.celery.app publishes to {reelmate_app.conf.broker_url!r} but settings say "
                           f"{settings.CELERY_BROKER_URL!r}")
    env = dict(os.environ)
    env.update({name: _env_value(getattr(settings, name, None)) for name in MIRRORED_SETTINGS})
    env.update({
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "reelmate.test_settings"),
        "DATABASE_URL": database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_VISIBILITY_TIMEOUT": _env_value(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")),
        # A local-storage override in the test process cannot be mirrored (its location is
        # arbitrary): the worker then falls back to MEDIA_ROOT, which tests should not rely on.
        "S3_ACCESS_KEY_ID": settings.S3_ACCESS_KEY_ID if settings.USING_S3 else "",
        "S3_SECRET_ACCESS_KEY": settings.S3_SECRET_ACCESS_KEY if settings.USING_S3 else "",
        "LOG_LEVEL": "INFO",  # the worker's log is only read when a test fails: make it useful
        "LOG_FORMAT": "text",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra or {})
    return env


def purge_broker(app: Celery | None = None) -> None:
    """Drop waiting task messages (and, on Redis, unacknowledged ones) left by earlier runs.

    `control.purge()` empties the declared queues; on Redis, messages a killed worker had
    reserved sit in kombu's `unacked` hash and would be restored into a queue later, so they
    are dropped too.
    """
    app = app or reelmate_app
    app.control.purge()
    with app.connection_for_write() as connection:
        if connection.transport.driver_type == "redis":
            channel = connection.default_channel
            channel.client.delete(channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key)


@contextlib.contextmanager
def broker_switched(url: str, transport_options: Mapping[str, Any], app: Celery | None = None) -> Iterator[None]:
    """Make `app` (the project's by default) publish to and control through another broker for a
    while: its configuration and its cached connection pools are switched, then restored."""
    app = app or reelmate_app
    keys = ("broker_url", "broker_transport_options")
    # app.conf reads Django's settings when asked, unless a value was set on it: restore exactly that.
    saved = {key: app.conf.changes[key] for key in keys if key in app.conf.changes}

    def reset_pools() -> None:
        # Looked up again on next use, like after a fork: kombu keeps one pool per broker URL, so
        # the suite's own pool is found again, open, once the switch is undone.
        app._pool = None
        app.amqp._producer_pool = None

    reset_pools()
    app.conf.update(broker_url=url, broker_transport_options=dict(transport_options))
    try:
        yield
    finally:
        reset_pools()
        for key in keys:
            app.conf.changes.pop(key, None)
        app.conf.update(saved)


class CeleryProcess(ChildProcess):
    """A `celery` program (worker or beat) in its own process group, with its log in a file.

    Subclasses say what to run (`command`) and when it is ready (`_wait_until_ready`).
    """

    kind = "celery"

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        name: str | None = None,
        log_path: Path | str | None = None,
        ready_timeout: float = 60.0,
        cwd: Path | str | None = None,
        extra_args: Iterable[str] = (),
        app: Celery | None = None,
    ) -> None:
        self.env = dict(env)
        unique = f"{os.getpid()}-{next(_counter)}-{uuid.uuid4().hex[:6]}"
        self.name = name or f"reelmate-test-{unique}@{socket.gethostname()}"
        self._own_log = log_path is None
        self.log_path = (Path(log_path) if log_path
                         else Path(tempfile.mkstemp(prefix=f"celery-{self.kind}-", suffix=".log")[1]))
        self.ready_timeout = ready_timeout
        self.cwd = Path(cwd) if cwd else Path(__file__).resolve().parents[1]  # the project root
        self.extra_args = tuple(extra_args)
        self.app = app or reelmate_app
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def command(self) -> list[str]:
        raise NotImplementedError

    def _wait_until_ready(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        if self.is_alive:
            raise RuntimeError(f"{self.kind} already running")
        self._log_file = open(self.log_path, "ab")
        self._process = subprocess.Popen(
            with_parent_death_signal(self.command),
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a group of its own: stop()/kill() reach the pool children too
        )
        try:
            self._wait_until_ready()
        except BaseException:  # including KeyboardInterrupt: never leave the process running
            self.kill()
            raise
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Warm shutdown (SIGTERM to the main process: finish the current task), then SIGKILL the group.

        Idempotent; `pid` and `returncode` stay readable afterwards.
        """
        if self._process is not None:
            # TERM goes to the main process only: pool children are its business, and a TERM
            # straight to a child would look like a crash (WorkerLostError) in the log.
            stop_process_group(self._process, grace=timeout, first_signal=signal.SIGTERM, whole_group=False)
            self._close_log()

    def kill(self) -> None:
        """SIGKILL the main process and its pool children at once, as an OOM kill or a crash would."""
        if self._process is not None:
            stop_process_group(self._process, first_signal=None)
            self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def cleanup(self) -> None:
        """Stop if needed and remove the log file if this object created it."""
        self.stop()
        if self._own_log:
            with contextlib.suppress(OSError):
                self.log_path.unlink()


    # --- state --------------------------------------------------------------------------------
    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    def pids(self) -> list[int]:
        """The main process and its children (everything alive in the process group)."""
        return group_pids(self._process.pid) if self._process else []

    def child_pids(self) -> list[int]:
        """The pool processes: the main process's own children, not what they run (ffmpeg)."""
        return [pid for pid in self.pids() if pid != self.pid and _parent_pid(pid) == self.pid]

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def _check_alive(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(f"{self.kind} {self.name} exited with {self._process.returncode}\n{self.log_tail()}")


class CeleryWorker(CeleryProcess):
    """One `celery worker` process (prefork) in its own process group.

        worker = CeleryWorker(env=worker_environment(), queues=("default", "render"))
        worker.start()          # returns once the worker answers a control ping
        ...
        worker.stop()           # warm shutdown (TERM), SIGKILL to the group after a timeout
        worker.kill()           # SIGKILL the whole group at once (crash simulation)

    With `extra_args=("-B", "--schedule", path)` it embeds beat, as `make run` does.
    """

    kind = "worker"

    def __init__(self, *, env: Mapping[str, str], queues: Iterable[str] = ("default", "render"),
                 concurrency: int = 1, **options: Any) -> None:
        super().__init__(env=env, **options)
        self.queues = tuple(queues)
        self.concurrency = concurrency

    @property
    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "reelmate", "worker",
            "-Q", ",".join(self.queues),
            "-c", str(self.concurrency),
            "-P", "prefork",
            "-n", self.name,
            "-l", "INFO",
            "-E",  # task events, so tests can see what ran (results are ignored)
            # No cluster chatter: start faster and do not talk to other tests' workers.
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            *self.extra_args,
        ]

    # --- talking to it through the broker -----------------------------------------------------
    def ping(self, timeout: float = 1.0) -> bool:
        replies = self.app.control.ping(destination=[self.name], timeout=timeout)
        return any(self.name in reply for reply in replies)

    def stats(self, timeout: float = 2.0) -> dict[str, Any]:
        replies = self.app.control.inspect(destination=[self.name], timeout=timeout).stats() or {}
        if self.name not in replies:
            raise RuntimeError(f"worker {self.name} did not answer inspect().stats()\n{self.log_tail()}")
        return replies[self.name]

    def task_totals(self) -> dict[str, int]:
        """How many tasks of each name this worker has accepted (started) since it started."""
        return dict(self.stats().get("total", {}))

    def wait_for_total(self, task_name: str, count: int, timeout: float = 20.0) -> int:
        """Poll `inspect().stats()['total']` until `task_name` reaches `count`; return the total."""
        deadline = time.monotonic() + timeout
        total = 0
        while time.monotonic() < deadline:
            self._check_alive()
            total = self.task_totals().get(task_name, 0)
            if total >= count:
                return total
            time.sleep(0.1)
        raise AssertionError(f"{task_name} ran {total} times on {self.name}, expected {count}\n{self.log_tail()}")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        with self.app.connection_for_write() as connection:
            # A broker that restarted since this process last used it breaks the first attempt.
            broker_gone = connection.connection_errors + connection.channel_errors
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if self.ping(timeout=0.5):
                    return
            except broker_gone:
                time.sleep(0.2)
        raise RuntimeError(f"worker {self.name} not ready after {self.ready_timeout}s\n{self.log_tail()}")


class CeleryBeat(CeleryProcess):
    """`celery beat`, as the README runs it next to the workers; its schedule file in `schedule_path`."""

    kind = "beat"

    def __init__(self, *, env: Mapping[str, str], schedule_path: Path | str, **options: Any) -> None:
        super().__init__(env=env, **options)
        self.schedule_path = Path(schedule_path)

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "reelmate", "beat", "--schedule", str(self.schedule_path),
                "-l", "INFO", *self.extra_args]

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while "beat: Starting..." not in self.log_text():
            self._check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"beat not started after {self.ready_timeout}s\n{self.log_tail()}")
            time.sleep(0.1)


class TaskEvents:
    """Record Celery events (task-received/started/succeeded/failed/retried...) from the broker.

        with TaskEvents() as events:
            result = app.send_task("reelmate.ping", args=["hi"])
            event = events.wait_for("task-succeeded", uuid=result.id)
            assert event["result"] == "'hi'"

    Workers must run with `-E` (CeleryWorker does). Events are only seen while recording, so
    enter the block before sending the task.
    """

    def __init__(self, app: Celery | None = None, *, ready_timeout: float = 10.0) -> None:
        self.app = app or reelmate_app
        self.ready_timeout = ready_timeout
        self.events: list[dict[str, Any]] = []
        self._condition = threading.Condition()
        self._ready = threading.Event()
        self._receiver: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="celery-events", daemon=True)
        self._thread.start()
        if not self._ready.wait(self.ready_timeout):
            raise RuntimeError(f"event receiver not consuming after {self.ready_timeout}s: {self._error!r}")
        if self._error is not None:
            raise RuntimeError("event receiver failed") from self._error
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._receiver is not None:
            self._receiver.should_stop = True
        if self._thread is not None:
            self._thread.join(timeout=5)  # the receiver checks should_stop every second

    def _run(self) -> None:
        try:
            with self.app.connection_for_read() as connection:
                receiver = self.app.events.Receiver(connection, handlers={"*": self._on_event})
                original = receiver.on_consume_ready

                def on_consume_ready(*args: Any, **kwargs: Any) -> None:
                    original(*args, **kwargs)
                    self._ready.set()  # the event queue is bound: nothing sent from now on is missed

                receiver.on_consume_ready = on_consume_ready
                self._receiver = receiver
                receiver.capture(limit=None, timeout=None, wakeup=False)
        except Exception as error:
            self._error = error
            self._ready.set()

    def _on_event(self, event: dict[str, Any]) -> None:
        with self._condition:
            self.events.append(event)
            self._condition.notify_all()

    def of_type(self, event_type: str, **fields: Any) -> list[dict[str, Any]]:
        with self._condition:
            return [e for e in self.events if e.get("type") == event_type and _has(e, fields)]

    def wait_for(self, event_type: str, timeout: float = 20.0,
                 predicate: Callable[[dict[str, Any]], bool] | None = None, **fields: Any) -> dict[str, Any]:
        """The first event of `event_type` whose fields equal `fields` (and satisfying `predicate`)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for event in self.events:
                    matches = event.get("type") == event_type and _has(event, fields)
                    if matches and (predicate is None or predicate(event)):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._error is not None:
                    seen = [(e.get("type"), e.get("uuid"), e.get("hostname")) for e in self.events]
                    raise AssertionError(f"no {event_type} event with {fields} within {timeout}s; saw {seen}")
                self._condition.wait(min(remaining, 0.5))


def _has(event: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    return all(event.get(key) == value for key, value in fields.items())


def _parent_pid(pid: int) -> int | None:
    """The parent of a live process (from /proc), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rpartition(")")[2].split()[1])  # after "pid (comm)": state, ppid, ...
