"""`/api/ai-studio/variant-groups`: one brief rendered several ways, submitted together; list and read them."""
from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.response import Response

from ai_studio.api.generation import QUOTA_RETRY_AFTER, quota_response
from ai_studio.models import VariantGroup
from ai_studio.selectors.variant_groups import groups_with_variants
from ai_studio.serializers.variant_groups import VariantGroupCreateSerializer, VariantGroupSerializer
from ai_studio.services import jobs as job_service
from ai_studio.services import variant_groups as group_service
from reelmate.api.filters import IdFilter, SafeIsoDateTimeFilter
from reelmate.api.viewsets import OwnerScopedViewSet
from reelmate.errors import Invalid

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Repeat a request safely: the same key and body return the same group (200; its jobs are not made "
                "or charged again, never refused by a limit); another body is a 409.",
)

CREATE_EXAMPLE = OpenApiExample("Three hooks, one voice change", request_only=True, value={
    "campaign_id": 12, "name": "Spring hooks",
    "base": {"hook": "Wet socks on mile three? Not anymore.",
             "body": "TrailFlex 2 keeps your feet dry on any trail.",
             "call_to_action": "Tap the link and grab your pair today."},
    "settings": {"avatar_id": 3, "voice_id": 5, "layout": "presenter", "end_card": True},
    "variants": [
        {"label": "Socks"},
        {"label": "Question", "hook": "What if your shoes never got wet?"},
        {"label": "Deep voice", "hook": "What if your shoes never got wet?", "voice_id": 6},
    ],
})


class VariantGroupFilter(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id")
    created_after = SafeIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = SafeIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = VariantGroup
        fields = ["campaign"]


class VariantGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OwnerScopedViewSet):
    """The caller's variant groups, newest first, each with its variants' jobs (and videos once done)."""

    serializer_class = VariantGroupSerializer
    filterset_class = VariantGroupFilter
    ordering_fields = ["created_at", "name"]
    ordering = ["-created_at"]
    search_fields = ["name"]
    throttle_scope = "generation"

    def get_base_queryset(self):
        return groups_with_variants()

    @extend_schema(
        summary="Submit a variant group (one generation job per variant, all or nothing)",
        description=(
            "The same brief rendered 2-10 ways for an A/B test: a base script (or its hook, body and call to "
            "action, as the script drafts return them), settings every variant shares (as for generate-video), "
            "and variants that change the hook or the whole script, the voice, the avatar, the layout or the "
            "headline. Every variant is validated as the generation request it becomes (errors under "
            "`fields.variants.<index>`). Your plan is checked for the whole group at once: if it cannot take every "
            "variant, none is queued. Each variant's video gets its own share link when it completes; results: "
            "`results_url`."),
        request=VariantGroupCreateSerializer, parameters=[IDEMPOTENCY_HEADER, QUOTA_RETRY_AFTER],
        responses={201: VariantGroupSerializer,
                   200: OpenApiResponse(VariantGroupSerializer, description="An Idempotency-Key replay: the group "
                                                                            "the first request made."),
                   400: OpenApiResponse(description="`validation_error`"),
                   409: OpenApiResponse(description="`idempotency_key_reused`: the key came with another body "
                                                    "before."),
                   429: quota_response("`script_characters`")},
        examples=[CREATE_EXAMPLE], tags=["variant groups"])
    def create(self, request):
        serializer = VariantGroupCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key and len(key) > 255:
            raise Invalid("Idempotency-Key must be at most 255 characters.", code="invalid_idempotency_key")
        data = serializer.validated_data
        submission = group_service.submit_variant_group(
            owner=request.user, campaign=data["campaign"], name=data["name"], base=data["base"],
            settings=data["settings"], variants=data["specs"], idempotency_key=key,
            fingerprint=job_service.request_fingerprint(request.data))
        group = self.get_queryset().get(pk=submission.group.pk)
        body = VariantGroupSerializer(group, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
                        headers={"Idempotent-Replayed": str(not submission.created).lower()})

    @extend_schema(tags=["variant groups"])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=["variant groups"])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
