"""The API served in a process of its own, as in production (gunicorn with a uvicorn worker: the
ASGI application, HTTP and WebSocket), for tests that need a real server process (one that must
survive its database restarting, a WebSocket or SSE client), and a small JSON client.

    with WebServer(env=worker_environment(extra={"DATABASE_URL": ...})) as web:
        status, body, headers = web.request("GET", "/api/health/ready")
        web.ws_url("/ws/live")  # ws://127.0.0.1:PORT/ws/live

`WebServer(..., embedded=True)` runs `make run`'s server instead (uvicorn alone, one process).
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from testkit import ChildProcess, free_port, stop_process_group, with_parent_death_signal

__all__ = ["WebServer"]


class WebServer(ChildProcess):
    def __init__(self, *, env: Mapping[str, str], log_path: Path | str, startup_timeout: float = 60.0,
                 embedded: bool = False, port: int | None = None) -> None:
        self.env = dict(env)
        self.embedded = embedded
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    def start(self) -> Self:
        self._log_file = open(self.log_path, "ab")
        self._process = subprocess.Popen(
            with_parent_death_signal(self.command),
            cwd=Path(__file__).resolve().parents[1], env=self.env, stdin=subprocess.DEVNULL,
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                if self.request("GET", "/api/health/live")[0] == 200:
                    return self
            except OSError:
                pass
            if not self.is_alive or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the web server did not start:\n{self.log_tail()}")
            time.sleep(0.2)

    @property
    def command(self) -> list[str]:
        if self.embedded:  # bin/run-stack's
            return [sys.executable, "-m", "uvicorn", "reelmate.asgi:application", "--host", "127.0.0.1",
                    "--port", str(self.port)]
        return [sys.executable, "-m", "gunicorn", "reelmate.asgi:application", "--worker-class",  # the Dockerfile's
                "uvicorn_worker.UvicornWorker", "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                "--timeout", "60"]

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self._process is not None:
            stop_process_group(self._process, grace=10.0)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = None,
                timeout: float = 30.0) -> tuple[int, Any, Mapping[str, str]]:
        """(status, body — parsed when JSON —, headers) of one request; error statuses included."""
        headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, response_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, response_headers = error.code, error.read(), error.headers
        is_json = response_headers.get("Content-Type", "").startswith("application/json")
        return status, json.loads(raw) if is_json and raw else raw.decode(errors="replace"), response_headers
