"""The default cache degrades instead of failing: Redis while it answers, a per-process cache
while it does not, Redis again once it is back. Against a real Redis server that the test stops
and starts (`private_redis`)."""
from __future__ import annotations

import logging
import time

import pytest
import redis
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

from reelmate.api.ratelimit import limit_per_ip
from reelmate.errors import RateLimited

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_client(private_redis):
    return redis.Redis.from_url(private_redis.url())


def stored_in_redis(client: redis.Redis, key: str) -> bool:
    return client.exists(cache.make_and_validate_key(key)) == 1


def test_values_live_in_redis_while_it_answers(private_redis, redis_client):
    cache.set("greeting", "hello")
    assert cache.get("greeting") == "hello"
    assert stored_in_redis(redis_client, "greeting")
    assert not cache.degraded


def test_with_redis_gone_every_operation_answers_from_the_process_cache(private_redis, settings):
    cache.set("kept", "from Redis")
    private_redis.stop()

    cache.set("greeting", "hello")
    assert cache.get("greeting") == "hello"
    assert cache.get("kept") is None  # Redis's data is not here: a fallback, not a replica
    assert cache.add("counter", 1) and cache.incr("counter") == 2
    assert cache.get_or_set("built", lambda: "rebuilt") == "rebuilt"
    assert cache.get_many(["greeting", "counter"]) == {"greeting": "hello", "counter": 2}
    cache.delete("greeting")
    assert not cache.has_key("greeting")
    assert cache.degraded


def test_the_outage_is_remembered_for_a_while_then_redis_is_used_again(private_redis, redis_client, settings):
    settings.OUTAGE_RECHECK_SECONDS = 1.0
    private_redis.stop()
    cache.set("during", "outage")  # fails over; the breaker opens
    private_redis.start()

    cache.set("soon-after", "1")  # within the window Redis is not even tried
    assert not stored_in_redis(redis_client, "soon-after")
    assert cache.degraded

    time.sleep(settings.OUTAGE_RECHECK_SECONDS + 0.2)
    cache.set("later", "1")
    assert stored_in_redis(redis_client, "later")
    assert not cache.degraded


def test_each_transition_is_logged_once_not_per_call(private_redis, settings, caplog):
    settings.OUTAGE_RECHECK_SECONDS = 0.0  # every call tries Redis: the log still says it once
    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="reelmate.circuit"):
        for attempt in range(5):
            cache.get(f"key-{attempt}")
        private_redis.start()
        for attempt in range(5):
            cache.get(f"key-{attempt}")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert "unreachable" in messages[0] and "reachable again" in messages[1]


def test_rate_limits_keep_limiting_per_process_while_redis_is_away(private_redis, settings):
    settings.RATELIMIT_AUTH = "2/m"

    class View:
        @limit_per_ip("degraded-test", "RATELIMIT_AUTH")
        def post(self, request):
            return "ok"

    request = RequestFactory().post("/api/auth/token", REMOTE_ADDR="203.0.113.9")
    private_redis.stop()
    assert [View().post(request), View().post(request)] == ["ok", "ok"]
    with pytest.raises(RateLimited):
        View().post(request)


def test_drf_throttles_count_in_the_same_cache_and_degrade_the_same_way(private_redis):
    class TwoPerMinute(AnonRateThrottle):
        rate = "2/m"

    request = Request(RequestFactory().get("/api/ai-studio/avatars", REMOTE_ADDR="203.0.113.10"))
    private_redis.stop()
    assert [TwoPerMinute().allow_request(request, None) for _ in range(3)] == [True, True, False]
