"""Staff curate the catalog here: avatars (portrait and lip-sync rig previews), voices (sample player), music
(player, licence), templates; the script writer's instructions (versioned) and its calls to the language
model (tokens per user); they follow jobs and videos, and see each user's usage of their plan."""
from __future__ import annotations

import zipfile

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from ai_studio import tasks, templating
from ai_studio.audio_uploads import AudioRejected, check_audio_upload, check_music_upload
from ai_studio.generation import rig as rig_format
from ai_studio.generation.visemes import SHAPES
from ai_studio.models import (
    AIAvatar,
    AIVoice,
    GeneratedVideo,
    GenerationBatch,
    JobCharge,
    JobStatus,
    LanguageModelCall,
    MusicTrack,
    PendingFileDeletion,
    PromptTemplate,
    UserUsage,
    Variant,
    VariantGroup,
    VideoGenerationJob,
    VoiceProvider,
    WriterPrompt,
)
from ai_studio.selectors.batches import progress_of
from ai_studio.selectors.catalog import provider_voice_ids
from ai_studio.selectors.script_writer import active_writer_prompt
from ai_studio.selectors.usage import periods_at, with_usage_counts
from ai_studio.services import batches as batch_services
from ai_studio.services import catalog as catalog_services
from ai_studio.services import jobs as job_services
from ai_studio.services import language_model as language_model_services
from ai_studio.services import templates as template_services
from campaigns.models import CampaignMedia
from reelmate.admin_mixins import IndexedValuesListFilter, LargeTableAdminMixin, ReadOnlyAdminMixin
from reelmate.images import validate_image_upload
from reelmate.storage import presigned_url


# --- shared actions ---------------------------------------------------------------------------
@admin.action(description="Activate selected items")
def activate(modeladmin, request, queryset: QuerySet):
    changed = catalog_services.set_active(queryset, active=True)
    modeladmin.message_user(request, f"{changed} activated.", messages.SUCCESS)


@admin.action(description="Deactivate selected items")
def deactivate(modeladmin, request, queryset: QuerySet):
    changed = catalog_services.set_active(queryset, active=False)
    modeladmin.message_user(request, f"{changed} deactivated.", messages.SUCCESS)


def audio_player(field_file) -> str:
    """An inline player for a stored audio file (presigned), or a dash."""
    if not field_file:
        return "—"
    return format_html('<audio controls preload="none" src="{}" style="height:32px"></audio>',
                       presigned_url(field_file.name))


def checked_audio(upload, check) -> None:
    """Run an ``audio_uploads`` check on a new upload; its refusal becomes the field's error."""
    if isinstance(upload, UploadedFile):
        try:
            upload.name = f"upload.{check(upload).extension}"
        except AudioRejected as error:
            raise forms.ValidationError(error.message, code=error.code) from None


# --- avatars ----------------------------------------------------------------------------------
RIG_HELP = (
    "Optional: makes the avatar lip-sync. One ZIP file holding <code>rig.json</code> with the anchor points, "
    '<code>{{"version": 1, "mouth": {{"x": 300, "y": 576}}, "eyes": {{"x": 300, "y": 446}}}}</code> (pixels of '
    "base.png on which the sprites' centres sit); <code>base.png</code>, the portrait with the mouth at rest and "
    "eyes open; <code>mouth/&lt;shape&gt;.png</code> for every mouth shape: {shapes}; optionally "
    "<code>eyes/closed.png</code> and <code>eyes/half.png</code> for blinking. Sprites are PNGs with "
    "transparency (only what changes is opaque); all mouth sprites have the same size, as do the eyelid "
    "sprites. The rig's base.png becomes the portrait. At most {limit} MB."
)


def rig_upload_limit() -> int:
    """Bytes a rig upload may have: the rig format's own limit, within the upload limit."""
    return min(rig_format.MAX_RIG_BYTES, settings.MAX_IMAGE_UPLOAD_BYTES)


class AvatarAdminForm(forms.ModelForm):
    class Meta:
        model = AIAvatar
        fields = "__all__"
        help_texts = {"portrait": "PNG, JPEG or WebP, portrait orientation (e.g. 600x800), face centred with the "
                                  "mouth at 72% of the height; a thumbnail is made from it. Uploading a portrait "
                                  "(or clearing it) removes the lip-sync rig, whose sprites fit the old one."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "rig" in self.fields:
            self.fields["rig"].help_text = RIG_HELP.format(
                shapes=", ".join(f"<code>{shape}</code>" for shape in SHAPES),
                limit=f"{rig_upload_limit() / (1024 * 1024):g}",
            )

    def clean_portrait(self):
        portrait = self.cleaned_data.get("portrait")
        if isinstance(portrait, UploadedFile):
            validate_image_upload(portrait)
        return portrait

    def clean_rig(self):
        rig = self.cleaned_data.get("rig")
        if isinstance(rig, UploadedFile):
            limit = rig_upload_limit()
            if rig.size > limit:
                raise forms.ValidationError(f"The rig is {rig.size:,} bytes; the limit is {limit:,} bytes.",
                                            code="file_too_large")
            if not zipfile.is_zipfile(rig):
                raise forms.ValidationError("This is not a ZIP file: upload the rig as one .zip holding rig.json, "
                                            "base.png and mouth/<shape>.png.", code="invalid_rig")
            try:
                catalog_services.check_avatar_rig(rig)
            except rig_format.RigError as error:
                raise forms.ValidationError([forms.ValidationError(problem, code="invalid_rig")
                                             for problem in error.problems])
            finally:
                rig.seek(0)
        return rig

    def clean(self):
        cleaned = super().clean()
        if isinstance(cleaned.get("rig"), UploadedFile) and "portrait" in self.changed_data:
            self.add_error("portrait", "Change the portrait or upload a rig, one at a time: the rig brings its "
                                       "own portrait (base.png).")
        return cleaned


class LipSyncFilter(admin.SimpleListFilter):
    title = "lip sync"
    parameter_name = "has_rig"

    def lookups(self, request, model_admin):
        return (("yes", "Lip-synced (has a rig)"), ("no", "Loudness-driven (no rig)"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(rig="")
        if self.value() == "no":
            return queryset.filter(rig="")
        return queryset


@admin.register(AIAvatar)
class AIAvatarAdmin(admin.ModelAdmin):
    form = AvatarAdminForm
    list_display = ("thumbnail", "name", "gender", "age_range", "style", "default_voice", "lip_sync", "is_active",
                    "is_premium", "sort_order")
    list_display_links = ("thumbnail", "name")
    list_editable = ("sort_order",)
    list_filter = ("is_active", "is_premium", LipSyncFilter, "gender", "style", "framing")
    search_fields = ("name", "slug", "description", "style")
    list_select_related = ("default_voice",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("default_voice",)
    readonly_fields = ("portrait_preview", "rig_preview_image", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "is_active", "is_premium", "sort_order")}),
        ("Look", {"fields": ("portrait_preview", "portrait", "gender", "age_range", "style", "tags")}),
        ("Lip sync rig", {"fields": ("rig_preview_image", "rig")}),
        ("Rendering defaults", {"fields": ("framing", "background_color", "default_voice")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    actions = (activate, deactivate)

    @admin.display(description="")
    def thumbnail(self, avatar: AIAvatar) -> str:
        if not avatar.portrait_thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" style="height:56px;border-radius:6px">',
                           presigned_url(avatar.portrait_thumbnail.name))

    @admin.display(description="Lip sync", boolean=True, ordering="rig")
    def lip_sync(self, avatar: AIAvatar) -> bool:
        return bool(avatar.rig)

    @admin.display(description="Portrait")
    def portrait_preview(self, avatar: AIAvatar) -> str:
        if not avatar.portrait:
            return "No portrait yet."
        return format_html('<img src="{}" alt="{}" style="max-height:320px;border-radius:8px">',
                           presigned_url(avatar.portrait.name), avatar.name)

    @admin.display(description="Mouth shapes")
    def rig_preview_image(self, avatar: AIAvatar) -> str:
        if not avatar.rig or not avatar.rig_preview:
            return "No rig: this avatar's mouth moves with the voice's loudness."
        return format_html('<img src="{}" alt="Every mouth shape of {}" style="max-width:100%;border-radius:8px">',
                           presigned_url(avatar.rig_preview.name), avatar.name)

    def save_model(self, request, avatar: AIAvatar, form, change):
        changed = [name for name in ("portrait", "rig") if name in form.changed_data]
        if not changed:
            return super().save_model(request, avatar, form, change)
        # The form put the uploads (or "clears") on the instance; the services store them with
        # what derives from them (thumbnail, preview) instead, and remove the files they replace.
        for name in ("portrait", "rig"):
            previous = form.initial.get(name)
            setattr(avatar, name, previous.name if previous else "")
        name = changed[0]  # the form refuses a new rig with a portrait change; a new portrait drops the rig
        upload = form.cleaned_data.get(name)
        upload = upload if isinstance(upload, UploadedFile) else None
        if name == "portrait":
            catalog_services.set_avatar_portrait(avatar, upload)
        else:
            catalog_services.set_avatar_rig(avatar, upload)


# --- voices -----------------------------------------------------------------------------------
class VoiceAdminForm(forms.ModelForm):
    class Meta:
        model = AIVoice
        fields = "__all__"
        help_texts = {"sample_audio": "Optional: WAV, MP3 or Ogg. Left empty, the worker synthesises one."}

    def clean_sample_audio(self):
        audio = self.cleaned_data.get("sample_audio")
        checked_audio(audio, check_audio_upload)
        return audio

    def clean(self):
        cleaned = super().clean()
        provider, voice_id = cleaned.get("provider"), cleaned.get("provider_voice_id")
        if provider and voice_id:
            known = provider_voice_ids(provider)
            if voice_id not in known:
                self.add_error("provider_voice_id",
                               f"{provider} has no voice {voice_id!r}; it offers: {', '.join(sorted(known))}.")
        return cleaned


@admin.register(AIVoice)
class AIVoiceAdmin(admin.ModelAdmin):
    form = VoiceAdminForm
    list_display = ("name", "provider", "provider_voice_id", "language", "gender", "style", "sample_player",
                    "is_active", "is_premium", "sort_order")
    list_editable = ("sort_order",)
    list_filter = ("is_active", "is_premium", "provider", "gender", "language")
    search_fields = ("name", "slug", "provider_voice_id", "description", "accent", "style")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("sample_player", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "is_active", "is_premium", "sort_order")}),
        ("Speech", {"fields": ("provider", "provider_voice_id", "language", "accent", "gender", "style",
                               "speaking_rate")}),
        ("Preview", {"fields": ("sample_player", "sample_audio")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    actions = (activate, deactivate, "generate_samples")

    @admin.display(description="Sample")
    def sample_player(self, voice: AIVoice) -> str:
        return audio_player(voice.sample_audio)

    @admin.action(description="Generate missing preview samples (in the worker)")
    def generate_samples(self, request, queryset: QuerySet):
        missing = list(queryset.filter(sample_audio="").values_list("pk", flat=True))
        for voice_id in missing:
            tasks.generate_voice_sample.delay(voice_id)
        self.message_user(request, f"{len(missing)} sample(s) queued; voices that have one were left alone.",
                          messages.SUCCESS)


# --- music ------------------------------------------------------------------------------------
class MusicTrackAdminForm(forms.ModelForm):
    class Meta:
        model = MusicTrack
        fields = "__all__"
        help_texts = {"audio": "WAV, MP3 or Ogg, 5 s to 10 min; it is decoded in full to check it. Loops "
                               "under reels longer than itself; its loudness does not matter (the mix sets it)."}

    def clean_audio(self):
        audio = self.cleaned_data.get("audio")
        checked_audio(audio, check_music_upload)
        return audio

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("audio") and "audio" not in self.errors:
            self.add_error("audio", "Upload the music.")
        return cleaned


@admin.register(MusicTrack)
class MusicTrackAdmin(admin.ModelAdmin):
    form = MusicTrackAdminForm
    list_display = ("title", "mood", "duration", "player", "licence", "credit", "is_active", "sort_order")
    list_editable = ("sort_order",)
    list_filter = ("is_active", "mood")
    search_fields = ("title", "slug", "mood", "description", "licence", "credit")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("player", "duration_seconds", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "slug", "mood", "description", "is_active", "sort_order")}),
        ("Audio", {"fields": ("player", "audio", "duration_seconds")}),
        ("Rights", {"fields": ("licence", "credit")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    actions = (activate, deactivate)

    @admin.display(description="Preview")
    def player(self, track: MusicTrack) -> str:
        return audio_player(track.audio)

    @admin.display(description="Duration", ordering="duration_seconds")
    def duration(self, track: MusicTrack) -> str:
        return f"{track.duration_seconds:.1f} s"

    def save_model(self, request, track: MusicTrack, form, change):
        if "audio" not in form.changed_data:
            return super().save_model(request, track, form, change)
        # The service stores the upload with its measured duration and removes the file it replaces.
        previous = form.initial.get("audio")
        track.audio = previous.name if previous else ""
        upload = form.cleaned_data["audio"]
        catalog_services.set_music_audio(track, upload if isinstance(upload, UploadedFile) else None)


# --- prompt templates -------------------------------------------------------------------------
class PromptTemplateAdminForm(forms.ModelForm):
    class Meta:
        model = PromptTemplate
        fields = "__all__"
        help_texts = {
            "owner": "Leave empty for a system template, offered to every user.",
            "body": "Placeholders are {{name}}; every one must be declared in variables.",
            "variables": 'A JSON list, e.g. [{"name": "product", "label": "Product name", "required": true, '
                         '"default": "", "max_length": 60}]',
        }

    def clean(self):
        cleaned = super().clean()
        if "body" in cleaned and "variables" in cleaned:
            try:
                variables = templating.check_template(cleaned["body"], cleaned["variables"])
            except templating.TemplateDefinitionError as error:
                for field, problems in error.errors.items():
                    self.add_error(field, problems)
            else:
                cleaned["variables"] = [variable.as_dict() for variable in variables]
        return cleaned


class TemplateSourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return (("system", "System (curated)"), ("user", "Users' own"))

    def queryset(self, request, queryset):
        if self.value() == "system":
            return queryset.filter(owner__isnull=True)
        if self.value() == "user":
            return queryset.filter(owner__isnull=False)
        return queryset


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    """The change form lists the body's placeholders live as staff type (templates/admin/ai_studio/...)."""

    form = PromptTemplateAdminForm
    list_display = ("name", "category", "source", "tone", "target_duration_seconds", "is_public", "usage_count",
                    "updated_at")
    list_filter = (TemplateSourceFilter, "category", "is_public", "tone")
    search_fields = ("name", "description", "body", "owner__email")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    readonly_fields = ("usage_count", "variable_list", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "category", "owner", "is_public", "description", "tone",
                           "target_duration_seconds")}),
        ("Script", {"fields": ("body", "variables", "variable_list")}),
        ("Usage", {"fields": ("usage_count", "created_at", "updated_at")}),
    )
    actions = ("duplicate",)

    @admin.display(description="Source", ordering="owner")
    def source(self, template: PromptTemplate) -> str:
        return "System" if template.is_system else template.owner.email

    @admin.display(description="Variables in the body")
    def variable_list(self, template: PromptTemplate) -> str:
        # Rendered server-side for the saved version; the page's script keeps it live while editing.
        items = format_html_join("", "<li><code>{}</code></li>",
                                 (("{{" + name + "}}",) for name in templating.placeholders(template.body or "")))
        return format_html('<ul id="template-variable-list" data-pattern="{}">{}</ul>',
                           templating.PLACEHOLDER.pattern, items)

    @admin.action(description="Duplicate selected templates")
    def duplicate(self, request, queryset: QuerySet):
        copies = [template_services.duplicate_template(template, owner=template.owner) for template in queryset]
        self.message_user(request, f"{len(copies)} template(s) duplicated as private copies.", messages.SUCCESS)


# --- generation -------------------------------------------------------------------------------
@admin.action(description="Retry selected failed or canceled jobs")
def retry_jobs(modeladmin, request, queryset: QuerySet):
    retryable = queryset.filter(status__in=[JobStatus.FAILED, JobStatus.CANCELED])
    retried = [job_services.retry_job(job, by_staff=True) for job in retryable]
    modeladmin.message_user(request, f"{len(retried)} job(s) queued again.", messages.SUCCESS)


@admin.register(GenerationBatch)
class GenerationBatchAdmin(admin.ModelAdmin):
    """Batches with their jobs (a link to the job list filtered by batch) and counts; staff may cancel one."""

    list_display = ("id", "name", "owner", "status", "source", "total_jobs", "created_at", "finished_at")
    list_filter = ("status", "source")
    search_fields = ("id", "name", "owner__email")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    actions = ["cancel_batches"]
    readonly_fields = ("job_counts", "jobs_link", *(field.name for field in GenerationBatch._meta.fields))

    def has_add_permission(self, request):
        return False  # batches are created through the API

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Jobs by status")
    def job_counts(self, batch: GenerationBatch) -> str:
        progress = progress_of([batch])[batch.pk]
        return ", ".join(f"{count} {status}" for status, count in progress.counts.items() if count) + \
            f" ({progress.progress}% done)"

    @admin.display(description="Jobs")
    def jobs_link(self, batch: GenerationBatch) -> str:
        url = reverse("admin:ai_studio_videogenerationjob_changelist") + f"?batch__exact={batch.pk}"
        return format_html('<a href="{}">The batch\'s {} jobs</a>', url, batch.total_jobs)

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("ai_studio.change_generationbatch")

    @admin.action(description="Cancel selected batches (what has not finished)", permissions=["cancel"])
    def cancel_batches(self, request, queryset: QuerySet):
        canceled = [batch_services.cancel_batch(batch) for batch in queryset.filter(status="active")]
        self.message_user(request, f"{len(canceled)} batch(es) canceled.", messages.SUCCESS)


# The job's JSON fields that the change page shows in words instead (see the display methods).
_JOB_FIELDS_SHOWN_READABLY = {"end_card": "end_card_summary", "scenes": "scene_list"}


class SpeechProviderFilter(admin.SimpleListFilter):
    title = "speech provider"
    parameter_name = "speech_provider"

    def lookups(self, request, model_admin):
        return VoiceProvider.choices

    def queryset(self, request, queryset):
        return queryset.filter(speech_provider=self.value()) if self.value() else queryset


class ErrorCodeFilter(IndexedValuesListFilter):
    field_name = "error_code"  # index job_error_code


class VideoCodecFilter(IndexedValuesListFilter):
    field_name = "video_codec"  # index video_codec


@admin.register(VideoGenerationJob)
class VideoGenerationJobAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "owner", "title", "status", "stage", "progress", "layout", "speech_provider", "lip_sync",
                    "music", "error_code", "attempts", "user_retries", "total_seconds", "batch_row", "created_at")
    # No filter reads the whole table (LargeTableAdminMixin): choices, the music tracks, an index.
    list_filter = ("status", "stage", "layout", SpeechProviderFilter, "lip_sync", "aspect_ratio", "resolution",
                   ErrorCodeFilter, "music", "created_at")
    search_fields = ("id", "owner__email", "title", "script", "headline", "error_message")
    list_select_related = ("owner", "music")
    actions = [retry_jobs]
    readonly_fields = [_JOB_FIELDS_SHOWN_READABLY.get(field.name, field.name)
                       for field in VideoGenerationJob._meta.fields if field.name != "callback_secret"]
    # The scenes show the media, in order; the callback's signing secret is the user's alone.
    exclude = ("media", "callback_secret")

    def has_add_permission(self, request):
        return False  # jobs are created through the API or the CLI

    @admin.display(description="End card")
    def end_card_summary(self, job: VideoGenerationJob) -> str:
        if not job.end_card:
            return "None"
        return f"“{job.end_card['text']}” for {job.end_card['seconds']:g} s" if job.end_card["text"] else \
            f"Logo and brand colour only, for {job.end_card['seconds']:g} s"

    @admin.display(description="Scenes")
    def scene_list(self, job: VideoGenerationJob) -> str:
        if not job.scenes:
            return "None: the avatar alone."
        media = {str(item.pk): item for item in job.media.all()}
        return format_html("<ol>{}</ol>", format_html_join(
            "", "<li>{} <q>{}</q></li>", ((_scene_media_link(media.get(scene["media_id"])), scene["text"])
                                          for scene in job.scenes)))


def _scene_media_link(media: CampaignMedia | None) -> str:
    if media is None:
        return "(deleted media)"
    label = f"{media.get_kind_display()} {media.name or media.pk}"
    thumbnail = (format_html('<img src="{}" alt="" style="height:40px;vertical-align:middle;border-radius:4px"> ',
                             presigned_url(media.thumbnail.name)) if media.thumbnail else "")
    url = reverse("admin:campaigns_campaignmedia_change", args=[media.pk])
    return format_html('<a href="{}">{}{}</a>', url, thumbnail, label)


@admin.register(GeneratedVideo)
class GeneratedVideoAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "owner", "title", "campaign", "duration_seconds", "width", "height", "size_bytes",
                    "created_at")
    list_filter = ("aspect_ratio", VideoCodecFilter, "created_at")
    search_fields = ("id", "owner__email", "title", "campaign__name")
    list_select_related = ("owner", "campaign")
    readonly_fields = ["player"] + [field.name for field in GeneratedVideo._meta.fields]

    @admin.display(description="Preview")
    def player(self, video: GeneratedVideo):
        return format_html('<video src="{}" poster="{}" controls preload="metadata" style="max-height:360px">'
                           '</video>', presigned_url(video.video_key), presigned_url(video.thumbnail_key))

    def has_add_permission(self, request):
        return False


# --- script writer ----------------------------------------------------------------------------
class WriterPromptAdminForm(forms.ModelForm):
    class Meta:
        model = WriterPrompt
        fields = ("name", "text", "notes", "is_active")


@admin.register(WriterPrompt)
class WriterPromptAdmin(admin.ModelAdmin):
    """Versions are never edited: staff add a new one (prefilled from the one they start from); the
    latest active version of each purpose is the one the writer uses."""

    form = WriterPromptAdminForm
    list_display = ("__str__", "name", "version", "is_active", "in_use", "notes", "created_by", "created_at")
    list_filter = ("name", "is_active")
    search_fields = ("text", "notes")
    list_select_related = ("created_by",)
    actions = ("activate_versions", "deactivate_versions")

    def get_readonly_fields(self, request, obj=None):
        # A saved version stays as it was used; only whether it is active (and its notes) change.
        return ("name", "version", "text", "new_version_link", "created_by", "created_at") if obj else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "text", "notes", "is_active")
        return ("name", "version", "new_version_link", "text", "notes", "is_active", "created_by", "created_at")

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        source = WriterPrompt.objects.filter(pk=request.GET.get("copy_from") or None).first()
        if source is not None:
            initial.update(name=source.name, text=source.text)
        return initial

    @admin.action(description="Activate selected versions")
    def activate_versions(self, request, queryset: QuerySet):
        changed = language_model_services.set_prompt_versions_active(queryset, active=True)
        self.message_user(request, f"{changed} activated; the latest active version is used.", messages.SUCCESS)

    @admin.action(description="Deactivate selected versions (the latest active one left is used)")
    def deactivate_versions(self, request, queryset: QuerySet):
        changed = language_model_services.set_prompt_versions_active(queryset, active=False)
        self.message_user(request, f"{changed} deactivated.", messages.SUCCESS)

    @admin.display(description="Used now", boolean=True)
    def in_use(self, prompt: WriterPrompt) -> bool:
        active = active_writer_prompt(prompt.name)
        return active is not None and active.pk == prompt.pk

    @admin.display(description="Change it")
    def new_version_link(self, prompt: WriterPrompt) -> str:
        url = reverse("admin:ai_studio_writerprompt_add") + f"?copy_from={prompt.pk}"
        return format_html('<a class="button" href="{}">Write a new version from this one</a>', url)

    def save_model(self, request, prompt: WriterPrompt, form, change):
        if change:
            return super().save_model(request, prompt, form, change)
        saved = language_model_services.publish_prompt_version(
            name=prompt.name, text=prompt.text, notes=prompt.notes, is_active=prompt.is_active,
            created_by=request.user)
        prompt.pk, prompt.version, prompt.created_at = saved.pk, saved.version, saved.created_at


@admin.register(LanguageModelCall)
class LanguageModelCallAdmin(admin.ModelAdmin):
    """Every call to the language model, with its tokens, per user: what per-user limits count."""

    list_display = ("created_at", "user", "purpose", "model", "prompt", "prompt_tokens", "completion_tokens",
                    "total_tokens", "success", "error_code", "latency_ms")
    list_filter = ("purpose", "success", "model", "error_code", "created_at")
    search_fields = ("user__email", "error_code")
    list_select_related = ("user", "prompt")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in LanguageModelCall._meta.fields]

    def has_add_permission(self, request):
        return False  # recorded by the script writer

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # totals of what the filters select, above the list
            totals = changelist.queryset.aggregate(calls=Count("pk"), tokens=Coalesce(Sum("total_tokens"), 0))
            response.context_data["subtitle"] = f"{totals['calls']} calls, {totals['tokens']:,} tokens"
        return response


# --- usage of plans ---------------------------------------------------------------------------
@admin.register(UserUsage)
class UserUsageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each user's plan and what they used of it now (the numbers GET /api/usage shows them).
    Plans and per-user overrides are edited under Accounts."""

    list_display = ("email", "plan", "active_jobs", "jobs_today", "minutes_this_month")
    list_filter = ("user_plan__plan",)
    search_fields = ("email", "name")
    list_select_related = ("user_plan__plan",)
    ordering = ("email",)

    def get_queryset(self, request):
        return with_usage_counts(super().get_queryset(request), periods_at(timezone.now()))

    @admin.display(description="plan", ordering="user_plan__plan__name")
    def plan(self, user):
        user_plan = getattr(user, "user_plan", None)
        if user_plan is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:accounts_user_change", args=[user.pk]),
                           user_plan.plan.name)

    @admin.display(description="jobs queued or processing", ordering="active_jobs")
    def active_jobs(self, user) -> int:
        return user.active_jobs

    @admin.display(description="jobs today (UTC)", ordering="jobs_today")
    def jobs_today(self, user) -> int:
        return user.jobs_today

    @admin.display(description="video minutes this month (UTC)", ordering="seconds_this_month")
    def minutes_this_month(self, user) -> str:
        return f"{user.seconds_this_month / 60:.1f}"


@admin.register(JobCharge)
class JobChargeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger behind the usage numbers: one charge per run of a job, written only by the services."""

    list_display = ("created_at", "owner", "job", "status", "estimated_seconds", "seconds", "closed_at")
    list_filter = ("status", "created_at")
    search_fields = ("owner__email", "job__id")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"


@admin.register(PendingFileDeletion)
class PendingFileDeletionAdmin(admin.ModelAdmin):
    """Files of unfinished runs that storage could not delete yet; beat retries every minute."""

    list_display = ("prefix", "attempts", "last_error", "created_at")
    search_fields = ("prefix",)
    readonly_fields = ("prefix", "attempts", "last_error", "created_at")

    def has_add_permission(self, request):
        return False


# --- variant groups -----------------------------------------------------------------------------
class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    can_delete = False
    fields = ("position", "label", "overrides", "job_link", "job_status")
    readonly_fields = fields
    ordering = ("position",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("job")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Job")
    def job_link(self, variant: Variant) -> str:
        if variant.job_id is None:
            return "(deleted)"
        return format_html('<a href="{}">{}</a>', reverse("admin:ai_studio_videogenerationjob_change",
                                                          args=[variant.job_id]), variant.job_id)

    @admin.display(description="Status")
    def job_status(self, variant: Variant) -> str:
        return variant.job.get_status_display() if variant.job else "—"


class VariantGroupProgressFilter(admin.SimpleListFilter):
    title, parameter_name = "progress", "progress"

    def lookups(self, request, model_admin):
        return [("running", "Some variants queued or processing"), ("done", "Every variant finished")]

    def queryset(self, request, queryset):
        active = Q(variants__job__status__in=[JobStatus.QUEUED, JobStatus.PROCESSING])
        if self.value() == "running":
            return queryset.filter(active).distinct()
        if self.value() == "done":
            return queryset.exclude(active)
        return queryset


@admin.register(VariantGroup)
class VariantGroupAdmin(admin.ModelAdmin):
    """A/B tests users submit through the API: staff look, and may delete a group (its jobs stay)."""

    list_display = ("name", "owner", "campaign", "variant_count", "created_at")
    list_filter = (VariantGroupProgressFilter, "created_at", ("campaign", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "owner__email", "campaign__name", "variants__label")
    list_select_related = ("owner", "campaign")
    date_hierarchy = "created_at"
    readonly_fields = ("owner", "campaign", "name", "base", "settings", "created_at")
    inlines = [VariantInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(variant_total=Count("variants"))

    def has_add_permission(self, request):
        return False  # groups are submitted through the API

    @admin.display(description="variants", ordering="variant_total")
    def variant_count(self, group: VariantGroup) -> int:
        return group.variant_total
