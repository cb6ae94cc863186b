"""Through real Celery processes (testkit.worker): a worker delivers, retries on its own with the
same webhook-id, and beat's sweep sends a delivery whose message the broker lost."""
from __future__ import annotations

import time

import pytest
from django.utils import timezone

from testkit.webhook_receiver import Reply
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The worker reads its settings from the environment: loopback allowed, quick retries, a quick sweep.
WEBHOOK_ENV = {"WEBHOOKS_ALLOW_LOOPBACK": "true", "WEBHOOKS_RETRY_SCHEDULE": "0.3,0.3,0.3",
               "WEBHOOKS_SWEEP_SECONDS": "1"}


def wait_for_status(delivery, status, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status == status:
            return delivery
        time.sleep(0.1)
    raise AssertionError(f"delivery {delivery.pk} is {delivery.status}, expected {status}")


def test_a_worker_delivers_retrying_failures_with_the_same_webhook_id(worker_factory, receiver, make_endpoint, user):
    worker_factory(queues=("default",), env=WEBHOOK_ENV)
    endpoint = make_endpoint(events=["job.completed"])
    receiver.script(Reply(503), Reply(500))

    (delivery,) = services.emit_event(user.pk, "job.completed", {"job": {"id": "j-1"}})  # sent once it commits

    requests = receiver.wait_for(3, timeout=60)
    assert {request.webhook_id for request in requests} == {delivery.message_id}
    assert [receiver.verify(request, endpoint.secret)["data"] for request in requests] == [{"job": {"id": "j-1"}}] * 3
    delivery = wait_for_status(delivery, DeliveryStatus.SUCCEEDED)
    assert [(a.status_code, a.succeeded) for a in delivery.attempt_log.all()] == [(503, False), (500, False),
                                                                                  (200, True)]


def test_beat_sends_a_delivery_whose_message_the_broker_lost(worker_factory, beat_factory, receiver, make_endpoint,
                                                             user):
    worker_factory(queues=("default",), env=WEBHOOK_ENV)
    endpoint = make_endpoint(events=["video.shared"])
    # The outbox row exists but no message does (as after Redis restarted empty).
    delivery = WebhookDelivery.objects.create(
        owner=user, endpoint=endpoint, message_id=services.new_message_id(), event_type="video.shared",
        payload=services.envelope("video.shared", {"share": {"token": "t"}}), next_attempt_at=timezone.now())
    time.sleep(1.5)
    assert receiver.received == []

    beat_factory(env=WEBHOOK_ENV)
    (request,) = receiver.wait_for(1, timeout=60)
    assert request.webhook_id == delivery.message_id
    assert receiver.verify(request, endpoint.secret)["type"] == "video.shared"
    wait_for_status(delivery, DeliveryStatus.SUCCEEDED)
