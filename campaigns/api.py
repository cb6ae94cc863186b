"""Campaign endpoints, and each campaign's media library: thin views over ``campaigns.services`` and
``campaigns.selectors``."""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from reelmate.api.viewsets import OwnerScopedViewSet
from reelmate.media import MAX_CLIP_SECONDS, VIDEO_CODECS

from . import selectors, services
from .filters import CampaignFilter, CampaignMediaFilter
from .models import Campaign, CampaignMedia
from .serializers import (
    CampaignInputSerializer,
    CampaignMediaSerializer,
    CampaignOutputSerializer,
    MediaUploadSerializer,
)

DELETE_DESCRIPTION = """Delete a campaign.

A campaign with generation history (any job or video) must be **archived** first; otherwise
the answer is 409 `campaign_not_archived`. Deleting an archived campaign (or one that never had
a job or a video) keeps all its videos and jobs in the user's library: they simply no longer
belong to a campaign (`campaign` becomes null). Nothing is deleted with it but the campaign, its
brand logo and its media library; while a queued or processing job still needs that media, the
answer is 409 `media_in_use`."""


@extend_schema_view(
    list=extend_schema(summary="List your campaigns",
                       description="Filter by status, platform, objective, tag and date ranges; search name and "
                                   "description with `search`; order with `ordering` (e.g. `-start_date`)."),
    retrieve=extend_schema(summary="A campaign"),
    create=extend_schema(summary="Create a campaign", request=CampaignInputSerializer,
                         responses={201: CampaignOutputSerializer}),
    update=extend_schema(summary="Replace a campaign", request=CampaignInputSerializer,
                         responses={200: CampaignOutputSerializer,
                                    409: OpenApiResponse(description="`invalid_status_transition` or "
                                                                     "`campaign_archived`")}),
    partial_update=extend_schema(summary="Change a campaign", request=CampaignInputSerializer,
                                 responses={200: CampaignOutputSerializer,
                                            409: OpenApiResponse(description="`invalid_status_transition` or "
                                                                             "`campaign_archived`")}),
    destroy=extend_schema(summary="Delete a campaign", description=DELETE_DESCRIPTION,
                          responses={204: None, 409: OpenApiResponse(description="`campaign_not_archived` or "
                                                                                 "`media_in_use`")}),
)
class CampaignViewSet(OwnerScopedViewSet):
    """The requesting user's campaigns. Responses carry video and job counts (`stats`).

    Status follows `campaigns.models.ALLOWED_TRANSITIONS` (409 `invalid_status_transition`
    otherwise); new campaigns are drafts. Delete: see `destroy` (archive first; videos and jobs
    are kept, detached from the campaign).
    """

    serializer_class = CampaignOutputSerializer
    filterset_class = CampaignFilter
    search_fields = ["name", "description"]
    ordering_fields = ["created_at", "updated_at", "name", "start_date", "end_date", "budget", "status"]
    ordering = ["-created_at"]

    def get_base_queryset(self):
        return selectors.with_stats(Campaign.objects.all())

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CampaignOutputSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(CampaignOutputSerializer(self.get_object()).data)

    def create(self, request):
        serializer = CampaignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("status", None)  # validated to be "draft", which every new campaign is
        campaign = services.create_campaign(owner=request.user, **data)
        return Response(self._fresh(campaign), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        return self._update(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def destroy(self, request, pk=None):
        services.delete_campaign(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request, *, partial: bool) -> Response:
        campaign = self.get_object()
        serializer = CampaignInputSerializer(campaign, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        campaign = services.update_campaign(campaign, **serializer.validated_data)
        return Response(self._fresh(campaign))

    def _fresh(self, campaign: Campaign) -> dict:
        """The campaign as the API shows it, stats included, read back after a write."""
        return CampaignOutputSerializer(self.get_queryset().get(pk=campaign.pk)).data


# --- media libraries --------------------------------------------------------------------------
UPLOAD_DESCRIPTION = f"""Add an image or a video clip to the campaign's media library (multipart, one `file`).

What the file is comes from its content, never its name: images are PNG, JPEG or WebP with the
limits portraits have (`MAX_IMAGE_UPLOAD_BYTES`, `MAX_IMAGE_PIXELS`); clips are MP4 or MOV
({", ".join(VIDEO_CODECS.values())}), at most {MAX_CLIP_SECONDS} s and 4096 px on either side, at most
`MAX_VIDEO_UPLOAD_BYTES`. A file that breaks a rule is a 400 naming `file` (nothing is stored); one
over its size limit is a 413 `file_too_large` (or `payload_too_large` for the whole body); a body
that is not `multipart/form-data` is a 415; an archived campaign is a 409 `campaign_archived`."""

MEDIA_EXAMPLE = OpenApiExample("A clip", response_only=True, value={
    "id": "5b0f2a3e-8c1d-4e59-9a57-0d6f8d7c2b11", "campaign_id": 12, "kind": "video", "name": "unboxing.mov",
    "content_type": "video/quicktime", "width": 1080, "height": 1920, "duration_seconds": 14.5,
    "size_bytes": 18234112, "url": "https://storage.example.com/reelmate-storage/users/7/campaigns/12/media/"
    "5b0f2a3e8c1d4e599a570d6f8d7c2b11.mov?X-Amz-Signature=...",
    "thumbnail_url": "https://storage.example.com/reelmate-storage/users/7/campaigns/12/media/"
    "5b0f2a3e8c1d4e599a570d6f8d7c2b11-thumbnail.jpg?X-Amz-Signature=...",
    "created_at": "2026-03-02T10:15:00Z",
})
CAMPAIGN_PATH_PARAMETER = OpenApiParameter("campaign_pk", OpenApiTypes.INT, OpenApiParameter.PATH,
                                           description="The campaign's id.")


@extend_schema_view(
    list=extend_schema(summary="List a campaign's media", description="Newest first; `kind=image` or `kind=video`."),
    retrieve=extend_schema(summary="A media item"),
    create=extend_schema(summary="Upload to a campaign's media library", description=UPLOAD_DESCRIPTION,
                         request={"multipart/form-data": MediaUploadSerializer},
                         responses={201: CampaignMediaSerializer,
                                    409: OpenApiResponse(description="`campaign_archived`"),
                                    413: OpenApiResponse(description="`file_too_large` or `payload_too_large`"),
                                    415: OpenApiResponse(description="Not a multipart/form-data body")},
                         examples=[MEDIA_EXAMPLE]),
    destroy=extend_schema(summary="Delete a media item",
                          description="Removes the item and its files. Reels already made keep their own video; a "
                                      "queued or processing job that uses it makes this a 409 `media_in_use`.",
                          responses={204: None, 409: OpenApiResponse(description="`media_in_use`")}),
)
@extend_schema(parameters=[CAMPAIGN_PATH_PARAMETER], tags=["campaigns"])
class CampaignMediaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OwnerScopedViewSet):
    """`/api/campaigns/:id/media`: the pictures and clips a campaign's reels can show. Another user's
    campaign or media is 404."""

    owner_field = "campaign__owner"
    serializer_class = CampaignMediaSerializer
    filterset_class = CampaignMediaFilter
    parser_classes = [MultiPartParser]
    ordering_fields = ["created_at", "size_bytes", "duration_seconds"]
    ordering = ["-created_at"]
    search_fields = ["name"]
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    @classmethod
    def request_body_limit(cls) -> int:
        """Bodies up to the largest clip (``RequestBodyLimitMiddleware`` asks)."""
        return max(settings.MAX_REQUEST_BYTES, settings.MAX_VIDEO_UPLOAD_BYTES + settings.MULTIPART_ALLOWANCE_BYTES)

    def get_base_queryset(self):
        return CampaignMedia.objects.filter(campaign_id=self.kwargs.get("campaign_pk"))

    def list(self, request, *args, **kwargs):
        self._campaign()  # another user's campaign is a 404, not an empty list
        return super().list(request, *args, **kwargs)

    def create(self, request, campaign_pk=None):
        campaign = self._campaign()
        serializer = MediaUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        media = services.add_media(campaign, serializer.validated_data["file"])
        return Response(CampaignMediaSerializer(media).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, campaign_pk=None, pk=None):
        services.delete_media(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _campaign(self) -> Campaign:
        campaign = selectors.get_campaign_for(self.request.user, self.kwargs["campaign_pk"])
        if campaign is None:
            raise NotFound()
        return campaign
