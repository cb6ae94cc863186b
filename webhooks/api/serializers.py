from __future__ import annotations

from rest_framework import serializers

from webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(EventType.choices))
    old_secret_signs_until = serializers.DateTimeField(
        source="previous_secret_expires_at", read_only=True, allow_null=True,
        help_text="After a rotation: until when the previous secret still signs (a second signature).")

    class Meta:
        model = WebhookEndpoint
        fields = ("id", "url", "description", "events", "enabled", "disabled_reason", "disabled_at",
                  "old_secret_signs_until", "failing_since", "consecutive_failures", "last_success_at",
                  "created_at", "updated_at")
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text=(
        "The `whsec_...` signing secret: shown only when the endpoint is created and when its secret is rotated."))

    class Meta(WebhookEndpointSerializer.Meta):
        fields = (*WebhookEndpointSerializer.Meta.fields, "secret")
        read_only_fields = fields


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, help_text=(
        "http(s) URL on a public address (checked when saved and at every delivery)."))
    events = serializers.ListField(child=serializers.ChoiceField(EventType.choices), min_length=1, max_length=10,
                                   help_text="The event types to receive.")
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    enabled = serializers.BooleanField(required=False, default=True, help_text=(
        "Enabling a disabled endpoint clears why it was disabled and its run of failures."))


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ("number", "url", "started_at", "status_code", "latency_ms", "succeeded", "error", "response_body")
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message_id", read_only=True,
                                       help_text="The `webhook-id` header: the same on every attempt and redelivery.")
    endpoint_id = serializers.UUIDField(read_only=True, allow_null=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = ("id", "webhook_id", "endpoint_id", "event_type", "status", "attempts", "next_attempt_at",
                  "last_status_code", "last_error", "created_at", "completed_at", "payload", "attempt_log")
        read_only_fields = fields
