"""Each live object's event sequence and its recent events (for resuming), in Redis or in memory.

An event's wire form is one JSON text, ``{"type": "event", "seq": N, ...}``: it is built once by
the publisher, stored as is and sent as is. The sequence number is given out atomically with the
append (one Lua script), so two publishers of the same object never share or reorder numbers in
the backlog.

Without Redis (the embedded default) the store lives in the memory of the one web process; the
worker's events reach it over the loopback relay (reelmate.live.relay).
"""
from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from django.conf import settings

from reelmate.redis_clients import fail_fast_client

# The sequence counter outlives the backlog: a job retried days later keeps counting up.
SEQUENCE_TTL_SECONDS = 30 * 86400

_APPEND = """
local seq = redis.call('INCR', KEYS[1])
local text = ARGV[1] .. seq .. ARGV[2]
redis.call('RPUSH', KEYS[2], text)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return seq
"""


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    text: str

    @functools.cached_property
    def envelope(self) -> dict:
        return json.loads(self.text)


def wire_text(prefix: str, seq: int, suffix: str) -> str:
    return f"{prefix}{seq}{suffix}"


def _keys(stream: str, key: str) -> tuple[str, str]:
    base = f"reelmate:live:{stream}:{key}"
    return f"{base}:seq", f"{base}:log"


def _parse(entry: bytes | str) -> StoredEvent:
    text = entry.decode() if isinstance(entry, bytes) else entry
    # '{"type":"event","seq":123,...' — the number follows the first '"seq":'.
    start = text.index('"seq":') + 6
    end = start
    while text[end].isdigit():
        end += 1
    return StoredEvent(int(text[start:end]), text)


class RedisStore:
    def __init__(self, url: str) -> None:
        self.client = fail_fast_client(url)
        self._append = self.client.register_script(_APPEND)

    def append(self, stream: str, key: str, prefix: str, suffix: str) -> int:
        seq_key, log_key = _keys(stream, key)
        return int(self._append(keys=[seq_key, log_key], args=[
            prefix, suffix, settings.LIVE_BACKLOG_EVENTS, settings.LIVE_BACKLOG_SECONDS, SEQUENCE_TTL_SECONDS]))

    def current(self, stream: str, key: str) -> int:
        return int(self.client.get(_keys(stream, key)[0]) or 0)

    def backlog(self, stream: str, key: str) -> list[StoredEvent]:
        return [_parse(entry) for entry in self.client.lrange(_keys(stream, key)[1], 0, -1)]


class MemoryStore:
    """The same, for one process (its events reach other processes only through the relay). The
    backlogs of the MAX_LOGS objects that changed last are kept (the counters, a number each, all)."""

    MAX_LOGS = 1000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sequences: dict[tuple[str, str], int] = {}
        self._logs: OrderedDict[tuple[str, str], deque[StoredEvent]] = OrderedDict()

    def append(self, stream: str, key: str, prefix: str, suffix: str) -> int:
        with self._lock:
            seq = self._sequences.get((stream, key), 0) + 1
            self._sequences[(stream, key)] = seq
            log = self._logs.setdefault((stream, key), deque(maxlen=settings.LIVE_BACKLOG_EVENTS))
            self._logs.move_to_end((stream, key))
            log.append(StoredEvent(seq, wire_text(prefix, seq, suffix)))
            while len(self._logs) > self.MAX_LOGS:
                self._logs.popitem(last=False)
            return seq

    def current(self, stream: str, key: str) -> int:
        with self._lock:
            return self._sequences.get((stream, key), 0)

    def backlog(self, stream: str, key: str) -> list[StoredEvent]:
        with self._lock:
            return list(self._logs.get((stream, key), ()))


_memory = MemoryStore()


def get_store() -> RedisStore | MemoryStore:
    """Redis when the project has it (read at call time: tests switch it), else this process's memory."""
    return _redis_store(settings.REDIS_URL) if settings.REDIS_URL else _memory


@functools.lru_cache(maxsize=8)
def _redis_store(url: str) -> RedisStore:
    return RedisStore(url)


def events_after(stream: str, key: str, seq: int) -> list[StoredEvent] | None:
    """The stored events after `seq`, oldest first; None when some of them are no longer stored
    (or `seq` comes from elsewhere): the caller then starts again from the current state."""
    store = get_store()
    current = store.current(stream, key)
    if seq > current:
        return None
    if seq == current:
        return []
    log = [event for event in store.backlog(stream, key) if event.seq > seq]
    if not log or log[0].seq != seq + 1:
        return None
    return log
