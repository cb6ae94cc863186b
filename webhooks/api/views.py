"""`/api/webhooks`: a user's endpoints, their secrets, a test ping, the delivery log and redelivery."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from reelmate.api.viewsets import OwnerScopedViewSet
from reelmate.errors import NotFound
from webhooks import selectors, services
from webhooks.models import DeliveryStatus, WebhookDelivery

from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)

UNSAFE_URL = OpenApiResponse(description="`validation_error` (or `unsafe_url`, `unresolvable_host`) naming `url`: "
                                         "not http(s), or its host resolves to a loopback, private, link-local, "
                                         "multicast, reserved or cloud-metadata address.")
STATUS_FILTER = OpenApiParameter("status", OpenApiTypes.STR, enum=DeliveryStatus.values, required=False,
                                 description="Only deliveries with this status.")
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(summary="List your webhook endpoints", tags=["webhooks"]),
    retrieve=extend_schema(summary="A webhook endpoint", tags=["webhooks"]),
    destroy=extend_schema(summary="Delete a webhook endpoint (and its delivery log)", tags=["webhooks"]),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                             OwnerScopedViewSet):
    """Your webhook endpoints. Each delivery is signed per Standard Webhooks (`webhook-id`,
    `webhook-timestamp`, `webhook-signature`) with the endpoint's secret."""

    serializer_class = WebhookEndpointSerializer
    lookup_value_regex = UUID
    search_fields = ["url", "description"]
    ordering_fields = ["created_at", "updated_at", "url"]
    ordering = ["-created_at"]
    filterset_fields = ["enabled"]

    def get_base_queryset(self):
        return selectors.endpoints()

    @extend_schema(summary="Create a webhook endpoint", request=WebhookEndpointInputSerializer,
                   responses={201: WebhookEndpointWithSecretSerializer, 400: UNSAFE_URL, 409: OpenApiResponse(
                       description="`too_many_endpoints`: WEBHOOKS_MAX_ENDPOINTS_PER_USER reached.")},
                   tags=["webhooks"])
    def create(self, request):
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.create_endpoint(owner=request.user, **serializer.validated_data)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a webhook endpoint", request=WebhookEndpointInputSerializer(partial=True),
                   responses={200: WebhookEndpointSerializer, 400: UNSAFE_URL}, tags=["webhooks"])
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        serializer = WebhookEndpointInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.update_endpoint(endpoint, **serializer.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    def perform_destroy(self, instance):
        services.delete_endpoint(instance)

    @extend_schema(summary="Rotate the signing secret", request=None,
                   description="A new secret, shown in this answer only. The old one keeps signing alongside (two "
                               "signatures in `webhook-signature`) until `old_secret_signs_until` "
                               "(WEBHOOKS_SECRET_GRACE_HOURS).",
                   responses={200: WebhookEndpointWithSecretSerializer}, tags=["webhooks"])
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = services.rotate_secret(self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(summary="Send a test ping", request=None,
                   description="Queues a `webhook.ping` event to the endpoint (whatever it subscribes to, even while "
                               "disabled); follow it in the delivery log.",
                   responses={202: WebhookDeliverySerializer}, tags=["webhooks"])
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request, pk=None):
        delivery = services.send_test(self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="The endpoint's delivery log", parameters=[STATUS_FILTER],
                   description="Newest first: event, status, attempts (each with its status code, latency and the "
                               "start of the reply).",
                   responses={200: WebhookDeliverySerializer(many=True)}, tags=["webhooks"])
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        deliveries = selectors.deliveries_of(self.get_object())
        wanted = request.query_params.get("status")
        if wanted in DeliveryStatus.values:
            deliveries = deliveries.filter(status=wanted)
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(summary="Redeliver a past delivery", request=None, parameters=[DELIVERY_ID],
                   description="Sends it again with a fresh round of retries and the same `webhook-id`.",
                   responses={202: WebhookDeliverySerializer, 409: OpenApiResponse(
                       description="`endpoint_disabled`: enable the endpoint first.")}, tags=["webhooks"])
    @action(detail=True, methods=["post"], url_path=rf"deliveries/(?P<delivery_id>{UUID})/redeliver")
    def redeliver(self, request, pk=None, delivery_id=None):
        endpoint = self.get_object()
        try:
            delivery = selectors.deliveries_of(endpoint).get(pk=delivery_id)
        except WebhookDelivery.DoesNotExist:
            raise NotFound("No such delivery of this endpoint.")
        delivery = services.redeliver(delivery)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
