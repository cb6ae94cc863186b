"""Shapes of the analytics API: event batches in, share links and reports out."""
from __future__ import annotations

from datetime import date, timedelta

from rest_framework import serializers

from analytics.models import EventType, ShareLink
from analytics.selectors import Period
from reelmate.public_urls import public_url

MAX_EVENTS_PER_REQUEST = 100
MAX_REPORT_DAYS = 366


# --- Sharing ----------------------------------------------------------------------------------
class ShareLinkSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ShareLink
        fields = ["token", "url", "created_at"]

    def get_url(self, link: ShareLink) -> str:
        return public_url(f"/v/{link.token}")


# --- Events -----------------------------------------------------------------------------------
class PlayerEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=EventType.choices)
    share_token = serializers.CharField(required=False, max_length=64,
                                        help_text="The share link's token (anonymous viewers).")
    video_id = serializers.UUIDField(required=False, help_text="The video's id (its owner, signed in).")
    viewer_id = serializers.CharField(max_length=128, help_text="A stable id of this viewer or session.")
    position = serializers.FloatField(required=False, min_value=0, max_value=24 * 3600,
                                      help_text="Seconds into the video; required for `progress`.")

    def validate(self, attrs):
        if bool(attrs.get("share_token")) == bool(attrs.get("video_id")):
            raise serializers.ValidationError("Give exactly one of share_token and video_id.")
        if attrs["type"] == EventType.PROGRESS and attrs.get("position") is None:
            raise serializers.ValidationError({"position": ["A progress event needs the position in seconds."]})
        return attrs


class EventBatchSerializer(serializers.Serializer):
    events = PlayerEventSerializer(many=True, allow_empty=False, max_length=MAX_EVENTS_PER_REQUEST)


class EventsAcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()


# --- Reports ----------------------------------------------------------------------------------
class ReportDateField(serializers.DateField):
    """A report day; bounded so that reaching back a year from it stays inside the calendar."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not date(2000, 1, 1) <= day <= date(9000, 12, 31):
            raise serializers.ValidationError("Give a date between 2000-01-01 and 9000-12-31.")
        return day


class PeriodSerializer(serializers.Serializer):
    """`from` and `to`, inclusive UTC dates; as a query, both optional (default: the last 30 days)."""

    def get_fields(self):
        # `from` is a Python keyword, so the fields cannot be declared as class attributes.
        return {"from": ReportDateField(required=False, source="start"),
                "to": ReportDateField(required=False, source="end")}

    def validate(self, attrs):
        default = Period.ending_today()
        end = attrs.get("end") or default.end
        start = attrs.get("start") or end - (default.end - default.start)
        if start > end:
            raise serializers.ValidationError({"from": ["`from` must not be after `to`."]})
        if end - start >= timedelta(days=MAX_REPORT_DAYS):
            raise serializers.ValidationError({"from": [f"A report covers at most {MAX_REPORT_DAYS} days."]})
        return Period(start=start, end=end)


class AudienceMetricsSerializer(serializers.Serializer):
    views = serializers.IntegerField()
    unique_viewers = serializers.IntegerField()
    plays = serializers.IntegerField()
    watch_seconds = serializers.FloatField()
    average_percent_watched = serializers.FloatField()
    completes = serializers.IntegerField()
    completion_rate_percent = serializers.FloatField()
    cta_clicks = serializers.IntegerField()
    click_through_rate_percent = serializers.FloatField()
    shares = serializers.IntegerField()
    downloads = serializers.IntegerField()


class DailyAudienceMetricsSerializer(AudienceMetricsSerializer):
    date = serializers.DateField()


class VideoSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()


class VideoReportSerializer(serializers.Serializer):
    video = VideoSummarySerializer()
    period = PeriodSerializer()
    totals = AudienceMetricsSerializer()
    daily = DailyAudienceMetricsSerializer(many=True)


class CampaignSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TopVideoSerializer(AudienceMetricsSerializer):
    video = VideoSummarySerializer()


class CampaignReportSerializer(serializers.Serializer):
    campaign = CampaignSummarySerializer()
    period = PeriodSerializer()
    totals = AudienceMetricsSerializer()
    daily = DailyAudienceMetricsSerializer(many=True)
    top_videos = TopVideoSerializer(many=True)


class FailureReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    count = serializers.IntegerField()


class GenerationMetricsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Jobs ever submitted.")
    by_status = serializers.DictField(child=serializers.IntegerField())
    success_rate_percent = serializers.FloatField(
        allow_null=True, help_text="Completed / (completed + failed) x 100; null before any job finished.")
    median_seconds = serializers.FloatField(allow_null=True, help_text="Median total generation time.")
    p95_seconds = serializers.FloatField(allow_null=True, help_text="95th percentile of total generation time.")
    stage_median_seconds = serializers.DictField(child=serializers.FloatField())
    speech_providers = serializers.DictField(child=serializers.IntegerField(),
                                             help_text="Completed jobs per speech provider.")
    failure_reasons = FailureReasonSerializer(many=True)


class OverviewSerializer(serializers.Serializer):
    videos_generated = serializers.IntegerField()
    minutes_of_video = serializers.FloatField()
    generation = GenerationMetricsSerializer()
    audience = AudienceMetricsSerializer()
