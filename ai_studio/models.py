"""AI Studio: the catalog staff curate (avatars, voices, music, templates) and the generation records."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from reelmate.models import AspectRatio, TimeStampedModel, hex_color


class Gender(models.TextChoices):
    FEMALE = "female"
    MALE = "male"
    NEUTRAL = "neutral"


# --- Catalog ----------------------------------------------------------------------------------
class CatalogItem(TimeStampedModel):
    """What staff curate for users to pick: named, switched on or off, optionally premium, in their order."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, default=Gender.NEUTRAL)
    is_active = models.BooleanField(default=True)
    is_premium = models.BooleanField(default=False)
    sort_order = models.PositiveIntegerField(default=100)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]


class VoiceProvider(models.TextChoices):
    OPENAI = "openai", "OpenAI TTS"
    LOCAL = "local", "Local (offline)"


class AIVoice(CatalogItem):
    description = models.CharField(max_length=300, blank=True)
    provider = models.CharField(max_length=10, choices=VoiceProvider.choices)
    provider_voice_id = models.CharField(max_length=100)
    language = models.CharField(max_length=35, default="en-US", help_text="BCP-47 tag, e.g. en-US")
    accent = models.CharField(max_length=50, blank=True)
    style = models.CharField(max_length=50, blank=True)
    speaking_rate = models.FloatField(default=1.0, validators=[MinValueValidator(0.5), MaxValueValidator(2.0)])
    sample_audio = models.FileField(upload_to="catalog/voice-samples/", blank=True)

    class Meta(CatalogItem.Meta):
        verbose_name, verbose_name_plural = "AI voice", "AI voices"
        indexes = [models.Index(fields=["is_active", "sort_order"], name="voice_active_order")]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_voice_id"], name="voice_unique_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"


class Framing(models.TextChoices):
    CENTER = "center", "Centred portrait"
    BOTTOM = "bottom", "Portrait anchored at the bottom"


class AIAvatar(CatalogItem):
    description = models.CharField(max_length=500, blank=True)
    age_range = models.CharField(max_length=20, blank=True, help_text="e.g. 25-34")
    style = models.CharField(max_length=50, blank=True, help_text="professional, casual, energetic, ...")
    tags = models.JSONField(default=list, blank=True)
    portrait = models.FileField(upload_to="catalog/avatars/", blank=True)
    portrait_thumbnail = models.FileField(upload_to="catalog/avatars/thumbs/", blank=True, editable=False)
    # A lip-sync rig (``ai_studio.generation.rig``): one ZIP with the base portrait and a sprite per
    # mouth shape. Its base is also stored as ``portrait``; without a rig the mouth follows loudness.
    rig = models.FileField(upload_to="catalog/rigs/", blank=True,
                           help_text="Optional lip-sync rig: a ZIP with rig.json, base.png and a transparent PNG "
                                     "per mouth shape (mouth/<shape>.png).")
    rig_preview = models.FileField(upload_to="catalog/rigs/previews/", blank=True, editable=False)
    framing = models.CharField(max_length=10, choices=Framing.choices, default=Framing.CENTER)
    background_color = models.CharField(max_length=7, default="#101820", validators=[hex_color])
    default_voice = models.ForeignKey(AIVoice, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="default_for_avatars")

    class Meta(CatalogItem.Meta):
        verbose_name, verbose_name_plural = "AI avatar", "AI avatars"
        indexes = [models.Index(fields=["is_active", "sort_order"], name="avatar_active_order")]

    def __str__(self) -> str:
        return self.name


class MusicTrack(TimeStampedModel):
    """A music bed users may lay under their reel's voice: uploaded by staff with its licence and credit.

    ``audio`` is checked by decoding it (``ai_studio.audio_uploads``), which also gives ``duration_seconds``.
    """

    title = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    mood = models.CharField(max_length=40, help_text="Mood or genre users pick by: upbeat, calm, corporate, ...")
    description = models.CharField(max_length=300, blank=True)
    audio = models.FileField(upload_to="catalog/music/", blank=True)
    duration_seconds = models.FloatField(default=0.0, editable=False, help_text="Measured from the audio.")
    licence = models.CharField(max_length=200, help_text="Under what terms reels may use it, e.g. CC0 1.0, "
                                                         "CC BY 4.0, or the licence bought from a library.")
    credit = models.CharField(max_length=200, blank=True, help_text="Who to credit, if the licence asks for it.")
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "title"]
        indexes = [models.Index(fields=["is_active", "sort_order"], name="music_active_order")]

    def __str__(self) -> str:
        return f"{self.title} ({self.mood})"


class TemplateCategory(models.TextChoices):
    PRODUCT_LAUNCH = "product_launch"
    PROMO = "promo"
    TESTIMONIAL = "testimonial"
    EXPLAINER = "explainer"
    ANNOUNCEMENT = "announcement"
    HOW_TO = "how_to"
    EVENT = "event"
    BEHIND_THE_SCENES = "behind_the_scenes"


class PromptTemplate(TimeStampedModel):
    """A script with `{{variable}}` placeholders. No owner = a system template curated by staff."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="prompt_templates")
    name = models.CharField(max_length=150)
    category = models.CharField(max_length=30, choices=TemplateCategory.choices)
    description = models.CharField(max_length=500, blank=True)
    body = models.TextField(max_length=4096)
    # [{"name": "product", "label": "Product name", "required": true, "default": "", "max_length": 60}]
    variables = models.JSONField(default=list, blank=True)
    tone = models.CharField(max_length=50, blank=True)
    target_duration_seconds = models.PositiveIntegerField(default=30, validators=[MaxValueValidator(600)])
    is_public = models.BooleanField(default=False)
    usage_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["category", "name"]
        indexes = [
            models.Index(fields=["owner", "category"], name="template_owner_category"),
            models.Index(fields=["is_public", "category"], name="template_public_category"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_system(self) -> bool:
        return self.owner_id is None


# --- Generation -------------------------------------------------------------------------------
class JobStatus(models.TextChoices):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


class JobStage(models.TextChoices):
    QUEUED = "queued"
    PREPARING_SCRIPT = "preparing_script"
    SYNTHESIZING_SPEECH = "synthesizing_speech"
    ALIGNING_CAPTIONS = "aligning_captions"
    MIXING_AUDIO = "mixing_audio"
    RENDERING_VIDEO = "rendering_video"
    UPLOADING = "uploading"
    DONE = "done"


class Resolution(models.TextChoices):
    HD = "720p"
    FULL_HD = "1080p"


class LipSync(models.TextChoices):
    """How a job's mouth followed the voice: the values the engine reports in ``PipelineResult.lip_sync``."""

    PHONEMES = "phonemes", "Lip-synced on exact phoneme timings"
    WORDS = "words", "Lip-synced on phonemes spread over word timings"
    LOUDNESS = "loudness", "Mouth follows the voice's loudness (no rig)"


class VideoGenerationJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generation_jobs")
    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="generation_jobs")
    avatar = models.ForeignKey(AIAvatar, on_delete=models.PROTECT, related_name="generation_jobs")
    voice = models.ForeignKey(AIVoice, on_delete=models.PROTECT, related_name="generation_jobs")
    template = models.ForeignKey(PromptTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="generation_jobs")
    template_variables = models.JSONField(default=dict, blank=True)
    music = models.ForeignKey(MusicTrack, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="generation_jobs", help_text="The music bed under the voice, if any.")
    title = models.CharField(max_length=200, blank=True)
    script = models.TextField(max_length=4096)

    aspect_ratio = models.CharField(max_length=5, choices=AspectRatio.choices, default=AspectRatio.PORTRAIT)
    resolution = models.CharField(max_length=5, choices=Resolution.choices, default=Resolution.HD)
    captions_enabled = models.BooleanField(default=True)
    caption_style = models.JSONField(default=dict, blank=True)
    background_color = models.CharField(max_length=7, blank=True, validators=[hex_color])
    speed = models.FloatField(default=1.0, validators=[MinValueValidator(0.5), MaxValueValidator(2.0)])
    metadata = models.JSONField(default=dict, blank=True)

    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    stage = models.CharField(max_length=24, choices=JobStage.choices, default=JobStage.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    # The run that owns the job right now; a second run cannot claim it while the lease is fresh.
    lease_token = models.UUIDField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    speech_provider = models.CharField(max_length=10, blank=True)
    lip_sync = models.CharField(max_length=10, choices=LipSync.choices, blank=True,
                                help_text="How the mouth followed the voice (set when the job completes).")
    stage_timings = models.JSONField(default=dict, blank=True)  # {"synthesizing_speech": 1.23, ...}
    total_seconds = models.FloatField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="job_owner_created"),
            models.Index(fields=["owner", "status"], name="job_owner_status"),
            models.Index(fields=["campaign", "status"], name="job_campaign_status"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
            models.Index(fields=["created_at", "status"], name="job_created_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["owner", "idempotency_key"],
                                    condition=models.Q(idempotency_key__isnull=False),
                                    name="job_unique_idempotency_key"),
        ]

    def __str__(self) -> str:
        return f"Job {self.id} ({self.status})"


class GeneratedVideo(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generated_videos")
    # One job produces at most one video: the database guarantees "completed exactly once".
    job = models.OneToOneField(VideoGenerationJob, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="video")
    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="generated_videos")
    title = models.CharField(max_length=200, blank=True)

    video_key = models.CharField(max_length=500)
    thumbnail_key = models.CharField(max_length=500)
    audio_key = models.CharField(max_length=500)
    captions_srt_key = models.CharField(max_length=500)
    captions_vtt_key = models.CharField(max_length=500)

    duration_seconds = models.FloatField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    fps = models.PositiveSmallIntegerField()
    size_bytes = models.PositiveBigIntegerField()
    video_codec = models.CharField(max_length=20)
    audio_codec = models.CharField(max_length=20)
    checksum_sha256 = models.CharField(max_length=64)
    aspect_ratio = models.CharField(max_length=5, choices=AspectRatio.choices)
    stage_timings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="video_owner_created"),
            models.Index(fields=["campaign", "-created_at"], name="video_campaign_created"),
        ]

    def __str__(self) -> str:
        return self.title or f"Video {self.id}"
