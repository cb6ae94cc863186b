"""Publishing a live event to its owner: sequence it, keep it for resuming, send it to the owner's group.

Where the event goes depends on the deployment, never on the caller:

- with Redis: the sequence and backlog in Redis, the event through channels-redis to every web
  process (from a web request or a worker alike);
- without Redis, in the ASGI web process: its memory store and in-memory channel layer;
- without Redis, in another process (the worker under `make run`): POSTed to the web process's
  loopback relay (LIVE_RELAY_URL), which sequences and sends it there.

Publishing never raises: a failure is logged and the event is dropped (a client that reconnects
gets the current state first). While Redis is down a circuit breaker skips it at once.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from reelmate.circuit import breaker, location
from reelmate.live import store, streams

logger = logging.getLogger(__name__)

# The channel layer message type, handled by LiveConsumer.live_event (and read by SSE streams).
MESSAGE_TYPE = "live.event"
SEND_TIMEOUT_SECONDS = 2.0

# Set by reelmate.asgi: this process is the web server, so without Redis it delivers itself.
server_process = False


def user_group(owner_id: int) -> str:
    return f"live.user.{owner_id}"


def wire_parts(stream: str, key: str, kind: str, data: dict[str, Any], at: float) -> tuple[str, str]:
    """The event's JSON text around its sequence number: prefix + str(seq) + suffix."""
    rest = json.dumps({"stream": stream, "id": key, "kind": kind, "at": round(at, 6), "data": data},
                      cls=DjangoJSONEncoder, separators=(",", ":"))
    return '{"type":"event","seq":', "," + rest[1:]


def layer_message(stream: str, key: str, seq: int, kind: str, data: dict[str, Any], text: str) -> dict[str, Any]:
    definition = streams.get(stream)
    final = bool(definition and definition.is_final(data))
    return {"type": MESSAGE_TYPE, "stream": stream, "key": key, "seq": seq, "kind": kind, "final": final,
            "text": text}


def publish(owner_id: int, stream: str, key: str, kind: str, data: dict[str, Any]) -> int | None:
    """Send one event to `owner_id`'s connections; its sequence number, or None if it could not go.

    `data` is the object's state (JSON-serialisable); `kind` says what happened (``progress``...).
    """
    key, at = str(key), time.time()
    try:
        if settings.REDIS_URL:
            return _publish_via_redis(owner_id, stream, key, kind, data, at)
        if settings.LIVE_RELAY_URL and not server_process:
            from reelmate.live import relay

            return relay.send(owner_id, stream, key, kind, data, at)
        return async_to_sync(publish_here)(owner_id, stream, key, kind, data, at)
    except Exception:
        logger.warning("could not publish a live event", exc_info=True,
                       extra={"stream": stream, "key": key, "kind": kind})
        return None


async def publish_here(owner_id: int, stream: str, key: str, kind: str, data: dict[str, Any], at: float) -> int:
    """Sequence and send on this process's memory store and channel layer (no Redis)."""
    prefix, suffix = wire_parts(stream, key, kind, data, at)
    seq = store.get_store().append(stream, key, prefix, suffix)
    text = store.wire_text(prefix, seq, suffix)
    await get_channel_layer().group_send(user_group(owner_id), layer_message(stream, key, seq, kind, data, text))
    return seq


def _publish_via_redis(owner_id: int, stream: str, key: str, kind: str, data: dict[str, Any], at: float) -> int | None:
    circuit = breaker(f"live events at {location(settings.REDIS_URL)}")
    if circuit.is_open():
        return None
    prefix, suffix = wire_parts(stream, key, kind, data, at)
    try:
        seq = store.get_store().append(stream, key, prefix, suffix)
        message = layer_message(stream, key, seq, kind, data, store.wire_text(prefix, seq, suffix))
        _sender.run(get_channel_layer().group_send(user_group(owner_id), message), SEND_TIMEOUT_SECONDS)
    except Exception as error:
        circuit.record_failure(error)
        raise
    circuit.record_success()
    return seq


class _LoopThread:
    """One event loop thread per process for sending to channels-redis from sync code, so its
    connection pool is kept between events (a fresh loop per event would reconnect each time).
    Started lazily, again after a fork (Celery's prefork children)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._pid != os.getpid() or self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="live-events", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def run(self, coroutine: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._ensure()).result(timeout)


_sender = _LoopThread()
