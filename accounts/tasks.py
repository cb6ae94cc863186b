"""Accounts' beat task: forget tokens once they have expired."""
from celery import shared_task
from celery.schedules import crontab

from reelmate.celery import register_periodic

from . import services


@shared_task(name="accounts.tasks.flush_expired_tokens", soft_time_limit=120, time_limit=150)  # two DELETEs
def flush_expired_tokens() -> int:
    """Delete expired outstanding/blacklisted refresh tokens and expired access-token revocations."""
    return services.flush_expired_tokens()


register_periodic("accounts-flush-expired-tokens", "accounts.tasks.flush_expired_tokens", crontab(minute=23))
