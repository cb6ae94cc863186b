"""The shape of a user's usage of their plan (GET /api/usage)."""
from __future__ import annotations

from rest_framework import serializers


class PlanSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.SlugField()
    max_in_flight = serializers.IntegerField(help_text=(
        "Your share of the render workers: at most this many of your jobs are rendering or waiting for a worker "
        "at a time; the others wait their turn (a large batch does not hold every worker)."))


class AmountField(serializers.FloatField):
    """A number as it is: counts of jobs stay integers, minutes keep their decimals."""

    def to_representation(self, value):
        return value


class LimitUsageSerializer(serializers.Serializer):
    limit = serializers.IntegerField(allow_null=True, help_text="null: unlimited.")
    used = AmountField(allow_null=True, help_text="null for a limit on each request or job.")
    remaining = AmountField(allow_null=True, help_text="null when unlimited or nothing is used up.")
    resets_at = serializers.DateTimeField(allow_null=True, help_text="When `used` starts again from 0 (UTC "
                                                                     "midnight, the 1st of next month); null "
                                                                     "when not periodic.")
    unit = serializers.ChoiceField(["jobs", "minutes", "characters", "retries"])


class LimitsSerializer(serializers.Serializer):
    concurrent_jobs = LimitUsageSerializer(help_text="Jobs queued or processing at the same time (a batch counts "
                                                     "as one).")
    jobs_per_day = LimitUsageSerializer(help_text="Runs (submissions and retries) per UTC day; failed and "
                                                  "canceled ones are given back.")
    video_minutes_per_month = LimitUsageSerializer(
        help_text="Minutes of video per UTC calendar month: a run is charged an estimate when submitted, its "
                  "real length once completed, nothing if it fails or is canceled.")
    script_characters = LimitUsageSerializer(help_text="The longest script a job may have.")
    retries_per_job = LimitUsageSerializer(help_text="How many times one job may be retried.")


class UsageSerializer(serializers.Serializer):
    plan = PlanSummarySerializer()
    limits = LimitsSerializer()
