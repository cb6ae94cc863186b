"""Views for test_asgi_pool: what each request ran on, a stream that waits between its chunks, an
async view, and the project's own URLs (errors, limits) after them."""
from __future__ import annotations

import asyncio
import threading

from asgiref.sync import async_to_sync
from django.db import connection
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import include, path

# Set by the test that streams: the second chunk waits for it, so the first must reach the client alone.
release_second_chunk: asyncio.Event | None = None


def where(request):
    async def running_loop():
        return id(asyncio.get_running_loop())

    return JsonResponse({"thread": threading.current_thread().name, "loop": async_to_sync(running_loop)()})


def stream(request):
    async def chunks():
        yield b"first"
        await release_second_chunk.wait()
        yield b"second"

    return StreamingHttpResponse(chunks(), content_type="text/plain")


# Set by the test that streams synchronously: the second part waits for it (at most 5 s).
second_part_wanted: threading.Event | None = None


def sync_stream(request):
    def parts():
        yield b"first"
        yield b"second" if second_part_wanted.wait(timeout=5) else b"read whole before sending"

    return StreamingHttpResponse(parts(), content_type="application/zip")


def stream_after_a_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return StreamingHttpResponse(iter([b"done"]), content_type="text/plain")


def resolved(request, number):
    match = request.resolver_match
    return JsonResponse({"number": number, "route": match.route, "kwargs": match.kwargs})


async def async_where(request):
    return HttpResponse(threading.current_thread().name)


urlpatterns = [
    path("test/where", where),
    path("test/stream", stream),
    path("test/stream-after-a-query", stream_after_a_query),
    path("test/sync-stream", sync_stream),
    path("test/async-where", async_where),
    path("test/resolved/<int:number>", resolved),
    path("", include("reelmate.urls")),
]
