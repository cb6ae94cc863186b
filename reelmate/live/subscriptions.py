"""What a new subscriber gets first: the object's current state, or the events it missed."""
from __future__ import annotations

import time
from dataclasses import dataclass

from reelmate.live import store
from reelmate.live.publishing import wire_parts
from reelmate.live.streams import Stream

SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class Start:
    events: list[store.StoredEvent]
    final: bool  # nothing will follow these events

    @property
    def last_seq(self) -> int | None:
        return self.events[-1].seq if self.events else None


def start(stream: Stream, owner_id: int, key: str, after_seq: int | None = None) -> Start | None:
    """The events to send a new subscriber of `key` first, or None if it is not the owner's.

    Without `after_seq`: one ``snapshot`` event, the current state, numbered with the sequence of
    the last event published before it was read (so any later event is still delivered). With
    `after_seq` (a resume): the stored events after it, or the snapshot when some are gone.
    """
    seq = store.get_store().current(stream.name, key)  # read before the state: never skip a change
    data = stream.snapshot(owner_id, key)
    if data is None:
        return None
    if after_seq is not None:
        missed = store.events_after(stream.name, key, after_seq)
        if missed is not None:
            final = stream.is_final(missed[-1].envelope["data"]) if missed else stream.is_final(data)
            return Start(missed, final)
    prefix, suffix = wire_parts(stream.name, key, SNAPSHOT, data, time.time())
    return Start([store.StoredEvent(seq, store.wire_text(prefix, seq, suffix))], stream.is_final(data))
