"""Webhook tests: a real receiver on loopback, loopback allowed as in development, endpoints made by
the service, and a way to run a delivery's attempts one after another without waiting."""
from __future__ import annotations

import pytest
from django.utils import timezone

from testkit.webhook_receiver import WebhookReceiver
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery


@pytest.fixture
def receiver():
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def loopback(settings):
    """Loopback destinations allowed (the setting development and tests use)."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    return settings


@pytest.fixture
def make_endpoint(loopback, user, receiver):
    def make(owner=None, *, url=None, events=("job.completed", "job.failed", "video.shared"), **fields):
        return services.create_endpoint(owner=owner or user, url=url or receiver.url(), events=list(events), **fields)

    return make


@pytest.fixture
def endpoint(make_endpoint):
    return make_endpoint()


@pytest.fixture
def run_attempts():
    """Attempt a delivery until it is final (or `limit` attempts), making each retry due at once."""

    def run(delivery, limit: int = 20) -> WebhookDelivery:
        for _ in range(limit):
            WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
                next_attempt_at=timezone.now())
            services.attempt_delivery(delivery.pk)
            delivery.refresh_from_db()
            if delivery.status != DeliveryStatus.PENDING:
                break
        return delivery

    return run


# The generation API's fixtures (a usable avatar and voice, `generate`), for the events tests.
from ai_studio.tests.generation_api.conftest import avatar, generate, voice  # noqa: E402, F401
