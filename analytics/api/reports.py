"""Audience reports and generation metrics over the caller's own videos and campaigns."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ai_studio.models import GeneratedVideo, VideoGenerationJob
from analytics import selectors
from campaigns.models import Campaign
from reelmate.api.viewsets import OwnerScopedViewSet

from .serializers import (
    CampaignReportSerializer,
    OverviewSerializer,
    PeriodSerializer,
    VideoReportSerializer,
)


def _period(request) -> selectors.Period:
    serializer = PeriodSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class VideoReportViewSet(OwnerScopedViewSet):
    filter_backends: list = []  # one report object: no paging, searching or ordering
    def get_base_queryset(self):
        return GeneratedVideo.objects.all()

    @extend_schema(parameters=[PeriodSerializer], responses=VideoReportSerializer,
                   summary="A video's audience: totals and a daily series", tags=["analytics"])
    def retrieve(self, request, pk):
        report = selectors.video_report(video=self.get_object(), period=_period(request))
        return Response(VideoReportSerializer(report).data)


class CampaignReportViewSet(OwnerScopedViewSet):
    filter_backends: list = []  # one report object: no paging, searching or ordering
    def get_base_queryset(self):
        return Campaign.objects.all()

    @extend_schema(parameters=[PeriodSerializer], responses=CampaignReportSerializer,
                   summary="A campaign's audience over its videos, with the top videos", tags=["analytics"])
    def retrieve(self, request, pk):
        report = selectors.campaign_report(campaign=self.get_object(), period=_period(request))
        return Response(CampaignReportSerializer(report).data)


class OverviewViewSet(OwnerScopedViewSet):
    filter_backends: list = []  # one summary object: no paging, searching or ordering
    pagination_class = None

    def get_base_queryset(self):
        return VideoGenerationJob.objects.all()

    @extend_schema(responses=OverviewSerializer, summary="The caller's totals: output, generation and audience",
                   tags=["analytics"])
    def summary(self, request):
        return Response(OverviewSerializer(selectors.owner_overview(owner=request.user)).data)
