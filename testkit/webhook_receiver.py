"""A webhook receiver on loopback: a real HTTP server (threaded) that records what it is sent, checks
signatures with the Standard Webhooks library's own verifier, and answers as a test scripts it.

    with WebhookReceiver() as receiver:
        receiver.script(Reply(503), Reply(503))     # then the default: 200
        ... endpoint at receiver.url("/hooks") ...
        first, second, third = receiver.wait_for(3)
        receiver.verify(third, secret)              # the parsed body; raises if no signature matches

A `Reply` may wait before answering (`delay`, for timeouts) or redirect (`location`).
"""
from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from standardwebhooks import Webhook

from testkit import StartStop

__all__ = ["Received", "Reply", "WebhookReceiver"]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    location: str | None = None


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def signatures(self) -> list[str]:
        return self.headers.get("webhook-signature", "").split()


class WebhookReceiver(StartStop):
    def __init__(self, host: str = "127.0.0.1", default: Reply = Reply(), *,
                 tls: tuple[str, str] | None = None) -> None:
        """`tls`: (certificate file, key file) to serve https."""
        self.host = host
        self.tls = tls
        self.default = default
        self.received: list[Received] = []
        self._script: list[Reply] = []
        self._lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Self:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once: no delayed-ACK stalls

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                reply = receiver._record(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if reply.delay:
                    time.sleep(reply.delay)
                with contextlib.suppress(OSError):  # the sender may have given up (a timeout)
                    self.send_response(reply.status)
                    if reply.location:
                        self.send_header("Location", reply.location)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)

            do_GET = do_POST  # a followed redirect would arrive as a GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server_class = ThreadingHTTPServer
        if ":" in self.host:  # an IPv6 address, e.g. ::1
            server_class = type("ThreadingHTTPServerV6", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
        self._server = server_class((self.host, 0), Handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return self._server.server_address[1]

    def url(self, path: str = "/hooks") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{path}"

    # --- scripting and reading ----------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order; then with `default`."""
        with self._lock:
            self._script.extend(replies)

    def _record(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            self._lock.notify_all()
            return self._script.pop(0) if self._script else self.default

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The first `count` requests, once they have arrived."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.received) >= count, timeout=timeout):
                raise AssertionError(f"{len(self.received)} webhook request(s) arrived, expected {count}")
            return list(self.received[:count])

    @staticmethod
    def verify(request: Received, secret: str) -> Any:
        """The JSON body if a signature made with `secret` is valid (standardwebhooks' verifier)."""
        return Webhook(secret).verify(request.body, request.headers)
