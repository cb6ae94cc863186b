"""The render queue as the database sees it: what waits for a slot, what waits for a worker, what runs.

Fair queueing (``services.dispatch``) keeps a user's jobs *held* in the database until one of their
plan's slots (``Plan.max_in_flight``) is free; *released* jobs are on the broker's render queue or
rendering. These counts are the autoscaling signals the README's "Scaling workers" names.
"""
from __future__ import annotations

import redis
from django.db.models import Count, Q

from ai_studio.models import JobStatus, VideoGenerationJob
from reelmate import broker

# Queued jobs with a slot (released) and jobs rendering: what counts against max_in_flight.
IN_FLIGHT = Q(status=JobStatus.PROCESSING) | Q(status=JobStatus.QUEUED, released_at__isnull=False)
# Queued jobs waiting for one of their owner's slots: never sent to the broker yet.
HELD = Q(status=JobStatus.QUEUED, released_at__isnull=True)
RELEASED_WAITING = Q(status=JobStatus.QUEUED, released_at__isnull=False)


def queue_status() -> dict:
    """Counts of unfinished jobs by where they are, and the broker's render queue depth (None when it
    cannot be read: the filesystem broker, or Redis unreachable)."""
    counts = VideoGenerationJob.objects.filter(status__in=(JobStatus.QUEUED, JobStatus.PROCESSING)).aggregate(
        held=Count("pk", filter=HELD), released_waiting=Count("pk", filter=RELEASED_WAITING),
        processing=Count("pk", filter=Q(status=JobStatus.PROCESSING)),
        users_waiting=Count("owner_id", filter=HELD, distinct=True))
    try:
        client = broker.broker_client()
        counts["render_queue_depth"] = broker.queue_depth(client, "render") if client is not None else None
    except redis.RedisError:
        counts["render_queue_depth"] = None
    return counts
