"""Redis clients that give up quickly, for code that has a fallback when Redis is away."""
from __future__ import annotations

import functools

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry


@functools.lru_cache(maxsize=8)
def fail_fast_client(url: str) -> redis.Redis:
    """A pooled client with short timeouts and one immediate reconnect after a connection error (a
    pooled connection gone stale across a Redis restart), none after a timeout (a frozen server
    would only make us wait again); redis-py's default of ten retries with backoff would hold a
    request for seconds while Redis is down."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT, socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)))
