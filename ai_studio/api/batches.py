"""Batch endpoints: queue many reels from one script and a row each, follow them, cancel, retry the
failed ones, and download what finished (``/batches``)."""
from __future__ import annotations

import django_filters
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ai_studio.api.generation import IDEMPOTENCY_HEADER, QUOTA_RETRY_AFTER, quota_response
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.selectors.batches import batch_jobs, batches_with_relations, progress_of
from ai_studio.selectors.queue import queue_status
from ai_studio.serializers.batches import (
    BatchCreateSerializer,
    GenerationBatchSerializer,
    RetryFailedSerializer,
    request_body,
)
from ai_studio.serializers.generation import GenerationJobSerializer
from ai_studio.services import batch_downloads
from ai_studio.services import batches as batch_service
from ai_studio.services import jobs as job_service
from reelmate.api.parsers import SafeJSONParser
from reelmate.api.viewsets import OwnerScopedViewSet
from reelmate.errors import Invalid

BATCH_EXAMPLES = [
    OpenApiExample("A script with variables, rows as JSON", request_only=True, value={
        "name": "Spring stores", "script": "Hi {{city}}! Rocket Shoes are in our {{store}} store from Monday.",
        "settings": {"avatar_id": 3, "voice_id": 5, "campaign_id": 12, "resolution": "1080p", "captions": True,
                     "title": "Rocket Shoes in {{city}}"},
        "rows": [{"city": "Leeds", "store": "Briggate"}, {"city": "York", "store": "Coney Street", "voice_id": 7}],
    }),
    OpenApiExample("Invalid rows", status_codes=["400"], response_only=True, value={"error": {
        "code": "validation_error", "message": "Some fields are invalid; see `fields`.",
        "fields": {"rows": {"17": {"voice_id": ["No active voice with this id."], "city": ["“city” is required."]}}}}}),
]


class BatchJobFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = VideoGenerationJob
        fields = ["status"]


class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OwnerScopedViewSet):
    """`/api/ai-studio/batches`: the user's batches, newest first, with counts and progress."""

    serializer_class = GenerationBatchSerializer
    parser_classes = [SafeJSONParser, MultiPartParser]
    throttle_scope = "generation"  # creating, canceling and retrying, as for single jobs
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    search_fields = ["name"]
    filterset_fields = ["status"]

    def get_base_queryset(self):
        return batches_with_relations()

    def get_serializer(self, *args, **kwargs):
        # Counts and progress of every batch being shown, in two queries (selectors.batches).
        instance = args[0] if args else kwargs.get("instance")
        if instance is not None and self.serializer_class is GenerationBatchSerializer:
            batches = list(instance) if isinstance(instance, (list, tuple)) else [instance]
            kwargs.setdefault("context", self.get_serializer_context())["progress"] = progress_of(batches)
        return super().get_serializer(*args, **kwargs)

    @extend_schema(request={"application/json": BatchCreateSerializer, "multipart/form-data": BatchCreateSerializer},
                   parameters=[IDEMPOTENCY_HEADER, QUOTA_RETRY_AFTER], examples=BATCH_EXAMPLES,
                   responses={202: GenerationBatchSerializer, 400: OpenApiResponse(description=(
                       "`validation_error`: nothing was queued; `fields.rows` holds each invalid row's errors by "
                       "column (rows by 0-based index).")),
                       409: OpenApiResponse(description="`idempotency_key_reused`."),
                       429: quota_response()}, tags=["batches"])
    def create(self, request):
        """Queue one reel per row, all or nothing, checked against your plan as a whole (the sum of the
        videos' estimated minutes, the number of jobs). Your jobs reach the workers a few at a time
        (your plan's `max_in_flight`), so others' reels are not stuck behind a large batch."""
        serializer = BatchCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key and len(key) > 255:
            raise Invalid("Idempotency-Key must be at most 255 characters.", code="invalid_idempotency_key")
        submission = batch_service.create_batch(
            owner=request.user, batch=serializer.new_batch(), idempotency_key=key,
            fingerprint=job_service.request_fingerprint(request_body(request)))
        body = self.get_serializer(submission.batch).data
        headers = {"Location": request.build_absolute_uri(f"/api/ai-studio/batches/{submission.batch.pk}"),
                   "Idempotent-Replayed": str(not submission.created).lower()}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(tags=["batches"])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(tags=["batches"])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, many=True, enum=JobStatus.values,
                                                description="Only jobs with these statuses.")],
                   responses={200: GenerationJobSerializer(many=True)}, tags=["batches"])
    @action(detail=True, methods=["get"], serializer_class=GenerationJobSerializer, filterset_fields=None,
            search_fields=None, ordering_fields=None, ordering=None)
    def jobs(self, request, pk=None):
        """The batch's jobs in row order (`batch_row`), paginated; filter by status."""
        jobs = BatchJobFilter(request.query_params, queryset=batch_jobs(self.get_object()))
        if not jobs.is_valid():
            raise Invalid(fields={key: list(value) for key, value in jobs.errors.items()})
        page = self.paginate_queryset(jobs.qs)
        return self.get_paginated_response(GenerationJobSerializer(page, many=True,
                                                                   context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: GenerationBatchSerializer, 409: OpenApiResponse(
        description="`batch_not_cancelable`: it finished or was canceled already.")}, tags=["batches"])
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel what has not finished: queued jobs at once, rendering ones at their next stage."""
        batch = batch_service.cancel_batch(self.get_object())
        return Response(self.get_serializer(batch).data)

    @extend_schema(request=None, parameters=[QUOTA_RETRY_AFTER], responses={
        202: RetryFailedSerializer,
        409: OpenApiResponse(description="`no_failed_jobs`: nothing to retry."),
        429: quota_response("`retries_per_job`")}, tags=["batches"])
    @action(detail=True, methods=["post"], url_path="retry-failed")
    def retry_failed(self, request, pk=None):
        """Queue the batch's failed jobs again, all or nothing, charged like new submissions."""
        batch = self.get_object()
        retried = batch_service.retry_failed(batch)
        batch = self.get_base_queryset().get(pk=batch.pk)
        return Response({"retried": retried, "batch": self.get_serializer(batch).data},
                        status=status.HTTP_202_ACCEPTED)

    @extend_schema(parameters=[OpenApiParameter(
        "manifest", OpenApiTypes.STR, enum=["only"], required=False,
        description="`only`: just the manifest, as CSV, with a presigned URL per finished video.")],
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description=(
            "A ZIP of every finished video (`<row>-<title>.mp4`, stored uncompressed) and `manifest.csv` (row, "
            "job_id, status, title, video_id, file, url, error): streamed as it is written.")),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="With `manifest=only`: the manifest.")},
        tags=["batches"])
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """Every finished video of the batch in one ZIP, streamed (start the download at any time: the
        videos finished by then are in it), or with `?manifest=only` the manifest alone."""
        batch = self.get_object()
        manifest = request.query_params.get("manifest")
        if manifest not in (None, "only"):
            raise Invalid(fields={"manifest": ["Use manifest=only, or leave it out for the ZIP."]})
        if manifest == "only":
            return self._manifest_response(batch)
        response = StreamingHttpResponse(batch_downloads.zip_stream(batch), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}.zip"'
        return response

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=(
        "The manifest: one line per row, with a presigned URL for each finished video."))}, tags=["batches"])
    @action(detail=True, methods=["get"])
    def manifest(self, request, pk=None):
        """The batch's manifest as CSV: row, job, status, title, video and its presigned URL."""
        return self._manifest_response(self.get_object())

    @staticmethod
    def _manifest_response(batch):
        response = StreamingHttpResponse(batch_downloads.manifest_csv(batch), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-manifest.csv"'
        return response


class QueueStatusSerializer(serializers.Serializer):
    held = serializers.IntegerField(help_text="Queued jobs waiting for one of their owner's slots (max_in_flight).")
    released_waiting = serializers.IntegerField(help_text="Queued jobs sent to the render queue, not started yet.")
    processing = serializers.IntegerField(help_text="Jobs rendering now.")
    users_waiting = serializers.IntegerField(help_text="Users with held jobs.")
    render_queue_depth = serializers.IntegerField(allow_null=True, help_text=(
        "Messages on the broker's render queue (null: filesystem broker, or Redis unreachable)."))


class QueueStatusView(APIView):
    """`GET /api/ai-studio/queue-status` (staff): the autoscaling signals of the render workers."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses={200: QueueStatusSerializer}, tags=["batches"])
    def get(self, request):
        """Where the unfinished jobs are: held for a slot, released and waiting for a worker, rendering;
        and the broker's render queue depth. Scale workers on `released_waiting` (work a worker could
        start now); `held` is work waiting for its owners' turn, which more workers do not speed up
        beyond the sum of the waiting users' shares."""
        return Response(queue_status())
