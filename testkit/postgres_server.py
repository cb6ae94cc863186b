"""A private PostgreSQL server for tests that stop and restart the database.

The suite's shared server (127.0.0.1:5432) is used by everyone's tests and must never be
restarted; this is a throwaway cluster (`initdb` in a temporary folder, on a free port, no fsync)
that a test can stop and start again with its data, as a database restart or failover does.

PostgreSQL refuses to run as root: as root, the server programs run as the `postgres` user
(`runuser`), which owns the cluster's folder.

    with PostgresServer() as pg:
        pg.copy_database_from("postgres://postgres@127.0.0.1:5432/test_x", "app")
        url = pg.url("app")
        pg.stop()     # immediate shutdown: connections drop, as in a crash
        pg.start()    # back, with its data
"""
from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Self

from testkit import StartStop, free_port

__all__ = ["PostgresServer", "postgres_binary"]


def postgres_binary(name: str) -> str:
    """A server program (initdb, pg_ctl) of the newest PostgreSQL installed in the usual place."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda path: int(path.split("/")[4]))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise FileNotFoundError(f"{name} not found: install the PostgreSQL server packages")
    return on_path


class PostgresServer(StartStop):
    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        self.workdir = Path(tempfile.mkdtemp(prefix="reelmate-pg-"))
        self.data_dir = self.workdir / "data"
        self.log_path = self.workdir / "postgres.log"
        self._as_postgres = os.geteuid() == 0
        self._initialized = False
        self._running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@{self.host}:{self.port}/{database}"

    def start(self) -> Self:
        if not self._initialized:
            if self._as_postgres:
                account = pwd.getpwnam("postgres")
                os.chown(self.workdir, account.pw_uid, account.pw_gid)
            self._run(postgres_binary("initdb"), "-D", str(self.data_dir), "-A", "trust", "-U", "postgres",
                      "--no-sync", "-E", "UTF8")
            self._initialized = True
            atexit.register(self.cleanup)  # a safety net if the test's own teardown never runs
        # No fsync: what a process crash loses is only what the OS would lose. Commits stay
        # synchronous, so an immediate stop keeps every committed row.
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses={self.host} -c fsync=off"
        self._run(postgres_binary("pg_ctl"), "-D", str(self.data_dir), "-o", options, "-l", str(self.log_path),
                  "-w", "-t", "60", "start")
        self._running = True
        return self

    def stop(self) -> None:
        """Immediate shutdown: every connection drops at once, as when the server crashes."""
        if self._running:
            self._run(postgres_binary("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
            self._running = False

    def cleanup(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.cleanup)

    def copy_database_from(self, source_url: str, name: str) -> None:
        """Create database `name` here as a copy of another server's database (schema and rows)."""
        subprocess.run(["psql", self.url(), "-qc", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
        dump = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", source_url], check=True,
                              capture_output=True)
        subprocess.run(["psql", self.url(name), "-q", "-v", "ON_ERROR_STOP=1"], input=dump.stdout, check=True,
                       capture_output=True)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def _run(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if self._as_postgres else list(args)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, command, result.stdout,
                                                f"{result.stderr}\n{self.log_tail()}")
