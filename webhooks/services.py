"""Webhooks: endpoints and their secrets, events into deliveries (the outbox), and delivering them.

Events become `WebhookDelivery` rows, one per subscribed endpoint (and one for a job's
``callback_url``), in the transaction that makes the event or just after it commits; each row's
task message is published once that transaction commits. A delivery is attempted by a Celery task
(`attempt_delivery`), never from a request or a render:

* it is *claimed* by one conditional UPDATE (due, still pending) that also pushes its next attempt
  a lease ahead, so a duplicate message does nothing and an attempt whose worker died is retried
  once the lease lapses;
* the destination is checked again (`reelmate.outbound`: public addresses only, DNS resolved now)
  and the request goes to the checked address, with short timeouts and no redirects followed;
* it is signed per Standard Webhooks (`reelmate.webhook_signing`); ``webhook-id`` is the
  delivery's ``message_id`` on every attempt and redelivery;
* a 2xx succeeds it; anything else is retried after WEBHOOKS_RETRY_SCHEDULE (80-100% of each step)
  and then failed. Short waits go out as a countdown message; longer ones are left to the sweep.

`send_due_deliveries` (beat, every WEBHOOKS_SWEEP_SECONDS) publishes the deliveries that are due and
that the broker does not hold: never published (the broker was down), due after a long wait,
claimed by a worker that died, or published so long ago that the message must be lost (Redis
restarted empty). The database is the source of truth; a message only says "look at this row".

An endpoint whose attempts have all failed for WEBHOOKS_DISABLE_AFTER_DAYS is disabled, with the
reason on it; enabling it again (PATCH) starts afresh.
"""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from reelmate import broker, outbound, webhook_signing
from reelmate.backoff import jittered
from reelmate.errors import Conflict, Invalid
from webhooks import selectors, tasks

from .models import PING_EVENT, DeliveryStatus, EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

EVENT_TYPES = frozenset(EventType.values)
USER_AGENT = "ReelMate-Webhooks/1.0"
MAX_RESPONSE_BYTES = 1024
# A retry this soon is published at once with a countdown; a later one is left to the sweep (a
# countdown of hours would sit in the broker past its visibility timeout and be delivered twice).
COUNTDOWN_MAX_SECONDS = 60.0
# A due delivery whose message went out this long ago and was never taken is sent again.
RESEND_AFTER = timedelta(minutes=2)
SWEEP_BATCH_SIZE = 500
JITTER_LOW = 0.8  # each wait of the schedule is 80-100% of its step
# A healthy endpoint's `last_success_at` is written at most this often (one write less per delivery).
SUCCESS_MARK_EVERY = timedelta(minutes=1)


def lease() -> timedelta:
    """How long a claimed attempt may take before another worker may try (its worker died)."""
    return timedelta(seconds=settings.WEBHOOKS_CONNECT_TIMEOUT + settings.WEBHOOKS_READ_TIMEOUT + 30)


# --- Endpoints ----------------------------------------------------------------------------------
def check_destination(url: str, field: str = "url") -> None:
    """Invalid (with `field`'s message) unless `url` may be called (reelmate.outbound.check_url)."""
    try:
        outbound.check_url(url)
    except outbound.UnsafeUrl as error:
        raise Invalid(fields={field: [error.message]}, code=error.code)


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - EVENT_TYPES)
    if unknown:
        raise Invalid(fields={"events": [f"Unknown event type(s): {', '.join(unknown)}; choose among "
                                         f"{', '.join(sorted(EVENT_TYPES))}."]})
    if not events:
        raise Invalid(fields={"events": ["Subscribe to at least one event type."]})
    return sorted(set(events))


def create_endpoint(*, owner, url: str, events: list[str], description: str = "",
                    enabled: bool = True) -> WebhookEndpoint:
    """A new endpoint with a new secret (shown to its owner once, in the answer)."""
    events = check_events(events)
    check_destination(url)
    with transaction.atomic():
        type(owner).objects.select_for_update().filter(pk=owner.pk).first()  # one count per user at a time
        if selectors.endpoint_count(owner) >= settings.WEBHOOKS_MAX_ENDPOINTS_PER_USER:
            raise Conflict(f"You have {settings.WEBHOOKS_MAX_ENDPOINTS_PER_USER} webhook endpoints, the most allowed; "
                           "delete one first.", code="too_many_endpoints")
        return WebhookEndpoint.objects.create(owner=owner, url=url, events=events, description=description,
                                              enabled=enabled, secret=webhook_signing.new_secret())


def update_endpoint(endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change url, events, description or enabled. Enabling a disabled endpoint clears why it was
    disabled and its run of failures."""
    if "events" in changes:
        changes["events"] = check_events(changes["events"])
    if "url" in changes:
        check_destination(changes["url"])
    if changes.get("enabled") and not endpoint.enabled:
        changes.update(disabled_reason="", disabled_at=None, failing_since=None, consecutive_failures=0)
    if changes.get("enabled") is False and endpoint.enabled:
        changes.update(disabled_reason="Disabled by its owner.", disabled_at=timezone.now())
    for name, value in changes.items():
        setattr(endpoint, name, value)
    # Only what changed: a delivery counting a failure at the same moment keeps its count.
    endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    endpoint.delete()  # its deliveries and their log go with it


def rotate_secret(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret; the current one keeps signing alongside for WEBHOOKS_SECRET_GRACE_HOURS."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(hours=settings.WEBHOOKS_SECRET_GRACE_HOURS)
    endpoint.secret = webhook_signing.new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    secrets = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets.append(endpoint.previous_secret)
    return secrets


# --- Events into deliveries ---------------------------------------------------------------------
def envelope(event_type: str, data: dict, *, occurred_at: datetime | None = None) -> dict:
    """The body every webhook carries: ``{"type", "timestamp", "data"}`` (Standard Webhooks' shape)."""
    return {"type": event_type, "timestamp": (occurred_at or timezone.now()).isoformat(), "data": data}


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def emit_event(owner_id, event_type: str, payload: dict) -> list[WebhookDelivery]:
    """Queue `event_type` with `payload` (its ``data``) for each of the owner's enabled endpoints
    subscribed to it. Call it inside the transaction that makes the event (the deliveries then exist
    exactly when the event does) or after it; the messages go out once it commits.

    Public: batches call ``emit_event(owner_id, "batch.completed", {...})`` when a batch finishes.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    body = envelope(event_type, payload)
    now = timezone.now()
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create([
            WebhookDelivery(owner_id=owner_id, endpoint=endpoint, message_id=new_message_id(), event_type=event_type,
                            payload=body, next_attempt_at=now)
            for endpoint in selectors.subscribed_endpoints(owner_id, event_type)])
        _send_on_commit(deliveries)
    return deliveries


def emit_job_callback(job, event_type: str, payload: dict) -> WebhookDelivery | None:
    """Queue the job's event for its one-off ``callback_url`` (signed with the job's own secret)."""
    if not job.callback_url:
        return None
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(owner_id=job.owner_id, job=job, message_id=new_message_id(),
                                                  event_type=event_type, payload=envelope(event_type, payload),
                                                  next_attempt_at=now)
        _send_on_commit([delivery])
    return delivery


def send_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.ping` to the endpoint, whatever it subscribes to (even while disabled)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            owner_id=endpoint.owner_id, endpoint=endpoint, message_id=new_message_id(), event_type=PING_EVENT,
            payload=envelope(PING_EVENT, {"endpoint_id": str(endpoint.pk)}), next_attempt_at=timezone.now())
        _send_on_commit([delivery])
    return delivery


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a past delivery again, with a fresh round of retries and the same ``webhook-id``."""
    endpoint = delivery.endpoint
    if endpoint is not None and not endpoint.enabled and delivery.event_type != PING_EVENT:
        raise Conflict("The endpoint is disabled; enable it first.", code="endpoint_disabled")
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, round_attempts=0, next_attempt_at=timezone.now(), completed_at=None)
        _send_on_commit([delivery])
    delivery.refresh_from_db()
    return delivery


def _send_on_commit(deliveries: list[WebhookDelivery]) -> None:
    ids = [delivery.pk for delivery in deliveries]
    if ids:
        transaction.on_commit(lambda: [send_delivery(delivery_id) for delivery_id in ids])


def send_delivery(delivery_id, *, countdown: float | None = None) -> bool:
    """Publish the delivery's task message; never raises (the sweep sends what could not be sent)."""
    options = {"countdown": countdown} if countdown else {}
    if not broker.publish(tasks.deliver, args=[str(delivery_id)], **options):
        logger.warning("webhook delivery not sent (broker unavailable); the sweep will send it",
                       extra={"delivery_id": str(delivery_id)})
        return False
    # With a countdown, the message is due when the delivery is: it counts as sent for then.
    at = timezone.now() + timedelta(seconds=countdown or 0)
    WebhookDelivery.objects.filter(pk=delivery_id).update(dispatched_at=at)
    return True


def send_due_deliveries() -> int:
    """One sweep (beat): publish due deliveries whose message was never sent or seems lost."""
    now = timezone.now()
    due = (WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
           .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=F("next_attempt_at"))
                   | Q(dispatched_at__lt=now - RESEND_AFTER))
           .order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH_SIZE])
    sent = 0
    for delivery_id in due:
        if not send_delivery(delivery_id):
            break  # the broker is away: the next sweep tries again
        sent += 1
    if sent:
        logger.info("webhook sweep sent %d deliveries", sent)
    return sent


# --- Attempting a delivery ----------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None = None
    latency_ms: int | None = None
    error: str = ""
    response_body: str = ""


def claim(delivery_id) -> WebhookDelivery | None:
    """Take the delivery's next attempt, unless it is not due or another worker took it: one
    conditional UPDATE, which also moves its next attempt a lease ahead (the retry, should this
    worker die mid-attempt)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
    ).update(next_attempt_at=now + lease(), attempts=F("attempts") + 1, round_attempts=F("round_attempts") + 1)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint", "job").filter(pk=delivery_id).first()


def attempt_delivery(delivery_id) -> str:
    """One attempt of a delivery (the `deliver` task): "succeeded", "retrying", "failed" or "skipped".

    Two short transactions around the request: the claim, then the attempt's record and outcome.
    """
    delivery = claim(delivery_id)
    if delivery is None:
        return "skipped"
    now = timezone.now()
    endpoint = delivery.endpoint
    if endpoint is not None:
        if not endpoint.enabled and delivery.event_type != PING_EVENT:
            _finish(delivery, DeliveryStatus.FAILED, error="The endpoint is disabled.")
            return "failed"
        url, signing = endpoint.url, signing_secrets(endpoint, now)
    else:
        url, signing = delivery.job.callback_url, [delivery.job.callback_secret]
    outcome = post_signed(url, signing, message_id=delivery.message_id, payload=delivery.payload, now=now)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, url=url, started_at=now, status_code=outcome.status_code,
            latency_ms=outcome.latency_ms, succeeded=outcome.succeeded, error=outcome.error,
            response_body=outcome.response_body)
        if outcome.succeeded:
            _finish(delivery, DeliveryStatus.SUCCEEDED, status_code=outcome.status_code)
            if endpoint is not None and (endpoint.failing_since or endpoint.consecutive_failures
                                         or not endpoint.last_success_at or now - endpoint.last_success_at
                                         > SUCCESS_MARK_EVERY):
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                    failing_since=None, consecutive_failures=0, last_success_at=now)
            return "succeeded"
        if endpoint is not None:
            _count_failure(endpoint, now, outcome)
        schedule = settings.WEBHOOKS_RETRY_SCHEDULE
        if delivery.round_attempts > len(schedule):
            _finish(delivery, DeliveryStatus.FAILED, status_code=outcome.status_code, error=outcome.error)
            return "failed"
        wait = jittered(schedule[delivery.round_attempts - 1], low=JITTER_LOW)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=now + timedelta(seconds=wait), last_status_code=outcome.status_code,
            last_error=outcome.error[:300])
        if wait <= COUNTDOWN_MAX_SECONDS:
            transaction.on_commit(lambda: send_delivery(delivery.pk, countdown=wait))
    return "retrying"


def post_signed(url: str, signing: list[str], *, message_id: str, payload: dict, now: datetime) -> Outcome:
    """Sign and POST one attempt; whatever happens is an Outcome (never raises for the network)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    headers = {
        **webhook_signing.headers(signing, message_id=message_id, timestamp=now, body=body),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    try:
        destination = outbound.check_url(url)  # again: DNS may answer differently since the URL was saved
        reply = outbound.post(destination, body=body.encode(), headers=headers,
                              connect_timeout=settings.WEBHOOKS_CONNECT_TIMEOUT,
                              read_timeout=settings.WEBHOOKS_READ_TIMEOUT, max_body_bytes=MAX_RESPONSE_BYTES)
    except outbound.UnsafeUrl as error:
        return Outcome(False, error=f"Refused: {error.message}"[:300])
    except urllib3.exceptions.TimeoutError:
        limits = f"connect {settings.WEBHOOKS_CONNECT_TIMEOUT:g} s, read {settings.WEBHOOKS_READ_TIMEOUT:g} s"
        return Outcome(False, error=f"Timed out ({limits}).")
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return Outcome(False, error=f"Connection failed: {error}"[:300])
    text = reply.body.decode("utf-8", errors="replace")
    if 200 <= reply.status < 300:
        return Outcome(True, reply.status, reply.latency_ms, response_body=text)
    if 300 <= reply.status < 400:
        error = f"Redirect to {reply.location or '(no Location)'} not followed: give the final URL."
    else:
        error = f"The endpoint answered {reply.status}."
    return Outcome(False, reply.status, reply.latency_ms, error=error[:300], response_body=text)


def _finish(delivery: WebhookDelivery, status: str, *, status_code: int | None = None, error: str = "") -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status, completed_at=timezone.now(), next_attempt_at=None, last_status_code=status_code,
        last_error=error[:300])


def _count_failure(endpoint: WebhookEndpoint, now: datetime, outcome: Outcome) -> None:
    """One more failed attempt in the endpoint's current run; disable it once the run lasts
    WEBHOOKS_DISABLE_AFTER_DAYS without a success."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, failing_since=Coalesce("failing_since", Value(now)))
    failing_for = timedelta(days=settings.WEBHOOKS_DISABLE_AFTER_DAYS)
    endpoint.refresh_from_db(fields=["failing_since", "consecutive_failures", "enabled"])
    if not endpoint.enabled or endpoint.failing_since is None or now - endpoint.failing_since < failing_for:
        return
    reason = (f"Disabled automatically: every delivery attempt failed since {endpoint.failing_since:%Y-%m-%d %H:%M} "
              f"UTC ({endpoint.consecutive_failures} in a row); the last: {outcome.error}")[:500]
    if WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
            enabled=False, disabled_at=now, disabled_reason=reason):
        logger.warning("webhook endpoint disabled after failing for days",
                       extra={"endpoint_id": str(endpoint.pk), "owner_id": endpoint.owner_id})


PRUNE_BATCH_SIZE = 1000


def prune_deliveries() -> int:
    """Delete finished deliveries (and their attempts) older than WEBHOOKS_LOG_RETENTION_DAYS, in
    batches; pending ones are never pruned. Returns how many deliveries went."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS)
    pruned = 0
    while True:
        batch = list(WebhookDelivery.objects.filter(status__in=(DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED),
                                                    completed_at__lt=cutoff)
                     .values_list("pk", flat=True)[:PRUNE_BATCH_SIZE])
        if not batch:
            return pruned
        WebhookAttempt.objects.filter(delivery_id__in=batch).delete()
        pruned += WebhookDelivery.objects.filter(pk__in=batch).delete()[1].get(WebhookDelivery._meta.label, 0)
