"""The production ASGI handler (reelmate.asgi_pool): ordinary requests run on a fixed pool of
long-lived threads, as in a WSGI worker; streams, async views and errors behave as under Django's own
ASGIHandler."""
from __future__ import annotations

import asyncio
import json
import threading

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection, connections

from reelmate.asgi_pool import PooledASGIHandler
from reelmate.tests import asgi_pool_urls

pytestmark = pytest.mark.urls("reelmate.tests.asgi_pool_urls")


def http_scope(method: str, path: str, headers: list[tuple[bytes, bytes]] = ()) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), *headers], "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000)}


class Client:
    """One ASGI request at a time against `app`; the messages it sent back."""

    def __init__(self, app):
        self.app = app

    async def request(self, method: str, path: str, body: bytes = b"", headers=(), on_message=None):
        sent, inbox = [], asyncio.Queue()
        await inbox.put({"type": "http.request", "body": body, "more_body": False})

        async def receive():
            return await inbox.get()  # after the body: waits, as a connected client does

        async def send(message):
            sent.append(message)
            if on_message:
                await on_message(message)

        await self.app(http_scope(method, path, list(headers)), receive, send)
        start = sent[0]
        body_parts = [message.get("body", b"") for message in sent[1:]]
        return start["status"], dict(start["headers"]), body_parts


@pytest.fixture
def app():
    handler = PooledASGIHandler(threads=2)
    yield handler
    handler.executor.shutdown(wait=True)


def run(coroutine):
    return asyncio.run(coroutine)


def test_requests_run_on_a_bounded_set_of_long_lived_threads(app):
    async def twenty_requests():
        client = Client(app)
        return await asyncio.gather(*(client.request("GET", "/test/where") for _ in range(20)))

    threads_before = threading.active_count()
    answers = run(twenty_requests())
    names = {json.loads(b"".join(body))["thread"] for status, _, body in answers}
    assert all(status == 200 for status, _, _ in answers)
    assert names <= {"http_0", "http_1"}  # the pool's two threads, whatever the concurrency
    assert threading.active_count() <= threads_before + 2


def test_a_view_calling_async_code_runs_it_on_the_servers_event_loop(app):
    async def one_request():
        status, _, body = await Client(app).request("GET", "/test/where")
        return json.loads(b"".join(body))["loop"], id(asyncio.get_running_loop())

    view_loop, server_loop = run(one_request())
    assert view_loop == server_loop  # e.g. the in-memory channel layer's consumers live there


def test_request_signals_fire_in_the_thread_that_ran_the_view(app):
    seen = []

    def started(**kwargs):
        seen.append(("started", threading.current_thread().name))

    def finished(**kwargs):
        seen.append(("finished", threading.current_thread().name))

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        status, _, body = run(Client(app).request("GET", "/test/where"))
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    thread = json.loads(b"".join(body))["thread"]
    # The thread's database connection is handed back by request_finished in that same thread.
    assert seen == [("started", thread), ("finished", thread)]


def bodies_of_a_stream(app, path: str, release_second_part) -> tuple[int, list[bytes]]:
    """The status and body messages of GET `path`, calling `release_second_part` once the client
    has the first part alone (the view's second part waits for it)."""
    async def stream():
        bodies = []

        async def on_message(message):
            if message["type"] == "http.response.body":
                bodies.append(message.get("body", b""))
                if bodies == [b"first"]:  # the client has the first part before the second exists
                    release_second_part()

        status, _, _ = await Client(app).request("GET", path, on_message=on_message)
        return status, bodies

    return run(stream())


def test_a_streaming_response_is_sent_chunk_by_chunk_as_it_is_produced(app):
    asgi_pool_urls.release_second_chunk = asyncio.Event()
    status, bodies = bodies_of_a_stream(app, "/test/stream", asgi_pool_urls.release_second_chunk.set)
    assert status == 200
    assert bodies == [b"first", b"second", b""]


def test_a_synchronous_stream_is_sent_part_by_part_not_read_whole_first(app):
    """A batch's ZIP is a synchronous generator: Django's own ASGI handler would read all of it
    into memory before sending the first byte."""
    asgi_pool_urls.second_part_wanted = threading.Event()
    status, bodies = bodies_of_a_stream(app, "/test/sync-stream", asgi_pool_urls.second_part_wanted.set)
    assert status == 200
    assert bodies == [b"first", b"second", b""]


@pytest.mark.django_db(transaction=True)
def test_a_streaming_view_hands_its_database_connection_back_before_the_stream_is_sent(monkeypatch):
    """The view ran in a pool thread; the stream is sent (and closed) from another: the pool
    thread's connection must not stay checked out until that thread's next request."""
    # As in a web process with DB_POOL: a request's connection goes back to the pool when it ends.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    handler = PooledASGIHandler(threads=1)
    try:
        status, _, body = run(Client(handler).request("GET", "/test/stream-after-a-query"))
        assert (status, b"".join(body)) == (200, b"done")
        assert handler.executor.submit(lambda: connection.connection is None).result() is True
    finally:
        handler.executor.shutdown(wait=True)


def test_a_stream_stops_when_the_client_disconnects(app):
    async def disconnect_mid_stream():
        asgi_pool_urls.release_second_chunk = asyncio.Event()  # never set: an endless stream
        inbox = asyncio.Queue()
        await inbox.put({"type": "http.request", "body": b"", "more_body": False})
        sent = []

        async def receive():
            return await inbox.get()

        async def send(message):
            sent.append(message)
            if message.get("body") == b"first":
                await inbox.put({"type": "http.disconnect"})

        await asyncio.wait_for(app(http_scope("GET", "/test/stream"), receive, send), timeout=10)
        return sent

    sent = run(disconnect_mid_stream())
    assert [message.get("body") for message in sent[1:]] == [b"first"]


def test_an_async_view_runs_on_the_event_loop_as_django_runs_it(app):
    status, _, body = run(Client(app).request("GET", "/test/async-where"))
    assert status == 200
    assert b"".join(body).decode() == threading.main_thread().name


def test_api_errors_are_still_json(app):
    status, headers, body = run(Client(app).request("GET", "/api/no-such-thing"))
    assert status == 404
    assert headers[b"Content-Type"].startswith(b"application/json")
    assert json.loads(b"".join(body))["error"]["code"] == "not_found"


def test_a_body_over_the_limit_is_refused_with_413(app, settings):
    settings.MAX_REQUEST_BYTES = 10
    status, headers, body = run(Client(app).request(
        "POST", "/api/health/live", body=b"x" * 11, headers=[(b"content-length", b"11"),
                                                              (b"content-type", b"application/json")]))
    assert status == 413
    assert json.loads(b"".join(body))["error"]["code"] == "payload_too_large"


def test_the_url_is_resolved_once_a_request_and_the_view_sees_that_match(app, monkeypatch):
    from django.urls.resolvers import URLResolver

    resolved = []
    resolve = URLResolver.resolve

    def counting(self, path):
        if path.startswith("/"):  # the root resolver (the nested ones see the rest of the path)
            resolved.append(path)
        return resolve(self, path)

    monkeypatch.setattr(URLResolver, "resolve", counting)
    status, _, body = run(Client(app).request("GET", "/test/resolved/42"))
    assert status == 200
    assert json.loads(b"".join(body)) == {"number": 42, "route": "test/resolved/<int:number>",
                                          "kwargs": {"number": 42}}
    assert resolved == ["/test/resolved/42"]


def test_a_request_with_a_urlconf_of_its_own_is_resolved_by_it(rf):
    from reelmate.asgi_pool import _SyncChain

    request = rf.get("/test/resolved/7")
    request._resolved_on_loop = ("/test/resolved/7", "a match for another URLconf")
    request.urlconf = "reelmate.tests.asgi_pool_urls"  # as a middleware may set
    assert _SyncChain().resolve_request(request).kwargs == {"number": 7}
