"""Webhooks' Celery tasks: one delivery attempt, and the sweep that sends due deliveries (beat)."""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from reelmate.celery import register_periodic

# webhooks.services imports this module too (a service and its task know each other): the module,
# not its names, is imported, so either may be imported first.
from webhooks import services

# An attempt is bounded by its connect and read timeouts; the limits only catch a stuck worker.
ATTEMPT_SOFT_TIME_LIMIT = int(settings.WEBHOOKS_CONNECT_TIMEOUT + settings.WEBHOOKS_READ_TIMEOUT) + 15


@shared_task(name="webhooks.tasks.deliver", soft_time_limit=ATTEMPT_SOFT_TIME_LIMIT,
             time_limit=ATTEMPT_SOFT_TIME_LIMIT + 15)
def deliver(delivery_id: str) -> str:
    """One attempt of a delivery; the service schedules any retry on the delivery's row."""
    return services.attempt_delivery(delivery_id)


@shared_task(name="webhooks.tasks.send_due_deliveries", soft_time_limit=60, time_limit=90)
def send_due_deliveries() -> int:
    """Beat: send the deliveries that are due and whose message was never sent or was lost."""
    return services.send_due_deliveries()


@shared_task(name="webhooks.tasks.prune_deliveries", soft_time_limit=240, time_limit=300)
def prune_deliveries() -> int:
    """Beat: drop finished deliveries older than WEBHOOKS_LOG_RETENTION_DAYS from the log."""
    return services.prune_deliveries()


register_periodic("webhooks-prune-deliveries", "webhooks.tasks.prune_deliveries", 3600.0)
register_periodic("webhooks-send-due-deliveries", "webhooks.tasks.send_due_deliveries",
                  settings.WEBHOOKS_SWEEP_SECONDS)
