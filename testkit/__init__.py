"""Test infrastructure built from real components: no mocks of boto3, OpenAI or Celery.

Dev-only, like bench/: no product module imports it, and the Docker image leaves it out
(.dockerignore). Its own tests are in testkit/tests/.

* `s3_server.S3Server` — SeaweedFS on loopback with signature checking (a private bucket).
* `redis_server.RedisServer`, `postgres_server.PostgresServer` — private servers a test may stop,
  restart or freeze; `web_server.WebServer` — the API under gunicorn in its own process.
* `openai_server.FakeOpenAIServer` — an OpenAI-compatible API: real audio, scripted chat answers.
* `worker.CeleryWorker` / `worker.TaskEvents` — a real worker process and its task events.
* `fixtures` — the pytest plugin wiring them into the suite (registered in the root conftest).
* `imports` — Python imports read from the source, for the tests of the code's dependencies.

Submodules are imported on use; this module only holds the process helpers they share.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

__all__ = ["ChildProcess", "StartStop", "free_port", "group_pids", "stop_process_group", "with_parent_death_signal"]

# Runs in the child before the real program: ask the kernel to SIGKILL this process when its
# parent (the test process) dies, then exec the program (the setting survives execve). This is
# the safety net for a test run that is itself killed and cannot run its finalizers. It is a
# separate interpreter rather than a `preexec_fn`, which is unsafe while other threads run (the
# fake OpenAI server and the event recorder are threads).
_PDEATHSIG_SHIM = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, 9)\n"  # PR_SET_PDEATHSIG, SIGKILL
    "if os.getppid() != int(sys.argv[1]):\n"  # the parent died before prctl took effect
    "    os._exit(1)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def with_parent_death_signal(args: list[str]) -> list[str]:
    """`args` wrapped so the process is SIGKILLed if the current process dies (Linux; else unchanged).

    The kernel ties this to the thread that starts the child: start it from the main thread.
    """
    if not sys.platform.startswith("linux"):
        return list(args)
    return [sys.executable, "-c", _PDEATHSIG_SHIM, str(os.getpid()), *args]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for a server a test starts, or to refuse connections)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def group_pids(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group `pgid`, read from /proc (Linux)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(command)": state ppid pgrp ...
        if fields[0] != "Z" and int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return sorted(pids)


def stop_process_group(process: subprocess.Popen[Any], *, grace: float = 5.0,
                       first_signal: signal.Signals | None = signal.SIGTERM, whole_group: bool = True) -> None:
    """Stop a process started with `start_new_session=True` and everything in its group.

    Sends `first_signal` (to the group, or to the leader only with whole_group=False) and waits
    up to `grace` seconds for the leader; then SIGKILLs the group and waits until it is empty,
    so no child outlives the call.
    """
    pgid = process.pid
    if first_signal is not None and process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if whole_group:
                os.killpg(pgid, first_signal)
            else:
                process.send_signal(first_signal)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    deadline = time.monotonic() + 10
    # Signal the group only while it provably exists (leader not reaped, or members left), so a
    # recycled process-group id is never hit.
    while process.poll() is None or group_pids(pgid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes {group_pids(pgid)} of group {pgid} survived SIGKILL")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.05)


class StartStop:
    """`with Thing() as thing:` for the test peers that have `start()` (returning self) and `stop()`."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class ChildProcess(StartStop):
    """A test peer that runs one program as a child process (`self._process`, set by `start()`)."""

    _process: subprocess.Popen[Any] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def is_alive(self) -> bool:
        return self._process is not None and self._process.poll() is None
