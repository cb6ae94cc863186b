"""Shapes of the analytics API: event batches in, share links and reports out."""
from __future__ import annotations

from datetime import date, timedelta

from drf_spectacular.utils import extend_schema_field
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


class CampaignVariantGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="group.pk")
    name = serializers.CharField(source="group.name")
    created_at = serializers.DateTimeField(source="group.created_at")
    variants = serializers.IntegerField()
    views = serializers.IntegerField()
    cta_clicks = serializers.IntegerField()
    status = serializers.CharField(help_text="leader, no_clear_leader or insufficient_data (see the group's report).")
    leader = serializers.CharField(allow_null=True, help_text="The leading variant's label, if there is one.")


class CampaignReportSerializer(serializers.Serializer):
    campaign = CampaignSummarySerializer()
    period = PeriodSerializer()
    totals = AudienceMetricsSerializer()
    daily = DailyAudienceMetricsSerializer(many=True)
    top_videos = TopVideoSerializer(many=True)
    variant_groups = CampaignVariantGroupSerializer(many=True, help_text=(
        "The campaign's latest variant groups (A/B tests), each over its whole life whatever the period."))


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


# --- Variant groups (A/B results) -------------------------------------------------------------
class VariantGroupSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    campaign_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class VariantResultSerializer(AudienceMetricsSerializer):
    """One variant: its audience over all time (zeros until its video exists) and its posterior."""

    id = serializers.IntegerField(source="variant.pk")
    label = serializers.CharField(source="variant.label")
    position = serializers.IntegerField(source="variant.position")
    job_id = serializers.UUIDField(source="job.pk", allow_null=True, default=None)
    job_status = serializers.CharField(source="job.status", allow_null=True, default=None)
    video_id = serializers.UUIDField(source="video.pk", allow_null=True, default=None)
    share_url = serializers.SerializerMethodField(help_text="The variant's public link; null until its video is "
                                                            "done, or after its owner revoked it.")
    cta_rate_posterior_mean = serializers.FloatField(source="posterior.posterior_mean",
                                                     help_text="Of Beta(1 + clicks, 1 + views - clicks).")
    cta_rate_credible_interval = serializers.ListField(
        source="posterior.credible_interval", child=serializers.FloatField(), min_length=2, max_length=2,
        help_text="The central 95% of the posterior of the CTA click-through rate (a fraction, not a percent).")
    probability_best = serializers.FloatField(source="posterior.probability_best",
                                              help_text="Posterior probability that its CTA rate is the highest.")

    def get_share_url(self, row) -> str | None:
        return public_url(f"/v/{row['share_token']}") if row["share_token"] else None


class VariantRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class MissingViewsSerializer(serializers.Serializer):
    variant = VariantRefSerializer()
    views = serializers.IntegerField()
    views_needed = serializers.IntegerField(help_text="More views before it counts.")


class ZTestSerializer(serializers.Serializer):
    leader = VariantRefSerializer(help_text="The variant most likely to be best.")
    runner_up = VariantRefSerializer(help_text="The other variant with the highest observed rate.")
    difference = serializers.FloatField(help_text="Leader's CTA rate minus the runner-up's (fractions).")
    z = serializers.FloatField(allow_null=True, help_text="Null when neither has any variance (0 or 100%).")
    p_value = serializers.FloatField(allow_null=True, help_text="Two-sided, pooled two-proportion z-test.")


class ComparisonSerializer(serializers.Serializer):
    metric = serializers.CharField(default="cta_click_through_rate")
    method = serializers.CharField()
    status = serializers.ChoiceField(choices=[("leader", "leader"), ("no_clear_leader", "no_clear_leader"),
                                              ("insufficient_data", "insufficient_data")])
    leader = VariantRefSerializer(allow_null=True, help_text="Null unless the data is enough to name one.")
    reason = serializers.CharField()
    min_views_per_variant = serializers.IntegerField(source="min_views")
    probability_threshold = serializers.FloatField(source="threshold")
    alpha = serializers.FloatField(help_text="The z-test's p-value must be below it.")
    missing = MissingViewsSerializer(many=True, help_text="Variants with too few views (insufficient_data).")
    test = ZTestSerializer()


class VariantGroupReportSerializer(serializers.Serializer):
    group = VariantGroupSummarySerializer()
    variants = VariantResultSerializer(many=True)
    comparison = serializers.SerializerMethodField()

    @extend_schema_field(ComparisonSerializer)
    def get_comparison(self, report) -> dict:
        comparison, labels = report["comparison"], report["labels"]

        def ref(key):
            return None if key is None else {"id": key, "label": labels[key]}

        test = comparison.test
        return ComparisonSerializer({
            "method": comparison.method, "status": comparison.status, "leader": ref(comparison.leader),
            "reason": comparison.reason, "min_views": comparison.min_views, "threshold": comparison.threshold,
            "alpha": comparison.alpha,
            "missing": [{"variant": ref(missing.key), "views": missing.views, "views_needed": missing.views_needed}
                        for missing in comparison.missing],
            "test": {"leader": ref(test.leader), "runner_up": ref(test.runner_up), "difference": test.difference,
                     "z": test.z, "p_value": test.p_value},
        }).data

