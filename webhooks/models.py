"""Webhook endpoints, and the deliveries to them (the outbox) with every attempt made.

A `WebhookDelivery` is one event for one destination: an endpoint of the user's, or a job's one-off
``callback_url`` (then `endpoint` is empty and the job's own secret signs). It is written in the
same transaction as the event, or right after it commits, and its ``message_id`` (``webhook-id``)
never changes, across retries and redeliveries, so receivers can deduplicate.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class EventType(models.TextChoices):
    JOB_COMPLETED = "job.completed", "A generation job finished and its video exists"
    JOB_FAILED = "job.failed", "A generation job failed for good"
    VIDEO_SHARED = "video.shared", "A video got a public share link"
    BATCH_COMPLETED = "batch.completed", "Every job of a batch reached a final status"


# Sent by `POST /api/webhooks/:id/test`, whatever the endpoint subscribes to.
PING_EVENT = "webhook.ping"


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=300, blank=True)
    events = models.JSONField(default=list, help_text="Event types sent to this endpoint (EventType values).")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    secret = models.CharField(max_length=100, editable=False)
    # After a rotation the previous secret signs too, until `previous_secret_expires_at`.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The current run of failed attempts (reset by a success): how an endpoint failing for days is found.
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="webhook_owner_created")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"      # waiting for its next attempt (at next_attempt_at)
    SUCCEEDED = "succeeded"  # the receiver answered 2xx
    FAILED = "failed"        # every attempt failed, or the endpoint was disabled or deleted


class WebhookDelivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="deliveries")
    # A job's callback: its URL and (per job) secret are read from the job at each attempt.
    job = models.ForeignKey("ai_studio.VideoGenerationJob", null=True, blank=True, on_delete=models.CASCADE,
                            related_name="webhook_deliveries")
    message_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()

    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)  # every attempt made (numbers the attempt log)
    round_attempts = models.PositiveIntegerField(default=0)  # attempts since created or redelivered
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When its task message was published (or is due to arrive, with a countdown): the sweep
    # re-sends due deliveries whose message was never sent or seems lost.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_created"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(endpoint__isnull=False) | models.Q(job__isnull=False),
                                   name="delivery_has_a_destination"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery, and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    url = models.URLField(max_length=2000)
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True, help_text="Why it failed without a 2xx: timeout, "
                                                                    "refused address, redirect, connection error.")
    response_body = models.TextField(blank=True, help_text="The start of the reply (at most 1 KB).")

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="attempt_number_once")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
