"""The default cache: Redis while it answers, a per-process memory cache while it does not.

Everything that counts or caches in the default cache keeps working when Redis goes away:
django-ratelimit's counters and DRF throttles limit per process instead of per fleet, cached
pages are rebuilt from the database, and nothing answers 500. A connection failure opens the
"cache" circuit breaker (`reelmate.circuit`), so for the next OUTAGE_RECHECK_SECONDS calls go
straight to the local cache instead of each waiting on a connect timeout; then Redis is tried
again and, once it answers, used again. What was written locally during the outage stays local.
"""
from __future__ import annotations

import functools

import redis
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from reelmate.circuit import breaker, location

# What "Redis is not there" looks like (refused, reset, timed out, still loading its data).
REDIS_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
FALLBACK_MAX_ENTRIES = 5000

class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self.breaker = breaker(f"cache at {location(server)}")
        # LocMemCache instances with the same name share their storage: one fallback per process.
        self.fallback = LocMemCache(f"reelmate-fallback:{server}", {
            "TIMEOUT": params.get("TIMEOUT", 300), "KEY_PREFIX": params.get("KEY_PREFIX", ""),
            "VERSION": params.get("VERSION", 1), "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES},
        })

    @property
    def degraded(self) -> bool:
        """True while the breaker says Redis is away (this process uses its local cache)."""
        return self.breaker.is_down


def _degrading(name: str):
    redis_method = getattr(RedisCache, name)

    @functools.wraps(redis_method)
    def method(self, *args, **kwargs):
        if self.breaker.is_open():
            return getattr(self.fallback, name)(*args, **kwargs)
        try:
            result = redis_method(self, *args, **kwargs)
        except REDIS_UNREACHABLE as error:
            self.breaker.record_failure(error)
            return getattr(self.fallback, name)(*args, **kwargs)
        self.breaker.record_success()
        return result

    return method


# Every operation RedisCache implements itself; the rest of BaseCache (get_or_set, decr, the
# async twins...) is built on these.
for _name in ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many",
              "clear"):
    setattr(DegradingRedisCache, _name, _degrading(_name))


def shared_cache_available() -> bool:
    """False while the default cache is this process's stand-in for an unreachable Redis.

    What other processes must see (a catalog version bumped by a staff edit) is then not shared:
    callers that depend on it read from the database instead.
    """
    return not getattr(caches["default"], "degraded", False)
