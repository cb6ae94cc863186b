"""Live events to signed-in users over WebSocket and Server-Sent Events.

An *event* belongs to a *stream* (``job`` today, ``batch`` later) and one object of it (its key),
and goes to its owner only: every publish is sent to the owner's group on the channel layer, and
each connection of that user picks the objects it subscribed to. Each object's events carry a
sequence number (``seq``) that only grows, so a client resumes where it stopped (SSE
``Last-Event-ID``) and never sees an older state after a newer one.

    from reelmate import live
    live.publish(owner_id=user.pk, stream="batch", key=str(batch.pk), kind="progress", data={...})

A stream that clients can subscribe to (WebSocket ``subscribe``, an SSE endpoint) also registers
how to read an object's current state for its owner: ``live.register(live.Stream(...))``.
"""
from reelmate.live.publishing import publish, user_group
from reelmate.live.streams import Stream, register

__all__ = ["Stream", "publish", "register", "user_group"]
