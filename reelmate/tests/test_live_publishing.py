"""reelmate.live publishing: each object's events are numbered 1, 2, 3... and the recent ones kept
for resuming, in Redis or (without Redis) in the process's memory; a failure never raises."""
import uuid

import pytest

from reelmate import live
from reelmate.live import store


@pytest.fixture(params=["redis", "memory"])
def backend(request, settings):
    if request.param == "memory":
        settings.REDIS_URL = ""
    settings.LIVE_BACKLOG_EVENTS = 3
    return request.param


def test_events_are_numbered_per_object_and_the_recent_ones_kept_for_resuming(backend):
    key, other = str(uuid.uuid4()), str(uuid.uuid4())
    seqs = [live.publish(1, "test", key, "progress", {"step": step}) for step in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    assert live.publish(1, "test", other, "progress", {}) == 1  # another object counts on its own

    assert [event.seq for event in store.events_after("test", key, 2)] == [3, 4, 5]
    last = store.events_after("test", key, 4)
    assert [(event.seq, event.envelope["kind"], event.envelope["data"]) for event in last] == \
        [(5, "progress", {"step": 4})]
    assert store.events_after("test", key, 5) == []  # nothing missed
    assert store.events_after("test", key, 1) is None  # event 2 is no longer kept: start from the state
    assert store.events_after("test", key, 99) is None  # not one of this object's ids


def test_the_wire_form_is_the_stored_json_with_its_sequence(backend):
    key = str(uuid.uuid4())
    live.publish(7, "test", key, "completed", {"status": "completed", "url": "https://x/y?sig=1"})
    (event,) = store.events_after("test", key, 0)
    assert event.envelope == {"type": "event", "seq": 1, "stream": "test", "id": key, "kind": "completed",
                              "at": event.envelope["at"], "data": {"status": "completed", "url": "https://x/y?sig=1"}}


def test_a_publish_that_cannot_reach_redis_is_dropped_not_raised(settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert live.publish(1, "test", str(uuid.uuid4()), "progress", {}) is None
    assert "could not publish a live event" in caplog.text
