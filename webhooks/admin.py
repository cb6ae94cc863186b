"""Staff see every endpoint and delivery: searchable, filterable; deliveries and attempts read-only."""
from __future__ import annotations

from django import forms
from django.contrib import admin

from reelmate.admin_mixins import ReadOnlyAdminMixin

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = "__all__"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "owner", "enabled", "events", "consecutive_failures", "last_success_at", "created_at")
    list_filter = ("enabled", "created_at", "disabled_at")
    search_fields = ("url", "description", "owner__email", "id")
    raw_id_fields = ("owner",)
    readonly_fields = ("id", "disabled_at", "failing_since", "consecutive_failures", "last_success_at",
                       "previous_secret_expires_at", "created_at", "updated_at")
    exclude = ("secret", "previous_secret")  # staff need not see users' signing secrets
    date_hierarchy = "created_at"


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
    fields = ("number", "started_at", "url", "status_code", "latency_ms", "succeeded", "error", "response_body")
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("message_id", "event_type", "status", "attempts", "last_status_code", "endpoint", "job",
                    "owner", "created_at", "next_attempt_at")
    list_filter = ("status", "event_type", "created_at")
    search_fields = ("message_id", "id", "endpoint__url", "owner__email", "job__id", "last_error")
    list_select_related = ("endpoint", "owner")
    raw_id_fields = ("owner", "endpoint", "job")
    date_hierarchy = "created_at"
    inlines = [WebhookAttemptInline]
