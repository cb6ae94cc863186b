"""Delivering: signed per Standard Webhooks (checked with the library's verifier on a real receiver),
retried on the schedule with a stable webhook-id, timeouts and redirects as failures, the SSRF check
again at each attempt, secret rotation, redelivery, and endpoints disabled after failing for days."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import WebhookVerificationError

from testkit.webhook_receiver import Reply
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db

DATA = {"job": {"id": "3f1c"}, "video": None}


def emit(endpoint, event_type="job.completed", data=DATA):
    (delivery,) = services.emit_event(endpoint.owner_id, event_type, data)
    return delivery


def test_a_delivery_is_signed_so_that_the_library_verifies_it(endpoint, receiver, run_attempts):
    delivery = run_attempts(emit(endpoint))

    (request,) = receiver.wait_for(1)
    body = receiver.verify(request, endpoint.secret)
    assert body["type"] == "job.completed" and body["data"] == DATA
    assert request.webhook_id == delivery.message_id and request.webhook_id.startswith("msg_")
    assert request.headers["content-type"] == "application/json"
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    (attempt,) = delivery.attempt_log.all()
    assert (attempt.number, attempt.status_code, attempt.succeeded, attempt.response_body) == (1, 200, True, "ok")
    assert attempt.latency_ms is not None


def test_another_secret_does_not_verify(endpoint, receiver, run_attempts):
    run_attempts(emit(endpoint))
    with pytest.raises(WebhookVerificationError):
        receiver.verify(receiver.wait_for(1)[0], "whsec_" + "QUJD" * 8)


def test_failures_are_retried_with_the_same_webhook_id_until_one_succeeds(endpoint, receiver, run_attempts):
    receiver.script(Reply(503, b"busy"), Reply(500, b"oops"))
    delivery = run_attempts(emit(endpoint))

    requests = receiver.wait_for(3)
    assert {request.webhook_id for request in requests} == {delivery.message_id}
    assert all(receiver.verify(request, endpoint.secret)["type"] == "job.completed" for request in requests)
    assert [(a.number, a.status_code, a.succeeded) for a in delivery.attempt_log.all()] == [
        (1, 503, False), (2, 500, False), (3, 200, True)]
    assert delivery.attempt_log.first().response_body == "busy"
    assert delivery.status == DeliveryStatus.SUCCEEDED
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.failing_since is None and endpoint.last_success_at


def test_retries_follow_the_schedule_with_jitter(endpoint, receiver, settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = [5, 300, 1800]
    receiver.default = Reply(500)
    delivery = emit(endpoint)
    waits = []
    for _ in range(3):
        before = timezone.now()
        assert services.attempt_delivery(delivery.pk) == "retrying"
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - before).total_seconds())
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert 4.0 - 0.5 <= waits[0] <= 5.0 + 0.5
    assert 240 - 1 <= waits[1] <= 300 + 1
    assert 1440 - 1 <= waits[2] <= 1800 + 1
    assert services.attempt_delivery(delivery.pk) == "failed"  # the schedule is used up
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 4, 500)
    assert "answered 500" in delivery.last_error


def test_the_default_schedule_spans_about_a_day():
    from django.conf import settings

    assert settings.WEBHOOKS_RETRY_SCHEDULE == [5, 300, 1800, 7200, 18000, 36000, 36000]


def test_a_late_retry_is_left_to_the_sweep_which_sends_it_when_due(endpoint, receiver, settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = [600]
    receiver.script(Reply(502))
    delivery = emit(endpoint)
    services.attempt_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert services.send_due_deliveries() == 0  # not due yet
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert services.send_due_deliveries() == 1
    assert services.send_due_deliveries() == 0  # its message is out: not sent twice
    assert services.attempt_delivery(delivery.pk) == "succeeded"


def test_a_delivery_whose_message_never_went_out_is_sent_by_the_sweep(endpoint):
    delivery = emit(endpoint)  # in this test's transaction: its message would go out on commit
    assert WebhookDelivery.objects.get(pk=delivery.pk).dispatched_at is None
    assert services.send_due_deliveries() == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).dispatched_at is not None


def test_a_message_sent_long_ago_and_never_taken_is_sent_again(endpoint):
    delivery = emit(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(dispatched_at=timezone.now() - timedelta(minutes=10))
    assert services.send_due_deliveries() == 1


def test_an_attempt_is_taken_by_one_worker_only(endpoint, receiver):
    delivery = emit(endpoint)
    assert services.claim(delivery.pk) is not None
    assert services.claim(delivery.pk) is None  # a duplicate message does nothing
    assert services.attempt_delivery(delivery.pk) == "skipped"
    assert receiver.received == []


def test_a_slow_receiver_times_out_and_is_retried(endpoint, receiver, settings):
    settings.WEBHOOKS_READ_TIMEOUT = 0.5
    receiver.script(Reply(200, delay=3))
    delivery = emit(endpoint)
    assert services.attempt_delivery(delivery.pk) == "retrying"
    (attempt,) = WebhookDelivery.objects.get(pk=delivery.pk).attempt_log.all()
    assert attempt.status_code is None and not attempt.succeeded
    assert attempt.error.startswith("Timed out")


def test_a_redirect_is_not_followed(endpoint, receiver):
    receiver.script(Reply(302, b"", location=receiver.url("/elsewhere")))
    delivery = emit(endpoint)
    assert services.attempt_delivery(delivery.pk) == "retrying"
    (attempt,) = WebhookDelivery.objects.get(pk=delivery.pk).attempt_log.all()
    assert attempt.status_code == 302 and not attempt.succeeded
    assert "not followed" in attempt.error and "/elsewhere" in attempt.error
    assert [request.path for request in receiver.received] == ["/hooks"]  # nothing went to /elsewhere


def test_the_address_is_checked_again_at_each_attempt(endpoint, receiver, settings):
    """Saved while loopback was allowed; refused once it is not (as when DNS now answers loopback)."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    delivery = emit(endpoint)
    assert services.attempt_delivery(delivery.pk) == "retrying"
    (attempt,) = WebhookDelivery.objects.get(pk=delivery.pk).attempt_log.all()
    assert attempt.error.startswith("Refused:") and "loopback" in attempt.error
    assert receiver.received == []


def test_after_a_rotation_both_secrets_sign_during_the_grace_period_then_only_the_new(endpoint, receiver,
                                                                                      run_attempts):
    old = endpoint.secret
    endpoint = services.rotate_secret(endpoint)
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")

    run_attempts(emit(endpoint))
    during = receiver.wait_for(1)[0]
    assert len(during.signatures()) == 2
    assert receiver.verify(during, old)["type"] == "job.completed"
    assert receiver.verify(during, endpoint.secret)["type"] == "job.completed"

    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)  # the grace period is over
    endpoint.save()
    run_attempts(emit(endpoint))
    after = receiver.wait_for(2)[1]
    assert len(after.signatures()) == 1
    assert receiver.verify(after, endpoint.secret)
    with pytest.raises(WebhookVerificationError):
        receiver.verify(after, old)


def test_the_grace_period_is_a_setting(endpoint, settings):
    settings.WEBHOOKS_SECRET_GRACE_HOURS = 2
    before = timezone.now()
    endpoint = services.rotate_secret(endpoint)
    assert timedelta(hours=2) <= endpoint.previous_secret_expires_at - before < timedelta(hours=2, seconds=5)


def test_a_past_delivery_is_redelivered_with_the_same_webhook_id(endpoint, receiver, run_attempts):
    delivery = run_attempts(emit(endpoint))
    again = services.redeliver(delivery)
    assert again.status == DeliveryStatus.PENDING
    again = run_attempts(again)
    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id == delivery.message_id
    assert [(a.number, a.succeeded) for a in again.attempt_log.all()] == [(1, True), (2, True)]


def test_a_failed_delivery_gets_a_fresh_round_of_retries_when_redelivered(endpoint, receiver, run_attempts,
                                                                          settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = [0]
    receiver.script(Reply(500), Reply(500), Reply(500))
    delivery = run_attempts(emit(endpoint))
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    delivery = run_attempts(services.redeliver(delivery))
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 4)


def test_an_endpoint_failing_for_days_is_disabled_and_says_why(endpoint, receiver, settings):
    settings.WEBHOOKS_DISABLE_AFTER_DAYS = 3
    receiver.default = Reply(500)
    services.attempt_delivery(emit(endpoint).pk)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 1 and endpoint.failing_since

    endpoint.failing_since = timezone.now() - timedelta(days=3, minutes=1)  # the run of failures began 3 days ago
    endpoint.save()
    services.attempt_delivery(emit(endpoint).pk)
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_at
    assert endpoint.disabled_reason.startswith("Disabled automatically: every delivery attempt failed since")
    assert "answered 500" in endpoint.disabled_reason

    assert services.emit_event(endpoint.owner_id, "job.completed", DATA) == []  # no new deliveries
    pending = WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).first()
    WebhookDelivery.objects.filter(pk=pending.pk).update(next_attempt_at=timezone.now())
    assert services.attempt_delivery(pending.pk) == "failed"  # queued before: failed, not sent
    assert len(receiver.received) == 2

    endpoint = services.update_endpoint(endpoint, enabled=True)  # enabling starts afresh
    assert (endpoint.disabled_reason, endpoint.failing_since, endpoint.consecutive_failures) == ("", None, 0)


def test_a_success_within_the_days_keeps_the_endpoint(endpoint, receiver, run_attempts):
    receiver.script(Reply(500))
    run_attempts(emit(endpoint))
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None


def test_only_subscribed_enabled_endpoints_of_the_owner_get_an_event(make_endpoint, other_user, user):
    shared = make_endpoint(events=["video.shared"])
    jobs = make_endpoint(events=["job.completed"])
    make_endpoint(events=["job.completed"], enabled=False)
    make_endpoint(other_user, events=["job.completed"])
    deliveries = services.emit_event(user.pk, "job.completed", DATA)
    assert [delivery.endpoint for delivery in deliveries] == [jobs]
    assert [delivery.endpoint for delivery in services.emit_event(user.pk, "video.shared", {})] == [shared]


def test_batch_completed_is_an_event_batches_can_emit(make_endpoint, user):
    endpoint = make_endpoint(events=["batch.completed"])
    (delivery,) = services.emit_event(user.pk, "batch.completed", {"batch": {"id": "b1", "jobs": 3}})
    assert delivery.endpoint == endpoint and delivery.payload["type"] == "batch.completed"


def test_an_unknown_event_type_is_a_programming_error(user):
    with pytest.raises(ValueError):
        services.emit_event(user.pk, "job.exploded", {})


def test_finished_deliveries_leave_the_log_after_the_retention_period(endpoint, run_attempts, settings):
    settings.WEBHOOKS_LOG_RETENTION_DAYS = 30
    old, recent, pending = (run_attempts(emit(endpoint)), run_attempts(emit(endpoint)), emit(endpoint))
    WebhookDelivery.objects.filter(pk__in=[old.pk, pending.pk]).update(
        completed_at=timezone.now() - timedelta(days=31), created_at=timezone.now() - timedelta(days=31))
    assert services.prune_deliveries() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}
