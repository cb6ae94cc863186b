"""Reading webhooks: a user's endpoints, who is subscribed to an event, an endpoint's delivery log."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.all()


def subscribed_endpoints(owner_id, event_type: str) -> list[WebhookEndpoint]:
    """The owner's enabled endpoints that take `event_type` (a user has a handful: filtered here,
    which works on every database, rather than with a JSON lookup)."""
    return [endpoint for endpoint in WebhookEndpoint.objects.filter(owner_id=owner_id, enabled=True)
            if event_type in endpoint.events]


def endpoint_count(owner) -> int:
    return WebhookEndpoint.objects.filter(owner=owner).count()


def deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first, each with its attempts (in order)."""
    return (WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number"))))
