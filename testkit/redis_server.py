"""A private Redis server for tests that stop, restart or freeze Redis: `redis-server` on a free
loopback port of its own, without persistence, so a restart comes back empty as after a crash.

    with RedisServer() as redis_server:
        url = redis_server.url()
        redis_server.stop()       # gone: connections are refused
        redis_server.start()      # back on the same port, empty
        redis_server.pause()      # frozen (SIGSTOP): connections hang until timeouts
        redis_server.resume()
"""
from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Self

from testkit import ChildProcess, free_port, stop_process_group, with_parent_death_signal

__all__ = ["RedisServer"]


class RedisServer(ChildProcess):
    def __init__(self, *, host: str = "127.0.0.1", startup_timeout: float = 10.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.binary = binary
        self.host = host
        self.port = free_port(host)  # kept across restarts: clients reconnect to the same address
        self.startup_timeout = startup_timeout
        self.workdir = Path(tempfile.mkdtemp(prefix="reelmate-redis-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def start(self) -> Self:
        if self.is_alive:
            raise RuntimeError("redis-server already running")
        self._log_file = open(self.workdir / "redis.log", "ab")
        self._process = subprocess.Popen(
            with_parent_death_signal([
                self.binary, "--port", str(self.port), "--bind", self.host, "--save", "", "--appendonly", "no",
                "--dir", str(self.workdir), "--protected-mode", "no",
            ]),
            stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on {self.port}:\n{self.log_tail()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """SIGKILL, as a crash would: nothing is saved, the next start is empty."""
        if self._process is not None:
            stop_process_group(self._process, first_signal=None)
            self._process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def restart_empty(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): it keeps its port, but answers nothing."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join((self.workdir / "redis.log").read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def _answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
