"""The kinds of live streams clients may follow, registered by the app that owns them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stream:
    """A kind of object whose changes are published live.

    ``snapshot(owner_id, key)`` returns the object's current state as events carry it in ``data``,
    or None when it does not exist *or belongs to someone else* (both answer as not found).
    ``is_final(data)``: after this state no more events come (an SSE stream then ends).
    ``valid_key(key)``: a cheap syntax check before any lookup (e.g. a UUID).
    """

    name: str
    snapshot: Callable[[int, str], dict[str, Any] | None]
    is_final: Callable[[dict[str, Any]], bool]
    valid_key: Callable[[str], bool] = lambda key: bool(key)


_streams: dict[str, Stream] = {}


def register(stream: Stream) -> None:
    _streams[stream.name] = stream


def get(name: str) -> Stream | None:
    return _streams.get(name)
