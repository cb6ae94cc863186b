"""AI Studio: the catalog staff curate (avatars, voices, music, templates) and the generation records."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import User
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


class Layout(models.TextChoices):
    """How a reel fills the frame (the engine's ``layouts``); a job without one gets the engine's default."""

    PRESENTER = "presenter", "Presenter: the avatar large over the brand colour"
    PRODUCT = "product", "Product: the campaign's media fills the frame, the avatar in a corner"
    CARD = "card", "Card: the avatar on a card"


MAX_HEADLINE_CHARS = 120


class BatchStatus(models.TextChoices):
    ACTIVE = "active", "Active (some jobs have not finished)"
    FINISHED = "finished", "Finished (every job completed, failed or was canceled)"
    CANCELED = "canceled", "Canceled (what had not finished was canceled)"


class GenerationBatch(models.Model):
    """Many reels from one script: a template (or a script with ``{{variables}}``) and a row of
    variables per reel, with settings shared by every row (a row may override some).

    Each row is a `VideoGenerationJob` (``batch``, ``batch_row``, its variables in
    ``template_variables``). Counts by status are read from the jobs (``selectors.batches``);
    ``finished_at`` is set once, when the last job reaches a final status
    (``services.batch_progress.finish_if_done``), which is when ``batch_outcome`` (in that transaction)
    and ``batch_changed(kind="completed")`` (after it) fire.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generation_batches")
    name = models.CharField(max_length=200, blank=True)
    template = models.ForeignKey(PromptTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="generation_batches")
    script = models.TextField(max_length=4096, blank=True,
                              help_text="The script with {{variables}} when the batch has no template.")
    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="generation_batches")
    settings = models.JSONField(default=dict, blank=True, help_text="The settings every row shares, as sent.")
    total_jobs = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.ACTIVE)
    source = models.CharField(max_length=4, choices=[("json", "JSON rows"), ("csv", "CSV upload")], default="json")

    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True,
                                       help_text="When the last job reached a final status (empty while any runs).")

    class Meta:
        ordering = ["-created_at"]
        verbose_name, verbose_name_plural = "generation batch", "generation batches"
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="batch_owner_created"),
            models.Index(fields=["status", "created_at"], name="batch_status_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["owner", "idempotency_key"],
                                    condition=models.Q(idempotency_key__isnull=False),
                                    name="batch_unique_idempotency_key"),
        ]

    def __str__(self) -> str:
        return self.name or f"Batch {self.id}"


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

    layout = models.CharField(max_length=10, choices=Layout.choices, blank=True,
                              help_text="Blank: the engine's default for the aspect ratio.")
    headline = models.CharField(max_length=MAX_HEADLINE_CHARS, blank=True,
                                help_text="Hook text shown large at the top for the opening seconds.")
    # {} = none; else {"text": "Shop now", "seconds": 2.0}, shown after the speech.
    end_card = models.JSONField(default=dict, blank=True)
    # [{"text": "...", "media_id": "<uuid>"}]: the script split into scenes, each showing a campaign
    # media item; the script is their texts joined by spaces. Empty: the avatar alone.
    scenes = models.JSONField(default=list, blank=True)
    # The media items the scenes show (the scenes keep their order and texts): a media item cannot be
    # deleted while an unfinished job needs it.
    media = models.ManyToManyField("campaigns.CampaignMedia", blank=True, related_name="generation_jobs")
    # A job made from a batch's row: the row's index (0-based, in the order sent) and, in
    # template_variables, the row's variables.
    batch = models.ForeignKey(GenerationBatch, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="jobs")
    batch_row = models.PositiveIntegerField(null=True, blank=True)

    # A one-off webhook for this job's completed/failed events, signed with the job's own secret.
    callback_url = models.URLField(max_length=2000, blank=True)
    callback_secret = models.CharField(max_length=100, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    stage = models.CharField(max_length=24, choices=JobStage.choices, default=JobStage.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)  # worker runs of the current try (each retry starts at 0)
    user_retries = models.PositiveIntegerField(default=0, help_text="Times the user retried this job (plans cap it).")
    cancel_requested = models.BooleanField(default=False)
    # The run that owns the job right now; a second run cannot claim it while the lease is fresh.
    lease_token = models.UUIDField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the broker last accepted a message for this job; null while the job waits for one
    # (the broker was unreachable): the dispatcher sends those (ai_studio.services.dispatch).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # When the job got one of its owner's slots on the render queue (Plan.max_in_flight); null while
    # it waits its turn in the database ("held"). Only released jobs are sent to the broker.
    released_at = models.DateTimeField(null=True, blank=True)

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
            # The list filtered by status, newest first (and a user's active jobs, for quotas).
            models.Index(fields=["owner", "status", "-created_at"], name="job_owner_status_created"),
            models.Index(fields=["campaign", "status"], name="job_campaign_status"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
            models.Index(fields=["created_at", "status"], name="job_created_status"),
            models.Index(fields=["status", "dispatched_at"], name="job_status_dispatched"),
            # The admin's error filter lists the codes from it (reelmate.admin_mixins.IndexedValuesListFilter).
            models.Index(fields=["error_code"], condition=models.Q(error_code__gt=""), name="job_error_code"),
            models.Index(fields=["batch", "batch_row"], name="job_batch_row"),
            models.Index(fields=["batch", "status"], name="job_batch_status"),
            # The jobs waiting for a slot, oldest first per owner (the dispatcher's round-robin).
            models.Index(fields=["owner", "created_at"], name="job_held_owner_created",
                         condition=models.Q(status="queued", released_at__isnull=True)),
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
            models.Index(fields=["-created_at"], name="video_created"),  # the admin's change list
            models.Index(fields=["video_codec"], name="video_codec"),  # the admin's codec filter
        ]

    def __str__(self) -> str:
        return self.title or f"Video {self.id}"


# --- Script writer ----------------------------------------------------------------------------
class WriterPurpose(models.TextChoices):
    """What the script writer is asked to do: each purpose has its own instructions and usage."""

    DRAFT = "draft", "Draft scripts from a campaign brief"
    TRANSLATE = "translate", "Translate a script"


class WriterPrompt(models.Model):
    """The language model's instructions for one purpose, in numbered versions staff write in the admin.

    A version is never edited once saved (its calls point at it); staff add a new version and
    the latest *active* one is used. Deactivating it rolls back to the one before; with none
    active, the built-in default (``ai_studio.writing.prompts``) is used.
    """

    name = models.CharField(max_length=20, choices=WriterPurpose.choices)
    version = models.PositiveIntegerField(editable=False)
    text = models.TextField(max_length=20000, help_text="The system instructions. The brief, template and "
                                                        "requirements reach the model separately, as JSON data.")
    is_active = models.BooleanField(default=True)
    notes = models.CharField(max_length=300, blank=True, help_text="What changed in this version, and why.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="writer_prompt_unique_version")]

    def __str__(self) -> str:
        return f"{self.get_name_display()} v{self.version}"


class LanguageModelCall(models.Model):
    """One request to the language model on a user's behalf, with the tokens it used (for usage limits)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_model_calls")
    purpose = models.CharField(max_length=20, choices=WriterPurpose.choices)
    model = models.CharField(max_length=100)
    prompt = models.ForeignKey(WriterPrompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls",
                               help_text="The instructions' version; empty: the built-in default.")
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)
    success = models.BooleanField(help_text="The provider answered and the answer passed the checks.")
    error_code = models.CharField(max_length=64, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="llm_call_user_created")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.model} · {self.total_tokens} tokens"


# --- Usage accounting -------------------------------------------------------------------------
class ChargeStatus(models.TextChoices):
    ESTIMATED = "estimated", "Estimated (the run has not finished)"
    SETTLED = "settled", "Settled to the video's real length"
    REFUNDED = "refunded", "Refunded (the run failed or was canceled)"


class JobCharge(models.Model):
    """What one run of a job (its submission, or a retry) counts against its owner's plan.

    Opened when the run is admitted, with the estimated seconds of video; settled to the video's
    real duration when the job completes, refunded (0 seconds, no longer one of the day's jobs)
    when it fails or is canceled. Both happen in the transaction that changes the job's status,
    and only to an estimated charge, so each happens once. A run counts in the day and month it
    was submitted in (UTC).
    """

    id = models.BigAutoField(primary_key=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_charges")
    job = models.ForeignKey(VideoGenerationJob, on_delete=models.CASCADE, related_name="charges")
    status = models.CharField(max_length=10, choices=ChargeStatus.choices, default=ChargeStatus.ESTIMATED)
    estimated_seconds = models.FloatField()
    seconds = models.FloatField(help_text="Seconds of video charged now: the estimate, the real length, or 0.")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "created_at"], name="charge_owner_created")]
        constraints = [
            # A job has at most one run in flight, so at most one charge still open.
            models.UniqueConstraint(fields=["job"], condition=models.Q(status="estimated"),
                                    name="charge_one_open_per_job"),
        ]

    def __str__(self) -> str:
        return f"{self.seconds:.0f} s for job {self.job_id} ({self.status})"


class UserUsage(User):
    """Users as the usage admin lists them (their plan and what they used); no table of its own."""

    class Meta:
        proxy = True
        verbose_name, verbose_name_plural = "usage", "usage"


class PendingFileDeletion(models.Model):
    """Files that must go but could not be deleted when they had to (storage was unavailable):
    everything under `prefix` — the files of a run that did not complete. A beat task retries."""

    prefix = models.CharField(max_length=500, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.prefix


# --- Variant groups (A/B tests) ---------------------------------------------------------------
MIN_VARIANTS, MAX_VARIANTS_PER_GROUP = 2, 10


class VariantGroup(models.Model):
    """The same brief rendered several ways (hooks, voices, avatars, layouts), submitted together and
    compared on their audiences (``GET /api/analytics/variant-groups/:id``). Each `Variant` is one
    generation job; a completed variant's video gets its own share link (``analytics``)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="variant_groups")
    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="variant_groups")
    name = models.CharField(max_length=150)
    # {"script": "..."} or {"hook", "body", "call_to_action"}: what the variants start from.
    base = models.JSONField(default=dict)
    # The generation settings every variant shares, as submitted (avatar_id, voice_id, layout, ...).
    settings = models.JSONField(default=dict, blank=True)
    # The group is submitted as a batch (one row per variant, in variant order): its progress, events
    # (live stream, `batch.completed` webhook), cancel, retry-failed and ZIP download are the batch's.
    batch = models.OneToOneField(GenerationBatch, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="variant_group")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="variantgroup_owner_created"),
            models.Index(fields=["campaign", "-created_at"], name="variantgroup_campaign_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["owner", "idempotency_key"],
                                    condition=models.Q(idempotency_key__isnull=False),
                                    name="variantgroup_unique_idempotency_key"),
        ]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    group = models.ForeignKey(VariantGroup, on_delete=models.CASCADE, related_name="variants")
    position = models.PositiveSmallIntegerField(help_text="Its place in the group, from 0.")
    label = models.CharField(max_length=40)
    # What this variant changes: any of hook, script, voice_id, avatar_id, layout, headline.
    overrides = models.JSONField(default=dict, blank=True)
    job = models.OneToOneField(VideoGenerationJob, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="variant")

    class Meta:
        ordering = ["group", "position"]
        constraints = [
            models.UniqueConstraint(fields=["group", "position"], name="variant_unique_position"),
            models.UniqueConstraint(fields=["group", "label"], name="variant_unique_label"),
        ]

    def __str__(self) -> str:
        return f"{self.group} · {self.label}"
