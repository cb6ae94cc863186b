"""Audience reports and generation metrics over the caller's own videos and campaigns."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ai_studio.models import GeneratedVideo, VideoGenerationJob
from ai_studio.selectors.variant_groups import groups_with_variants
from analytics import selectors, services
from analytics.ab_testing import MIN_VIEWS_PER_VARIANT, PROBABILITY_TO_LEAD
from campaigns.models import Campaign
from reelmate.api.viewsets import OwnerScopedViewSet

from .serializers import (
    CampaignReportSerializer,
    OverviewSerializer,
    PeriodSerializer,
    VariantGroupReportSerializer,
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


class VariantGroupReportViewSet(OwnerScopedViewSet):
    filter_backends: list = []  # one report object: no paging, searching or ordering

    def get_base_queryset(self):
        return groups_with_variants()

    @extend_schema(
        responses=VariantGroupReportSerializer, tags=["analytics", "variant groups"],
        summary="A/B results of a variant group: each variant's audience and share link, and which leads",
        description=(
            "Per variant, over the group's whole life: views, unique viewers, average percent watched, completion "
            "rate, CTA click-through (definitions as in the video report) and its public share link (made when "
            "its video completes; a completed variant that never had one gets it here). `comparison` says whether "
            "the data names a leader on CTA click-through rate and shows its figures: Beta(1,1) posteriors with "
            "each variant's exact probability to be best, and a two-proportion z-test of the leader against the "
            f"runner-up. A leader needs at least {MIN_VIEWS_PER_VARIANT} views on every variant, a probability "
            f"to be best of at least {PROBABILITY_TO_LEAD:g} and p < 0.05; otherwise `status` is "
            "`insufficient_data` (with the views `missing`) or `no_clear_leader`, and `reason` says why."),
    )
    def retrieve(self, request, pk):
        group = self.get_object()
        if services.share_unshared_variants(group=group):
            group = self.get_queryset().get(pk=group.pk)
        return Response(VariantGroupReportSerializer(selectors.variant_group_report(group=group)).data)
