"""Campaign and media-library request and response shapes (validation of the shape only; rules live in services)."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reelmate.api.fields import HexColorField, ImageUploadField, MediaUploadField
from reelmate.media import MAX_CLIP_SECONDS, VIDEO_CODECS
from reelmate.models import AspectRatio
from reelmate.storage import presigned_url

from . import selectors, services
from .models import Campaign, CampaignMedia, CampaignStatus, Objective, Platform

MAX_TAGS = 20
MAX_TAG_LENGTH = 40


class CampaignInputSerializer(serializers.Serializer):
    """What a client sends to create (POST) or change (PUT/PATCH) a campaign.

    JSON or multipart (multipart to upload ``brand_logo``; repeat ``platforms``/``tags`` keys for
    lists). ``brand_logo: null`` removes the logo.
    """

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    objective = serializers.ChoiceField(choices=Objective.choices, required=False)
    platforms = serializers.ListField(child=serializers.ChoiceField(choices=Platform.choices), required=False,
                                      max_length=len(Platform.choices))
    target_audience = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    call_to_action = serializers.CharField(max_length=120, required=False, allow_blank=True)
    brand_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    product_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    product_description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    key_benefit = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        help_text="The one benefit a video should land.")
    brand_voice = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        help_text="How the brand sounds, e.g. “playful, confident, no jargon”.")
    call_to_action_url = serializers.URLField(max_length=200, required=False, allow_blank=True)
    brand_primary_color = HexColorField(required=False, allow_blank=True)
    brand_secondary_color = HexColorField(required=False, allow_blank=True)
    brand_logo = ImageUploadField(required=False, allow_null=True,
                                  help_text="PNG, JPEG or WebP; multipart upload. null removes the logo.")
    aspect_ratio = serializers.ChoiceField(choices=AspectRatio.choices, required=False)
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False,
                                      error_messages={"invalid": "Use a three-letter ISO 4217 code, e.g. USD."})
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=MAX_TAG_LENGTH), required=False,
                                 max_length=MAX_TAGS, help_text="Stored lower-cased, without duplicates.")
    status = serializers.ChoiceField(
        choices=CampaignStatus.choices, required=False,
        help_text="A new campaign is always a draft. Changes must follow the allowed transitions (else 409).",
    )

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value.strip()

    def validate_platforms(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def validate_tags(self, value: list[str]) -> list[str]:
        tags = [" ".join(tag.split()).lower() for tag in value]
        return list(dict.fromkeys(tag for tag in tags if tag))

    def validate_currency(self, value: str) -> str:
        return value.upper()

    def validate_brand_primary_color(self, value: str) -> str:
        return value.upper()

    def validate_brand_secondary_color(self, value: str) -> str:
        return value.upper()

    def validate_status(self, value: str) -> str:
        if self.instance is None and value != CampaignStatus.DRAFT:
            raise serializers.ValidationError("A new campaign always starts as a draft; change its status afterwards.")
        return value

    def validate(self, attrs: dict) -> dict:
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": ["The end date cannot be before the start date."]})
        return attrs


class JobCountsSerializer(serializers.Serializer):
    """One count per ``ai_studio.models.JobStatus`` value, plus the total."""

    total = serializers.IntegerField()
    queued = serializers.IntegerField()
    processing = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    canceled = serializers.IntegerField()


class CampaignStatsSerializer(serializers.Serializer):
    videos = serializers.IntegerField()
    jobs = JobCountsSerializer()


class CampaignOutputSerializer(serializers.ModelSerializer):
    brand_logo_url = serializers.SerializerMethodField(help_text="Presigned, time-limited; null without a logo.")
    allowed_next_statuses = serializers.SerializerMethodField()
    stats = serializers.SerializerMethodField(help_text="The campaign's generated videos, and its jobs by status.")
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True, coerce_to_string=True)
    platforms = serializers.ListField(child=serializers.ChoiceField(choices=Platform.choices))
    tags = serializers.ListField(child=serializers.CharField())
    call_to_action_url = serializers.URLField(allow_blank=True, read_only=True)

    class Meta:
        model = Campaign
        fields = (
            "id", "name", "description", "objective", "platforms", "target_audience", "call_to_action",
            "call_to_action_url", "brand_name", "product_name", "product_description", "key_benefit", "brand_voice",
            "brand_primary_color", "brand_secondary_color", "brand_logo_url",
            "aspect_ratio", "budget", "currency", "start_date", "end_date", "tags", "status",
            "allowed_next_statuses", "stats", "created_at", "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_brand_logo_url(self, campaign: Campaign) -> str | None:
        return presigned_url(campaign.brand_logo.name) if campaign.brand_logo else None

    # Plain strings in the schema: a second enum of the same statuses would be a duplicate there.
    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_next_statuses(self, campaign: Campaign) -> list[str]:
        return services.allowed_next_statuses(campaign)

    @extend_schema_field(CampaignStatsSerializer)
    def get_stats(self, campaign: Campaign) -> dict:
        return selectors.campaign_stats(campaign)


# --- media libraries --------------------------------------------------------------------------
class MediaUploadSerializer(serializers.Serializer):
    """What a client sends to add to a campaign's media library: one file, multipart."""

    file = MediaUploadField(help_text=(
        "An image (PNG, JPEG or WebP, as for portraits) or a video clip (MP4 or MOV; "
        f"{', '.join(VIDEO_CODECS.values())}; at most {MAX_CLIP_SECONDS} s). The type is read from the content, "
        "not the file name."
    ))


class CampaignMediaSerializer(serializers.ModelSerializer):
    campaign_id = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The file; presigned, time-limited.")
    thumbnail_url = serializers.SerializerMethodField(
        help_text="A JPEG of at most 256 px (a clip's first frame); presigned, time-limited.")

    class Meta:
        model = CampaignMedia
        fields = ("id", "campaign_id", "kind", "name", "content_type", "width", "height", "duration_seconds",
                  "size_bytes", "url", "thumbnail_url", "created_at")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, media: CampaignMedia) -> str:
        return presigned_url(media.file.name)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, media: CampaignMedia) -> str | None:
        return presigned_url(media.thumbnail.name) if media.thumbnail else None
