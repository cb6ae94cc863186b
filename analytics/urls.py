"""`/api/analytics/...`: event ingest and reports (share links live under /api/ai-studio/)."""
from django.urls import re_path

from .api import events, reports

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

urlpatterns = [
    re_path(r"^events/?$", events.EventIngestView.as_view(), name="analytics-events"),
    re_path(rf"^videos/(?P<pk>{UUID})/?$", reports.VideoReportViewSet.as_view({"get": "retrieve"}),
            name="analytics-video-report"),
    re_path(r"^campaigns/(?P<pk>\d+)/?$", reports.CampaignReportViewSet.as_view({"get": "retrieve"}),
            name="analytics-campaign-report"),
    re_path(r"^variant-groups/(?P<pk>\d+)/?$", reports.VariantGroupReportViewSet.as_view({"get": "retrieve"}),
            name="analytics-variant-group-report"),
    re_path(r"^overview/?$", reports.OverviewViewSet.as_view({"get": "summary"}), name="analytics-overview"),
]
