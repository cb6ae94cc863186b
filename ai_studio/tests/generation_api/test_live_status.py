"""Live job status: the WebSocket (`/ws/live`) and Server-Sent Events
(`/api/ai-studio/generation-status/:jobId/events`), against a real ASGI server (gunicorn with a
uvicorn worker, as in production), a real Celery worker and Redis.

Events come from the worker as the pipeline reports: a job's whole sequence arrives in order with
growing ids, the completed event carries the job as the status endpoint shows it (the video with
its URLs), a late subscriber gets the current state first, an SSE client resumes from
Last-Event-ID, and a user never sees another user's jobs.
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from testkit.live_clients import LiveSocket, sse_events
from testkit.web_server import WebServer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FINAL = {"completed", "failed", "canceled"}


def token_for(user, lifetime: timedelta | None = None) -> str:
    token = AccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


@pytest.fixture
def web(web_server_factory):
    """The API and the live WebSocket, served like production (the server sees committed rows only)."""
    return web_server_factory(env={"LIVE_KEEPALIVE_SECONDS": "1"})


@pytest.fixture
def submit(avatar, voice):
    """POST /api/ai-studio/generate-video to a server as the token's user: the job's id."""

    def post(web: WebServer, token: str, script: str = "Live status from the worker, as it happens.") -> str:
        status, job, _ = web.request("POST", "/api/ai-studio/generate-video",
                                     {"avatar_id": avatar.pk, "voice_id": voice.pk, "script": script}, token=token)
        assert status == 202, job
        return job["id"]

    return post


def events_url(web: WebServer, job_id: str) -> str:
    return f"{web.base_url}/api/ai-studio/generation-status/{job_id}/events"


def collect_sse(url: str, token: str, into: list, **options) -> threading.Thread:
    def run():
        into.extend(sse_events(url, token, **options))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def assert_in_order(events: list[dict]) -> None:
    seqs = [event["seq"] for event in events]
    assert seqs == sorted(set(seqs)), seqs


def test_a_job_s_events_reach_its_owner_in_order_over_websocket_and_sse_and_no_one_else(
        web, celery_worker, user, other_user, submit):
    token, other_token = token_for(user), token_for(other_user)
    with LiveSocket.connect(web.ws_url("/ws/live"), token) as owner, \
            LiveSocket.connect(web.ws_url("/ws/live"), other_token) as stranger:
        assert owner.subscribe("all") == {"type": "subscribed", "stream": "job", "ids": "all"}
        assert stranger.subscribe("all")["type"] == "subscribed"

        job_id = submit(web, token)
        sse: list = []
        sse_thread = collect_sse(events_url(web, job_id), token, sse)  # a late subscriber, while it runs
        events = owner.events_until_final(job_id)

        # The whole sequence, from the web side's queued to the worker's completed, in order.
        kinds = [event["kind"] for event in events]
        assert kinds[:2] == ["queued", "started"] and kinds[-1] == "completed", kinds
        assert kinds.count("progress") >= 3 and set(kinds[2:-1]) == {"progress"}, kinds
        assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
        progress = [event["data"]["progress"] for event in events]
        assert progress == sorted(progress) and progress[-1] == 100
        assert {event["data"]["status"] for event in events[2:-1]} == {"processing"}

        # Completed: the job exactly as GET generation-status shows it, the video with its URLs.
        completed = events[-1]["data"]
        status, polled, _ = web.request("GET", f"/api/ai-studio/generation-status/{job_id}", token=token)
        assert status == 200
        assert completed["video"]["urls"]["video"].startswith("http") and completed["video"]["urls"]["download"]
        assert set(completed) == set(polled)
        assert {k: v for k, v in completed.items() if k not in ("video", "status_url")} == \
            {k: v for k, v in polled.items() if k not in ("video", "status_url")}
        assert completed["video"]["id"] == polled["video"]["id"]

        # SSE: the current state first, then every later event, ending after the final one.
        sse_thread.join(timeout=60)
        assert not sse_thread.is_alive()
        assert sse[0].data["kind"] == "snapshot" and sse[-1].data["kind"] == "completed"
        assert [event.id for event in sse] == [event.data["seq"] for event in sse]
        assert_in_order([event.data for event in sse])
        assert [event.data for event in sse[1:]] == [event for event in events if event["seq"] > sse[0].id]

        # A late WebSocket subscriber to this one job: its current (final) state.
        with LiveSocket.connect(web.ws_url("/ws/live"), token) as late:
            assert late.subscribe([job_id]) == {"type": "subscribed", "stream": "job", "ids": [job_id]}
            snapshot = late.next_message()
            assert (snapshot["kind"], snapshot["seq"], snapshot["data"]["status"]) == \
                ("snapshot", events[-1]["seq"], "completed")

        # Isolation: the other user saw nothing, and the job is "not found" for them everywhere.
        assert [m for m in stranger.received if m["type"] == "event"] == []
        answer = stranger.subscribe([job_id])
        assert (answer["type"], answer["code"], answer["id"]) == ("error", "not_found", job_id)
        status: list[int] = []
        assert list(sse_events(events_url(web, job_id), other_token, status=status)) == []
        assert status == [404]
        assert stranger.quiet_for(0.5) == []


def test_an_sse_client_resumes_from_last_event_id(web, celery_worker, user, submit):
    token = token_for(user)
    with LiveSocket.connect(web.ws_url("/ws/live"), token) as socket:
        socket.subscribe("all")
        job_id = submit(web, token)
        events = socket.events_until_final(job_id)

    # Reconnecting after event 3 gets exactly the events after it, the stored ones, to the end.
    resumed = list(sse_events(events_url(web, job_id), token, last_event_id=3))
    assert [event.id for event in resumed] == [event["seq"] for event in events[3:]]
    assert [event.data for event in resumed] == events[3:]

    # The same over a new WebSocket: `after` a job's event 3.
    with LiveSocket.connect(web.ws_url("/ws/live"), token) as socket:
        assert socket.subscribe([job_id], after={job_id: 3})["type"] == "subscribed"
        assert socket.events_until_final(job_id) == events[3:]

    # After the final event there is nothing more: 204 tells EventSource to stop reconnecting.
    status: list[int] = []
    assert list(sse_events(events_url(web, job_id), token, last_event_id=events[-1]["seq"], status=status)) == []
    assert status == [204]

    # An id that is not one of this job's: the current state again.
    fresh = list(sse_events(events_url(web, job_id), token, last_event_id=10_000))
    assert [(event.data["kind"], event.id) for event in fresh] == [("snapshot", events[-1]["seq"])]


def test_the_sse_stream_sends_keep_alive_comments_while_a_job_waits_and_ends_after_its_final_event(
        web, user, submit):
    token = token_for(user)
    job_id = submit(web, token)  # no worker: it stays queued
    events, comments = [], []
    thread = collect_sse(events_url(web, job_id), token, events, comments=comments, timeout=60)
    with LiveSocket.connect(web.ws_url("/ws/live"), token) as socket:
        socket.subscribe([job_id])
        deadline = time.monotonic() + 30
        while len(comments) < 2 and time.monotonic() < deadline:  # LIVE_KEEPALIVE_SECONDS=1 here
            time.sleep(0.1)
        status, body, _ = web.request("POST", f"/api/ai-studio/generation-jobs/{job_id}/cancel", token=token)
        assert status == 200, body
        thread.join(timeout=30)
        assert not thread.is_alive()  # the stream ended after the final event
        assert comments[:2] == [": keep-alive", ": keep-alive"]
        assert [(e.data["kind"], e.data["data"]["status"]) for e in events] == \
            [("snapshot", "queued"), ("canceled", "canceled")]
        assert [m["kind"] for m in socket.events_until_final(job_id)] == ["snapshot", "canceled"]


@pytest.mark.parametrize("how", ["first message", "subprotocol"])
def test_a_valid_token_is_accepted_without_a_url_parameter(web, user, how):
    token = token_for(user)
    if how == "first message":
        socket = LiveSocket.connect(web.ws_url("/ws/live"), token)
    else:
        socket = LiveSocket.connect(web.ws_url("/ws/live"), subprotocols=["reelmate.live.v1", f"bearer.{token}"])
        assert socket.connection.subprotocol == "reelmate.live.v1"
        assert socket.next_message()["type"] == "ready"
    with socket:
        socket.send({"type": "ping"})
        assert socket.next_message() == {"type": "pong"}
    assert token not in web.log_tail(400)


def test_bad_and_expired_tokens_close_the_socket_with_their_codes(web, user):
    url = web.ws_url("/ws/live")
    cases = {
        "garbage": (4001, "token_not_valid"),
        token_for(user)[:-4] + "AAAA": (4001, "token_not_valid"),  # a forged signature
        token_for(user, lifetime=timedelta(seconds=-5)): (4002, "token_expired"),
    }
    for token, expected in cases.items():
        with LiveSocket.connect(url) as socket:
            socket.send({"type": "auth", "token": token})
            assert socket.close_code() == expected
    with LiveSocket.connect(url) as socket:  # anything before authenticating
        socket.send({"type": "subscribe", "ids": "all"})
        assert socket.close_code() == (4001, "auth_required")
    with LiveSocket.connect(url, token_for(user, lifetime=timedelta(seconds=2))) as socket:  # expires while open
        assert socket.close_code() == (4002, "token_expired")


def test_a_socket_that_never_authenticates_is_closed(web_server_factory):
    web = web_server_factory(env={"LIVE_AUTH_TIMEOUT_SECONDS": "1"})
    with LiveSocket.connect(web.ws_url("/ws/live")) as socket:
        assert socket.close_code() == (4001, "auth_timeout")


def test_subscribing_needs_ids_of_your_own(web, user, other_user, submit):
    token = token_for(user)
    job_id = submit(web, token)
    with LiveSocket.connect(web.ws_url("/ws/live"), token_for(other_user)) as socket:
        for ids in (["not-a-uuid"], ["00000000-0000-4000-8000-000000000000"], [job_id]):
            answer = socket.subscribe(ids)
            assert (answer["type"], answer["code"]) == ("error", "not_found"), answer
        assert socket.subscribe([])["code"] == "invalid"
        assert socket.subscribe("all", stream="nope")["code"] == "invalid"


def test_in_the_embedded_default_without_redis_the_worker_s_events_reach_the_browser_through_the_relay(
        embedded_broker, web_server_factory, worker_factory, user, submit):
    """`make run`: no Redis; uvicorn alone keeps the streams in memory, and the worker POSTs its
    events to it on loopback (LIVE_RELAY_URL, signed with SECRET_KEY)."""
    web = web_server_factory(env=embedded_broker, embedded=True)
    worker_factory(env={**embedded_broker, "LIVE_RELAY_URL": f"{web.base_url}/internal/live/events"})
    token = token_for(user)
    with LiveSocket.connect(web.ws_url("/ws/live"), token) as socket:
        socket.subscribe("all")
        job_id = submit(web, token)
        sse: list = []
        sse_thread = collect_sse(events_url(web, job_id), token, sse)
        events = socket.events_until_final(job_id)
    kinds = [event["kind"] for event in events]
    assert kinds[:2] == ["queued", "started"] and kinds[-1] == "completed" and "progress" in kinds, kinds
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert events[-1]["data"]["video"]["urls"]["video"]
    sse_thread.join(timeout=60)
    assert sse[0].data["kind"] == "snapshot" and sse[-1].data == events[-1]
    resumed = list(sse_events(events_url(web, job_id), token, last_event_id=2))
    assert [event.data for event in resumed] == events[2:]

    # Only this installation's processes may publish: an unsigned body is refused.
    status, _, _ = web.request("POST", "/internal/live/events", {"owner_id": user.pk, "stream": "job"})
    assert status == 403


def test_the_relay_is_off_when_redis_carries_the_events(api_client):
    assert api_client.post("/internal/live/events", "x", content_type="text/plain").status_code == 404
