"""Campaign endpoints: thin views over ``campaigns.services`` and ``campaigns.selectors``."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from reelmate.api.viewsets import OwnerScopedViewSet

from . import selectors, services
from .filters import CampaignFilter
from .models import Campaign
from .serializers import CampaignInputSerializer, CampaignOutputSerializer

DELETE_DESCRIPTION = """Delete a campaign.

A campaign with generation history (any job or video) must be **archived** first; otherwise
the answer is 409 `campaign_not_archived`. Deleting an archived campaign (or one that never had
a job or a video) keeps all its videos and jobs in the user's library: they simply no longer
belong to a campaign (`campaign` becomes null). Nothing is deleted with it but the campaign and
its brand logo."""


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
                          responses={204: None, 409: OpenApiResponse(description="`campaign_not_archived`")}),
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
