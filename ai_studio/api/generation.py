"""Generation endpoints: submit a reel, follow its job, cancel/retry it, list and delete videos."""
from __future__ import annotations

import django_filters
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from ai_studio import live as job_live
from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from ai_studio.selectors.generation import jobs_with_relations, videos_with_relations
from ai_studio.serializers.generation import (
    GeneratedVideoSerializer,
    GenerateVideoSerializer,
    GenerationJobSerializer,
    SubmittedJobSerializer,
)
from ai_studio.services import jobs as job_service
from reelmate.api.filters import IdFilter, SafeIsoDateTimeFilter
from reelmate.api.renderers import JSONRenderer
from reelmate.api.schema import ERROR_COMPONENT
from reelmate.api.viewsets import ListModelMixin, OwnerScopedViewSet
from reelmate.errors import Invalid, NotFound
from reelmate.live import sse, subscriptions

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Repeat a request safely: the same key and body return the same job (not charged again, never "
                "refused by a limit); another body is a 409.",
)
QUOTA_EXCEEDED = (
    "`quota_exceeded`: a limit of your plan is reached, named in `error.limit` (see GET /api/usage): "
    "`concurrent_jobs` (Retry-After: a hint, look again when a job finishes), `jobs_per_day` and "
    "`video_minutes_per_month` (Retry-After: until the UTC day or month resets), `script_characters`"
)
# Quota refusals carry it only where waiting helps (the throttles' 429 always does).
QUOTA_RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429], required=False,
    description="Seconds to wait before trying again; absent when waiting cannot help.")
QUOTA_EXAMPLE = OpenApiExample("quota exceeded", status_codes=["429"], response_only=True, value={"error": {
    "code": "quota_exceeded", "limit": "jobs_per_day",
    "message": "You have made 10 job(s) today; your plan allows 10 a day (UTC)."}})


def quota_response(*limits: str) -> OpenApiResponse:
    return OpenApiResponse(ERROR_COMPONENT.ref, examples=[QUOTA_EXAMPLE], description=(
        f"{QUOTA_EXCEEDED}{''.join(f', {limit}' for limit in limits)} (no Retry-After: waiting cannot help). "
        "No job is queued. Or `throttled`: too many requests from your account; retry after Retry-After seconds."))


GENERATE_VIDEO_EXAMPLES = [
    OpenApiExample("A script", request_only=True, value={
        "avatar_id": 3, "voice_id": 5, "campaign_id": 12, "title": "Spring teaser",
        "script": "Meet Rocket Shoes: light, fast and made for spring. Tap the link to get yours.",
        "layout": "presenter", "headline": "New: Rocket Shoes", "end_card": True,
    }),
    OpenApiExample("Scenes showing the campaign's media", request_only=True, value={
        "avatar_id": 3, "voice_id": 5, "campaign_id": 12, "layout": "product", "headline": "Spring drop",
        "scenes": [
            {"text": "Meet Rocket Shoes.", "media_id": "5b0f2a3e-8c1d-4e59-9a57-0d6f8d7c2b11"},
            {"text": "Light, fast and made for spring.", "media_id": "0c6d4f1a-2b3e-4d5f-8a9b-1c2d3e4f5a6b"},
        ],
        "end_card": {"text": "rocket.shoes", "seconds": 3},
    }),
    OpenApiExample("One product shot for the whole reel", request_only=True, value={
        "avatar_id": 3, "voice_id": 5, "campaign_id": 12, "layout": "product",
        "media_id": "5b0f2a3e-8c1d-4e59-9a57-0d6f8d7c2b11",
        "script": "Meet Rocket Shoes: light, fast and made for spring.",
    }),
]


class CampaignAndCreatedFilter(django_filters.FilterSet):
    """What jobs and videos are both filtered by: their campaign and when they were created."""

    campaign = IdFilter(field_name="campaign_id")
    created_after = SafeIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = SafeIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")


class GenerationJobFilter(CampaignAndCreatedFilter):
    # distinct=False: a job's status is one column, so no row repeats; SELECT DISTINCT would make the
    # database sort every matching job before it could return the first page.
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices, distinct=False)

    class Meta:
        model = VideoGenerationJob
        fields = ["status", "campaign"]


class GenerateVideoViewSet(OwnerScopedViewSet):
    """`POST /api/ai-studio/generate-video` → 202 with the queued job and its `status_url`."""

    queryset = VideoGenerationJob.objects.all()
    serializer_class = GenerateVideoSerializer
    throttle_scope = "generation"

    @extend_schema(request=GenerateVideoSerializer, parameters=[IDEMPOTENCY_HEADER, QUOTA_RETRY_AFTER],
                   responses={202: SubmittedJobSerializer, 409: OpenApiResponse(
                       description="`idempotency_key_reused`: the key came with another body before."),
                       429: quota_response()},
                   tags=["generation"], examples=GENERATE_VIDEO_EXAMPLES)
    def create(self, request):
        serializer = GenerateVideoSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key and len(key) > 255:
            raise Invalid("Idempotency-Key must be at most 255 characters.", code="invalid_idempotency_key")
        submission = job_service.submit_job(
            owner=request.user, fields=serializer.to_job_fields(), idempotency_key=key,
            fingerprint=job_service.request_fingerprint(request.data),
        )
        body = SubmittedJobSerializer(submission.job, context={"request": request}).data
        headers = {"Location": body["status_url"], "Idempotent-Replayed": str(not submission.created).lower()}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


LAST_EVENT_ID = OpenApiParameter(
    "Last-Event-ID", OpenApiTypes.INT, OpenApiParameter.HEADER, required=False,
    description="Resume: the `id` of the last event received (EventSource sends it when it reconnects). The events "
                "after it follow, or the current state when some are no longer kept.")
EVENT_STREAM_DESCRIPTION = (
    "`text/event-stream`: the job's events, each `id: <seq>` and `data: {\"type\": \"event\", \"seq\", \"stream\": "
    "\"job\", \"id\": <job id>, \"kind\", \"at\", \"data\": <the job as generation-status shows it>}`. The first is "
    "the current state (`kind` `snapshot`), or with `Last-Event-ID` the events missed since; then `queued`, "
    "`started`, `progress`, `completed` (with the video and fresh URLs), `failed`, `canceled` as they happen. "
    "Comments (`: keep-alive`) keep the connection open; the stream ends after the job's final event.")


# One event of the stream, as EventSource gives it (what `text/event-stream` carries, event by event).
LIVE_JOB_EVENT_SCHEMA = {
    "type": "object",
    "description": "One Server-Sent Event. `data` is JSON: the live job event.",
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "The job's event sequence number (`seq`)."},
        "event": {"type": "string", "enum": ["message"]},
        "retry": {"type": "integer", "description": "Milliseconds to wait before reconnecting."},
        # OpenAPI 3.0 has no contentSchema: the JSON inside `data` is described by an extension.
        "data": {"type": "string", "description": "JSON: the live job event (`x-json-schema`).", "x-json-schema": {
            "type": "object", "required": ["type", "seq", "stream", "id", "kind", "at", "data"],
            "properties": {
                "type": {"type": "string", "enum": ["event"]},
                "seq": {"type": "integer", "minimum": 0},
                "stream": {"type": "string", "enum": ["job"]},
                "id": {"type": "string", "format": "uuid"},
                "kind": {"type": "string", "enum": ["snapshot", "queued", "started", "progress", "completed", "failed",
                                                    "canceled"]},
                "at": {"type": "number", "description": "When it was published (epoch seconds)."},
                "data": {"$ref": "#/components/schemas/GenerationJob"},
            },
        }},
    },
    "required": ["data"],
}


class FirstRendererNegotiation(BaseContentNegotiation):
    """Errors in JSON whatever the client accepts (an EventSource asks for `text/event-stream`)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class GenerationStatusViewSet(mixins.RetrieveModelMixin, OwnerScopedViewSet):
    """`GET /api/ai-studio/generation-status/:jobId` — the job now; `.../events` — every change, live."""

    serializer_class = GenerationJobSerializer
    compiled_reads = True  # polled: its query is compiled once (reelmate.compiled_queries)

    def get_base_queryset(self):
        return jobs_with_relations()

    @extend_schema(tags=["generation"])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(parameters=[LAST_EVENT_ID], responses={
        (200, "text/event-stream"): OpenApiResponse(LIVE_JOB_EVENT_SCHEMA, description=EVENT_STREAM_DESCRIPTION),
        204: OpenApiResponse(description="Resumed after the job's final event: nothing more will come."),
    }, tags=["generation"])
    @action(detail=True, methods=["get"], url_path="events", renderer_classes=[JSONRenderer],
            content_negotiation_class=FirstRendererNegotiation)
    def events(self, request, pk=None):
        """Server-Sent Events of one job (an alternative to polling, and to the `/ws/live` WebSocket)."""
        job = self.get_object()
        after_seq = parse_last_event_id(request.headers.get("Last-Event-ID"))
        owner_id, key = request.user.pk, str(job.pk)
        start = None
        if after_seq is not None or not isinstance(request._request, ASGIRequest):
            start = subscriptions.start(job_live.JOB_STREAM, owner_id, key, after_seq)
            if start is None:
                raise NotFound("No job of yours has this id.")
            if after_seq is not None and start.final and not start.events:
                return HttpResponse(status=204)
        if isinstance(request._request, ASGIRequest):
            body = sse.asgi_stream(job_live.JOB_STREAM, owner_id, key, after_seq)
        else:
            body = sse.wsgi_stream(start)
        response = StreamingHttpResponse(body, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        return response


def parse_last_event_id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


class GenerationJobViewSet(ListModelMixin, mixins.RetrieveModelMixin, OwnerScopedViewSet):
    """The user's generation jobs, newest first; filter by status and campaign."""

    serializer_class = GenerationJobSerializer
    compiled_reads = True  # polled: the default page and a job are compiled once (reelmate.compiled_queries)
    filterset_class = GenerationJobFilter
    ordering_fields = ["created_at", "completed_at", "status", "progress"]
    ordering = ["-created_at"]
    search_fields = ["title", "script"]

    def get_base_queryset(self):
        return jobs_with_relations()

    @extend_schema(request=None, responses={200: GenerationJobSerializer, 409: OpenApiResponse(
        description="`job_not_cancelable`: the job has already finished.")}, tags=["generation"])
    @action(detail=True, methods=["post"], throttle_scope="generation")
    def cancel(self, request, pk=None):
        job = job_service.cancel_job(self.get_object())
        return Response(self.get_serializer(job).data)

    @extend_schema(request=None, parameters=[QUOTA_RETRY_AFTER], responses={
        202: GenerationJobSerializer,
        409: OpenApiResponse(description="`job_not_retryable`: only failed or canceled jobs can be retried."),
        429: quota_response("`retries_per_job`")}, tags=["generation"])
    @action(detail=True, methods=["post"], throttle_scope="generation")
    def retry(self, request, pk=None):
        """A failed or canceled job runs again, charged like a new submission; each retry counts
        toward your plan's `retries_per_job`."""
        job = job_service.retry_job(self.get_object())
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)


class GeneratedVideoFilter(CampaignAndCreatedFilter):
    class Meta:
        model = GeneratedVideo
        fields = ["campaign"]


@extend_schema_view(destroy=extend_schema(responses={204: None, 503: OpenApiResponse(
    description="`storage_unavailable`: the files could not be deleted, so the video was kept.")}))
class GeneratedVideoViewSet(ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                            OwnerScopedViewSet):
    """Finished reels with fresh presigned URLs on every read; DELETE removes the stored files too."""

    serializer_class = GeneratedVideoSerializer
    compiled_reads = True  # the default page and a video are compiled once (reelmate.compiled_queries)
    filterset_class = GeneratedVideoFilter
    ordering_fields = ["created_at", "duration_seconds", "title"]
    ordering = ["-created_at"]
    search_fields = ["title"]

    def get_base_queryset(self):
        return videos_with_relations()

    def perform_destroy(self, instance):
        job_service.delete_video(instance)
