"""Real clients of the live status endpoints, for tests: a WebSocket (the `websockets` library)
and a Server-Sent Events reader (httpx streaming), both speaking to a real ASGI server.

    with LiveSocket.connect(web.ws_url("/ws/live"), token) as socket:
        socket.subscribe(ids="all")
        events = socket.events_until_final(job_id)

    for event in sse_events(f"{web.base_url}/api/ai-studio/generation-status/{job_id}/events", token):
        ...
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

__all__ = ["LiveSocket", "SseEvent", "sse_events"]

FINAL_KINDS = {"completed", "failed", "canceled"}


@dataclass
class LiveSocket:
    connection: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)  # everything, in order

    @classmethod
    def connect(cls, url: str, token: str | None = None, *, subprotocols: list[str] | None = None,
                timeout: float = 10.0) -> Self:
        """Connected, and authenticated with `token` (first message) when given."""
        connection = connect(url, subprotocols=subprotocols, open_timeout=timeout, max_size=2 ** 22)
        socket = cls(connection.__enter__())  # closed by LiveSocket.__exit__
        if token is not None:
            socket.send({"type": "auth", "token": token})
            ready = socket.next_message(timeout)
            assert ready["type"] == "ready", ready
        return socket

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.close()

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message))

    def next_message(self, timeout: float = 30.0) -> dict[str, Any]:
        message = json.loads(self.connection.recv(timeout=timeout))
        self.received.append(message)
        return message

    def subscribe(self, ids: list[str] | str, stream: str = "job", after: dict[str, int] | None = None,
                  timeout: float = 10.0) -> dict[str, Any]:
        """Send `subscribe`; the answer (`subscribed`, or an `error`)."""
        self.send({"type": "subscribe", "stream": stream, "ids": ids} | ({"after": after} if after else {}))
        return self.next_message(timeout)

    def events_until_final(self, key: str, timeout: float = 180.0) -> list[dict[str, Any]]:
        """The events of `key` received until its final one (other messages are kept in `received`)."""
        deadline, events = time.monotonic() + timeout, []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                kinds = [event.get("kind") for event in events]
                raise AssertionError(f"no final event for {key} within {timeout}s; got {kinds}")
            message = self.next_message(remaining)
            if message.get("type") == "event" and message["id"] == key:
                events.append(message)
                if message["kind"] in FINAL_KINDS:
                    return events

    def quiet_for(self, seconds: float) -> list[dict[str, Any]]:
        """Whatever arrives within `seconds` (expected: nothing)."""
        got, deadline = [], time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                got.append(self.next_message(remaining))
            except TimeoutError:
                break
        return got

    def close_code(self, timeout: float = 15.0) -> tuple[int | None, str]:
        """Wait for the server to close the connection: (code, reason)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.next_message(deadline - time.monotonic())
        except ConnectionClosed as closed:
            return (closed.rcvd.code if closed.rcvd else None), (closed.rcvd.reason if closed.rcvd else "")
        raise AssertionError(f"still open after {timeout}s")


@dataclass(frozen=True)
class SseEvent:
    id: int | None
    data: dict[str, Any]


def sse_events(url: str, token: str, *, last_event_id: int | None = None, timeout: float = 180.0,
               comments: list[str] | None = None, status: list[int] | None = None) -> Iterator[SseEvent]:
    """Each event of a `text/event-stream` response until the server ends it. Comments (keep-alive)
    are appended to `comments`, the response status to `status` when given."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(timeout, connect=10.0)) as response:
        if status is not None:
            status.append(response.status_code)
        if response.status_code != 200:
            response.read()
            return
        assert response.headers["content-type"].startswith("text/event-stream"), response.headers
        event_id, data = None, []
        for line in response.iter_lines():
            if line.startswith(":"):
                if comments is not None:
                    comments.append(line)
            elif line.startswith("id:"):
                event_id = int(line[3:].strip())
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                yield SseEvent(event_id, json.loads("\n".join(data)))
                event_id, data = None, []
