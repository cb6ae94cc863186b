"""Server-Sent Events for one live object: the start events, then each new one, until its final state.

    id: 7
    data: {"type":"event","seq":7,"stream":"job","id":"…","kind":"progress","at":…,"data":{…}}

Every event is a plain ``message`` (no ``event:`` field: EventSource's ``onmessage`` sees them all)
whose ``id`` is the object's sequence number, so a reconnecting EventSource sends
``Last-Event-ID`` and misses nothing. A comment (``: keep-alive``) goes out every
LIVE_KEEPALIVE_SECONDS of silence; the stream ends after the final event, or after
LIVE_STREAM_MAX_SECONDS (the client reconnects and resumes).

Served by an ASGI server the stream is asynchronous (no thread per client). Under WSGI it sends the
start events and ends: EventSource then reconnects after ``retry`` — a poll.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from reelmate.live import subscriptions
from reelmate.live.publishing import MESSAGE_TYPE, user_group
from reelmate.live.streams import Stream

KEEPALIVE = ": keep-alive\n\n"
RETRY_MILLISECONDS = 3000


def frame(seq: int, text: str) -> str:
    return f"id: {seq}\ndata: {text}\n\n"


def wsgi_stream(start: subscriptions.Start) -> Iterator[str]:
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    for event in start.events:
        yield frame(event.seq, event.text)


async def asgi_stream(stream: Stream, owner_id: int, key: str, after_seq: int | None) -> AsyncIterator[str]:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = user_group(owner_id)
    # Join first, then read the start: an event published in between is received, not lost
    # (and skipped if the start already covers it).
    await layer.group_add(group, channel)
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        start = await database_sync_to_async(subscriptions.start)(stream, owner_id, key, after_seq)
        if start is None:
            return
        last = start.last_seq if start.last_seq is not None else (after_seq or 0)
        for event in start.events:
            yield frame(event.seq, event.text)
        if start.final:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.LIVE_STREAM_MAX_SECONDS
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                message = await asyncio.wait_for(layer.receive(channel),
                                                 timeout=min(settings.LIVE_KEEPALIVE_SECONDS, remaining))
            except TimeoutError:
                yield KEEPALIVE
                continue
            if (message.get("type") != MESSAGE_TYPE or message["stream"] != stream.name
                    or message["key"] != key or message["seq"] <= last):
                continue
            last = message["seq"]
            yield frame(last, message["text"])
            if message["final"]:
                return
    finally:
        with contextlib.suppress(Exception):
            await layer.group_discard(group, channel)
