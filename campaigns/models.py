from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from reelmate.models import AspectRatio, TimeStampedModel, hex_color


class Objective(models.TextChoices):
    AWARENESS = "awareness"
    TRAFFIC = "traffic"
    ENGAGEMENT = "engagement"
    CONVERSIONS = "conversions"
    APP_INSTALLS = "app_installs"


class Platform(models.TextChoices):
    INSTAGRAM_REELS = "instagram_reels"
    TIKTOK = "tiktok"
    YOUTUBE_SHORTS = "youtube_shorts"
    FACEBOOK = "facebook"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ARCHIVED = "archived"


# Which status may follow which. Archived campaigns can only be restored to draft.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    CampaignStatus.DRAFT: {CampaignStatus.ACTIVE, CampaignStatus.ARCHIVED},
    CampaignStatus.ACTIVE: {CampaignStatus.PAUSED, CampaignStatus.COMPLETED, CampaignStatus.ARCHIVED},
    CampaignStatus.PAUSED: {CampaignStatus.ACTIVE, CampaignStatus.COMPLETED, CampaignStatus.ARCHIVED},
    CampaignStatus.COMPLETED: {CampaignStatus.ARCHIVED},
    CampaignStatus.ARCHIVED: {CampaignStatus.DRAFT},
}


class Campaign(TimeStampedModel):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    objective = models.CharField(max_length=20, choices=Objective.choices, default=Objective.AWARENESS)
    platforms = models.JSONField(default=list, blank=True)  # a list of Platform values
    target_audience = models.TextField(blank=True, max_length=2000)
    call_to_action = models.CharField(max_length=120, blank=True)
    # The brief a script is written from (``ai_studio.services.script_writer``), with the fields above.
    brand_name = models.CharField(max_length=100, blank=True)
    product_name = models.CharField(max_length=120, blank=True)
    product_description = models.TextField(blank=True, max_length=2000,
                                           help_text="What the product is and does, in a few sentences.")
    key_benefit = models.CharField(max_length=200, blank=True,
                                   help_text="The one benefit a video should land, e.g. “dry feet on any trail”.")
    brand_voice = models.CharField(max_length=200, blank=True,
                                   help_text="How the brand sounds, e.g. “playful, confident, no jargon”.")
    call_to_action_url = models.URLField(blank=True)
    brand_primary_color = models.CharField(max_length=7, blank=True, validators=[hex_color])
    brand_secondary_color = models.CharField(max_length=7, blank=True, validators=[hex_color])
    brand_logo = models.FileField(upload_to="campaign-logos/", blank=True)
    aspect_ratio = models.CharField(max_length=5, choices=AspectRatio.choices, default=AspectRatio.PORTRAIT)
    budget = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                 validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="USD")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="campaign_owner_created"),
            models.Index(fields=["owner", "status", "-created_at"], name="campaign_owner_status"),
            models.Index(fields=["owner", "start_date"], name="campaign_owner_start"),
            # "Recently edited" ordering and the objective filter of the campaign list.
            models.Index(fields=["owner", "-updated_at"], name="campaign_owner_updated"),
            models.Index(fields=["owner", "objective", "-created_at"], name="campaign_owner_objective"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__isnull=True) | models.Q(start_date__isnull=True)
                                   | models.Q(end_date__gte=models.F("start_date")), name="campaign_end_after_start"),
            models.CheckConstraint(condition=models.Q(budget__isnull=True) | models.Q(budget__gte=0),
                                   name="campaign_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def can_transition_to(self, status: str) -> bool:
        return status == self.status or status in ALLOWED_TRANSITIONS[self.status]


# --- The media library: a campaign's own pictures and clips, for its reels ----------------------
class MediaKind(models.TextChoices):
    IMAGE = "image"
    VIDEO = "video"


def media_upload_to(media: CampaignMedia, filename: str) -> str:
    """Per user and campaign: ``users/<owner id>/campaigns/<campaign id>/media/<file name>``."""
    return f"users/{media.campaign.owner_id}/campaigns/{media.campaign_id}/media/{filename}"


class CampaignMedia(models.Model):
    """An image or a short clip uploaded to a campaign (checked by ``reelmate.media``); its owner is the campaign's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=5, choices=MediaKind.choices)
    name = models.CharField(max_length=255, blank=True, help_text="The file's name on the uploader's device; shown "
                                                                  "only, never used to store it.")
    file = models.FileField(upload_to=media_upload_to, max_length=300)
    thumbnail = models.FileField(upload_to=media_upload_to, max_length=300, blank=True)
    content_type = models.CharField(max_length=50, help_text="Of the content as sniffed, not as the client said.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    duration_seconds = models.FloatField(null=True, blank=True, help_text="Clips only.")
    size_bytes = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name, verbose_name_plural = "campaign media item", "campaign media"
        indexes = [
            models.Index(fields=["campaign", "-created_at"], name="media_campaign_created"),
            models.Index(fields=["campaign", "kind", "-created_at"], name="media_campaign_kind_created"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} {self.id}"
