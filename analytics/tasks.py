"""Beat tasks that keep the rollups current; the work is in `analytics.services`."""
from celery import shared_task
from django.conf import settings

from reelmate.celery import register_periodic

from . import services

FLUSH_EVERY_SECONDS = 5.0


# The soft limit leaves the flush its time budget plus a batch in flight; the hard limit ends it
# by the time its lock expires, so two flushes never overlap.
@shared_task(soft_time_limit=services.FLUSH_TIME_BUDGET_SECONDS + 20, time_limit=services.FLUSH_LOCK_SECONDS)
def flush_event_buffer() -> int:
    """Fold the Redis event buffer into the daily rollups; returns the number of events applied."""
    return services.flush_event_buffer().events


@shared_task(soft_time_limit=60, time_limit=90)  # one DELETE of two days' batch markers at most
def prune_processed_event_batches() -> int:
    return services.prune_processed_batches()


# The service deletes in batches for a minute at most (the next run goes on); the limits leave room.
@shared_task(soft_time_limit=services.VIEWER_PRUNE_TIME_BUDGET_SECONDS + 60,
             time_limit=services.VIEWER_PRUNE_TIME_BUDGET_SECONDS + 90)
def prune_daily_viewers() -> int:
    """Delete per-viewer rows older than ANALYTICS_VIEWER_RETENTION_DAYS; returns how many."""
    return services.prune_daily_viewers()


if settings.REDIS_URL:  # without Redis, events are written straight to the rollups: nothing to flush
    register_periodic("analytics-flush-event-buffer", "analytics.tasks.flush_event_buffer", FLUSH_EVERY_SECONDS)
register_periodic("analytics-prune-processed-event-batches", "analytics.tasks.prune_processed_event_batches", 3600.0)
register_periodic("analytics-prune-daily-viewers", "analytics.tasks.prune_daily_viewers", 3600.0)
