"""Talking to the Celery broker when it may be away: publishing that never raises, queue depths,
and noticing that the broker lost its messages.

The database is the source of truth for work that must be done; the broker only carries the
news. So a publish that fails is not an error for the caller: it returns False, the caller
records that the message was not sent, and a dispatcher sends it later (see
`ai_studio.services.dispatch`). A failed publish opens the "broker" circuit breaker, so the
following publishes of the next few seconds fail at once instead of each waiting on timeouts.

Redis forgets everything when it restarts without persistence. `broker_forgot_messages()` tells:
the dispatcher writes an epoch marker key into the broker's Redis, and a missing marker means
every message that was waiting there is gone.
"""
from __future__ import annotations

import logging

import kombu.exceptions
import redis
from celery import Task
from django.conf import settings
from django.utils import timezone
from kombu.transport.redis import PRIORITY_STEPS, Channel

from reelmate.circuit import breaker, location
from reelmate.redis_clients import fail_fast_client

logger = logging.getLogger(__name__)

# What an unreachable broker raises on publish (kombu wraps the transport's connection errors).
PUBLISH_ERRORS = (kombu.exceptions.OperationalError, redis.RedisError, OSError)
# One quick reconnect (a pooled connection gone stale across a broker restart), then give up:
# the dispatcher re-sends what was not sent, so a web request never waits on the broker.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
EPOCH_KEY = "reelmate:broker-epoch"
# Message priorities. On Redis a lower number is served first: kombu keeps one list per priority
# step and a worker pops them in that order. Tasks that set none get Celery's 0.
HIGH_PRIORITY = 0
MEDIUM_PRIORITY = 3
LOW_PRIORITY = 6


def publish(task: Task, *, args: list, **options) -> bool:
    """Send `task` with `args`; False (and logged once per outage) when the broker is unreachable."""
    gate = breaker(f"broker at {location(settings.CELERY_BROKER_URL)}")
    if gate.is_open():
        return False
    try:
        task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY_POLICY, **options)
    except PUBLISH_ERRORS as error:
        gate.record_failure(error)
        return False
    gate.record_success()
    return True


def broker_client() -> redis.Redis | None:
    """A client of the broker's Redis; None for the filesystem broker (the embedded default)."""
    url = settings.CELERY_BROKER_URL
    return fail_fast_client(url) if url.startswith(("redis://", "rediss://")) else None


def broker_forgot_messages() -> bool:
    """True when the broker's Redis lost its data (restarted empty, flushed) since `mark_broker_epoch`.

    Also True the first time ever, which costs one harmless round of re-sends. Never True for the
    filesystem broker, whose messages are files on disk.
    """
    client = broker_client()
    return client is not None and not client.exists(EPOCH_KEY)


def mark_broker_epoch() -> None:
    """Write the marker whose disappearance `broker_forgot_messages` detects."""
    client = broker_client()
    if client is not None:
        client.set(EPOCH_KEY, timezone.now().isoformat())


def queue_depth(client: redis.Redis, queue: str) -> int:
    """Messages waiting in a queue: kombu keeps one Redis list per priority step (`render`,
    `render\\x06\\x163`, ...)."""
    keys = [queue] + [f"{queue}{Channel.sep}{step}" for step in PRIORITY_STEPS if step]
    return sum(client.llen(key) for key in keys)
