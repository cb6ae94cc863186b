"""Shapes of generation requests, jobs and videos."""
from __future__ import annotations

import functools
import json
from functools import cached_property

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ai_studio.generation.layout import LAYOUTS
from ai_studio.generation.pipeline import prepare_script
from ai_studio.models import (
    MAX_HEADLINE_CHARS,
    GeneratedVideo,
    JobStatus,
    Layout,
    LipSync,
    PromptTemplate,
    Resolution,
    VideoGenerationJob,
)
from ai_studio.selectors.catalog import (
    active_avatars,
    active_music,
    active_voices,
    is_voice_available,
    templates_visible_to,
)
from ai_studio.services.jobs import video_keys
from ai_studio.templating import TemplateError, render
from campaigns.models import Campaign
from campaigns.selectors import campaigns_for, media_for
from reelmate.api.fields import HexColorField
from reelmate.api.serializers import FastReadModelSerializer
from reelmate.models import HEX_COLOR_PATTERN, AspectRatio
from reelmate.outbound import UnsafeUrl, check_url
from reelmate.storage import presigned_url
from reelmate.webhook_signing import new_secret

MAX_SCRIPT_CHARS = 4096
MAX_METADATA_BYTES = 2048
MAX_SCENES = 20
MAX_END_CARD_TEXT_CHARS = 80
MIN_END_CARD_SECONDS, MAX_END_CARD_SECONDS, DEFAULT_END_CARD_SECONDS = 1.0, 5.0, 2.0
# An end card's text when the request gives none and the campaign has no call to action.
FALLBACK_END_CARD_TEXT = "Learn more"


def visible_template(user, template_id) -> PromptTemplate:
    """The template `user` may use (their own or a system one), or a field error."""
    template = templates_visible_to(user).filter(pk=template_id).first()
    if template is None:
        raise serializers.ValidationError("No such template.")
    return template


class CaptionStyleSerializer(serializers.Serializer):
    font_size = serializers.IntegerField(min_value=24, max_value=160, required=False)
    text_color = serializers.RegexField(HEX_COLOR_PATTERN, required=False)
    highlight_color = serializers.RegexField(HEX_COLOR_PATTERN, required=False)
    outline_color = serializers.RegexField(HEX_COLOR_PATTERN, required=False)
    position = serializers.ChoiceField(["top", "center", "bottom"], required=False)
    highlight_spoken_word = serializers.BooleanField(required=False)
    max_words_per_cue = serializers.IntegerField(min_value=1, max_value=8, required=False)


class EndCardSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_END_CARD_TEXT_CHARS, required=False, allow_blank=True)
    seconds = serializers.FloatField(min_value=MIN_END_CARD_SECONDS, max_value=MAX_END_CARD_SECONDS,
                                     required=False, default=DEFAULT_END_CARD_SECONDS)


END_CARD_DESCRIPTION = (
    "A card held after the speech with the campaign's logo and brand colour. `true`: the campaign's call to action "
    f"(or \"{FALLBACK_END_CARD_TEXT}\") for {DEFAULT_END_CARD_SECONDS:g} s; an object to choose `text` (at most "
    f"{MAX_END_CARD_TEXT_CHARS} characters; omitted: as for `true`; empty: logo and colour only) and `seconds` "
    f"({MIN_END_CARD_SECONDS:g}-{MAX_END_CARD_SECONDS:g}); `false`, `null` or absent: no end card. The video lasts "
    "the speech plus the end card."
)


@extend_schema_field({
    "oneOf": [
        {"type": "boolean"},
        {"type": "object", "additionalProperties": False, "properties": {
            "text": {"type": "string", "maxLength": MAX_END_CARD_TEXT_CHARS},
            "seconds": {"type": "number", "minimum": MIN_END_CARD_SECONDS, "maximum": MAX_END_CARD_SECONDS,
                        "default": DEFAULT_END_CARD_SECONDS},
        }},
    ],
    "nullable": True,
    "description": END_CARD_DESCRIPTION,
})
class EndCardField(serializers.Field):
    """``true``, ``false``/``null``, or ``{"text"?, "seconds"?}`` → None (no card) or the card's options
    (``text`` left out when the default applies: the serializer knows the campaign)."""

    default_error_messages = {"invalid": "Send true, false, or an object with optional `text` and `seconds`."}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data is False:
            return None
        if data is True:
            data = {}
        if not isinstance(data, dict):
            self.fail("invalid")
        unknown = set(data) - set(EndCardSerializer().fields)
        if unknown:
            raise serializers.ValidationError({key: ["Unknown option."] for key in sorted(unknown)})
        options = EndCardSerializer(data=data)
        options.is_valid(raise_exception=True)
        return dict(options.validated_data)

    def to_representation(self, value):
        return value


class SceneSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_SCRIPT_CHARS,
                                 help_text="What is said while this scene's media is on screen.")
    media_id = serializers.UUIDField(help_text="An image or clip in the campaign's media library.")


class GenerateVideoSerializer(serializers.Serializer):
    """Validates a generation request against the catalog and the user's own campaigns/templates."""

    avatar_id = serializers.IntegerField()
    voice_id = serializers.IntegerField()
    script = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True)
    template_id = serializers.IntegerField(required=False)
    variables = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=1000),
                                      required=False, default=dict)
    campaign_id = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    aspect_ratio = serializers.ChoiceField(AspectRatio.choices, required=False)
    resolution = serializers.ChoiceField(Resolution.choices, required=False, default=Resolution.HD)
    captions = serializers.BooleanField(required=False, default=True)
    caption_style = CaptionStyleSerializer(required=False, default=dict)
    background = HexColorField(required=False, allow_blank=True, default="")
    speed = serializers.FloatField(min_value=0.5, max_value=2.0, required=False, default=1.0)
    music_id = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text="A track from `GET /api/ai-studio/music`, laid under the voice: looped to the reel's length, "
                  "faded in and out and ducked while the voice speaks; the mix is normalised to -14 LUFS like a "
                  "voice alone. Its level is set by the mix, not chosen. Omit or null: the voice alone.",
    )
    metadata = serializers.DictField(required=False, default=dict)
    layout = serializers.ChoiceField(Layout.choices, required=False, allow_blank=True, default="",
                                     help_text="How the reel fills the frame (see `GET /api/ai-studio/layouts`); "
                                               "blank: the default for the aspect ratio. `product` needs media.")
    headline = serializers.CharField(max_length=MAX_HEADLINE_CHARS, required=False, allow_blank=True, default="",
                                     help_text="A hook shown large at the top for the opening seconds.")
    end_card = EndCardField(required=False, default=None)
    scenes = SceneSerializer(many=True, required=False, min_length=1, max_length=MAX_SCENES, help_text=(
        f"The script split into 1-{MAX_SCENES} scenes, each showing a media item of the campaign (`campaign_id` "
        "required) from its first word; the script is the scenes' texts joined by spaces. Instead of "
        "`script`/`template_id`."))
    media_id = serializers.UUIDField(required=False, help_text=(
        "One media item of the campaign (`campaign_id` required) shown for the whole reel, with a `script` or "
        "a template: shorthand for one scene holding the whole script."))

    callback_url = serializers.URLField(
        max_length=2000, required=False, allow_blank=True, default="",
        help_text="An http(s) URL told of this job's end (`job.completed` / `job.failed`), signed per Standard "
                  "Webhooks with the job's own `callback_secret` (in this answer only). Public addresses only.")

    def validate_callback_url(self, value):
        if value:
            try:
                check_url(value)
            except UnsafeUrl as error:
                raise serializers.ValidationError(error.message)
        return value

    def validate_avatar_id(self, value):
        avatar = active_avatars().filter(pk=value).first()
        if avatar is None:
            raise serializers.ValidationError("No active avatar with this id.")
        return avatar

    def validate_voice_id(self, value):
        voice = active_voices().filter(pk=value).first()
        if voice is None:
            raise serializers.ValidationError("No active voice with this id.")
        if not is_voice_available(voice):
            raise serializers.ValidationError(
                f"This voice needs the {voice.get_provider_display()} provider, which is not configured here.")
        return voice

    def validate_music_id(self, value):
        if value is None:
            return None
        track = active_music().filter(pk=value).first()
        if track is None:
            raise serializers.ValidationError("No active music track with this id.")
        return track

    def validate_campaign_id(self, value):
        if value is None:
            return None
        campaign = campaigns_for(self.context["request"].user).filter(pk=value).first()
        if campaign is None:
            raise serializers.ValidationError("No such campaign.")
        return campaign

    def validate_template_id(self, value):
        return visible_template(self.context["request"].user, value)

    def validate_metadata(self, value):
        try:
            encoded = json.dumps(value, allow_nan=False)
        except ValueError:
            raise serializers.ValidationError("Numbers must be finite (no NaN or Infinity).")
        if len(encoded) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"Keep metadata under {MAX_METADATA_BYTES} bytes of JSON.")
        return value

    def validate(self, attrs):
        scenes = attrs.get("scenes")
        if scenes and (attrs.get("script") or attrs.get("template_id") is not None):
            raise serializers.ValidationError(
                {"scenes": ["Send either scenes or a script (or template_id), not both: the scenes hold the script."]})
        if scenes and "media_id" in attrs:
            raise serializers.ValidationError(
                {"media_id": ["With scenes, give each scene its media_id; media_id alone is one media item for "
                              "the whole reel."]})
        if scenes:
            scenes = [{"text": prepare_script(scene["text"]), "media_id": scene["media_id"]} for scene in scenes]
            script = " ".join(scene["text"] for scene in scenes)
            too_long_field = "scenes"
        else:
            script = self._script(attrs)
            too_long_field = "script"
            if "media_id" in attrs:
                scenes = [{"text": prepare_script(script), "media_id": attrs["media_id"]}]
        if len(script) > MAX_SCRIPT_CHARS:
            raise serializers.ValidationError({too_long_field: [
                f"The script is {len(script)} characters; the limit is {MAX_SCRIPT_CHARS}."]})
        campaign: Campaign | None = attrs.get("campaign_id")
        attrs["rendered_script"] = script
        attrs["scenes"] = scenes or []
        attrs["media"] = self._media(attrs, campaign)
        layout = attrs.get("layout")
        if layout and LAYOUTS[layout].needs_media and not attrs["media"]:
            raise serializers.ValidationError(
                {"layout": [f"The {layout} layout shows the campaign's media: add scenes or a media_id."]})
        if layout and attrs["media"] and not LAYOUTS[layout].needs_media:
            raise serializers.ValidationError({"layout": [
                f"The {layout} layout shows no media: choose one that does (e.g. product), or leave it blank."]})
        end_card = attrs.get("end_card")
        if end_card is not None and "text" not in end_card:
            end_card["text"] = (campaign.call_to_action if campaign else "") or FALLBACK_END_CARD_TEXT
        return attrs

    def _script(self, attrs) -> str:
        template: PromptTemplate | None = attrs.get("template_id")
        script = attrs.get("script", "")
        if template is not None and script:
            raise serializers.ValidationError({"script": ["Send either a script or a template_id, not both."]})
        if template is not None:
            try:
                script = render(template.body, template.variables, attrs.get("variables") or {})
            except TemplateError as error:
                raise serializers.ValidationError(error.field_errors)
        if not script.strip():
            raise serializers.ValidationError({"script": ["Write a script, or choose a template."]})
        return script

    def _media(self, attrs, campaign: Campaign | None) -> list:
        """The campaign's media items the scenes show; each must be in the user's campaign of the job."""
        wanted = [scene["media_id"] for scene in attrs["scenes"]]
        if not wanted:
            return []
        if campaign is None:
            raise serializers.ValidationError(
                {"campaign_id": ["Choose the campaign whose media library the reel shows."]})
        found = {media.pk: media for media in
                 media_for(self.context["request"].user).filter(campaign=campaign, pk__in=wanted)}
        missing = "No media with this id in the campaign's media library."
        if "media_id" in attrs:
            if not found:
                raise serializers.ValidationError({"media_id": [missing]})
        elif len(found) < len(set(wanted)):
            # Keyed by the scene's index, as DRF reports the scenes' own field errors.
            raise serializers.ValidationError({"scenes": {
                index: {"media_id": [missing]} for index, media_id in enumerate(wanted) if media_id not in found}})
        return list(found.values())

    def to_job_fields(self) -> dict:
        return self.job_fields(self.validated_data)

    @staticmethod
    def job_fields(data: dict) -> dict:
        """The job's model fields from validated data (a batch validates many rows with one serializer)."""
        campaign = data.get("campaign_id")
        end_card = data.get("end_card")
        return {
            "avatar": data["avatar_id"], "voice": data["voice_id"], "campaign": campaign,
            "template": data.get("template_id"), "template_variables": data.get("variables") or {},
            "title": data["title"], "script": data["rendered_script"],
            "aspect_ratio": data.get("aspect_ratio") or (campaign.aspect_ratio if campaign else AspectRatio.PORTRAIT),
            "resolution": data["resolution"], "captions_enabled": data["captions"],
            "caption_style": data["caption_style"], "background_color": data["background"],
            "speed": data["speed"], "music": data["music_id"], "metadata": data["metadata"],
            "layout": data["layout"], "headline": data["headline"].strip(),
            "end_card": {"text": end_card["text"], "seconds": end_card["seconds"]} if end_card is not None else {},
            "scenes": [{"text": scene["text"], "media_id": str(scene["media_id"])} for scene in data["scenes"]],
            "media": data["media"],
            "callback_url": data["callback_url"],
            "callback_secret": new_secret() if data["callback_url"] else "",
        }


class JobEndCardSerializer(serializers.Serializer):
    text = serializers.CharField(required=False)
    seconds = serializers.FloatField(required=False)


class JobErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class VideoUrlsSerializer(serializers.Serializer):
    video = serializers.URLField()
    thumbnail = serializers.URLField()
    audio = serializers.URLField()
    captions_srt = serializers.URLField()
    captions_vtt = serializers.URLField()
    download = serializers.URLField(help_text="The video, saved by browsers as `<title>.mp4`.")


class GeneratedVideoSerializer(FastReadModelSerializer):
    """A finished reel; `urls` are fresh presigned URLs on every read."""

    urls = serializers.SerializerMethodField()
    job_id = serializers.UUIDField(read_only=True, allow_null=True)
    campaign_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = GeneratedVideo
        fields = ("id", "title", "job_id", "campaign_id", "aspect_ratio", "duration_seconds", "width", "height",
                  "fps", "size_bytes", "video_codec", "audio_codec", "checksum_sha256", "stage_timings",
                  "created_at", "urls")
        read_only_fields = fields

    @extend_schema_field(VideoUrlsSerializer)
    def get_urls(self, video: GeneratedVideo) -> dict:
        title = (video.title or "reel").strip().replace("/", "-")[:80]
        urls = {role: presigned_url(key) for role, key in video_keys(video).items()}
        urls["download"] = presigned_url(video.video_key, download_as=f"{title}.mp4")
        return urls


_PK_PLACEHOLDER = "job-id-placeholder"


@functools.lru_cache(maxsize=16)
def _status_path_template(urlconf: str, script_prefix: str) -> str:
    # Reversed once per process (per URLconf and prefix), not per polled job or page: a URL reversal
    # costs more than the rest of a job's fields.
    return reverse("generation-status-detail", kwargs={"pk": _PK_PLACEHOLDER}, urlconf=urlconf)


class GenerationJobSerializer(FastReadModelSerializer):
    # Read from the job's own columns: cached with the rest of a job's row (status_url reads the
    # request, video another row: computed on every call).
    row_method_fields = ("error", "callback_url")

    error = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    video = serializers.SerializerMethodField()
    avatar_id = serializers.IntegerField(read_only=True)
    voice_id = serializers.IntegerField(read_only=True)
    campaign_id = serializers.IntegerField(read_only=True, allow_null=True)
    template_id = serializers.IntegerField(read_only=True, allow_null=True)
    music_id = serializers.IntegerField(read_only=True, allow_null=True, help_text="The music bed, if any.")
    lip_sync = serializers.ChoiceField(choices=LipSync.choices, allow_blank=True, read_only=True,
                                       help_text="How the mouth followed the voice; empty until the job completes.")
    layout = serializers.ChoiceField(choices=Layout.choices, allow_blank=True, read_only=True,
                                     help_text="Empty: the engine's default layout for the aspect ratio.")
    end_card = JobEndCardSerializer(read_only=True, help_text="`{}` when the reel has no end card.")
    scenes = SceneSerializer(many=True, read_only=True, help_text="Empty when the reel shows no media.")
    callback_url = serializers.SerializerMethodField(help_text="The job's one-off webhook, if it has one.")
    batch_id = serializers.UUIDField(read_only=True, allow_null=True, help_text="The batch it is a row of, if any.")
    batch_row = serializers.IntegerField(read_only=True, allow_null=True, help_text="Its row in the batch (from 0).")

    class Meta:
        model = VideoGenerationJob
        fields = ("id", "status", "stage", "progress", "error", "title", "script", "avatar_id", "voice_id",
                  "campaign_id", "template_id", "music_id", "aspect_ratio", "resolution", "captions_enabled",
                  "caption_style", "background_color", "speed", "metadata", "layout", "headline", "end_card", "scenes",
                  "attempts", "user_retries", "speech_provider", "lip_sync", "stage_timings", "total_seconds",
                  "cancel_requested", "callback_url", "created_at", "started_at", "completed_at", "status_url",
                  "video", "batch_id", "batch_row")
        read_only_fields = fields

    @extend_schema_field(JobErrorSerializer(allow_null=True))
    def get_error(self, job: VideoGenerationJob):
        if not job.error_code:
            return None
        return {"code": job.error_code, "message": job.error_message}

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_callback_url(self, job: VideoGenerationJob) -> str | None:
        return job.callback_url or None

    def get_status_url(self, job: VideoGenerationJob) -> str:
        return self._status_url_template.replace(_PK_PLACEHOLDER, str(job.pk))

    @cached_property
    def _status_url_template(self) -> str:
        path = _status_path_template(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(GeneratedVideoSerializer(allow_null=True))
    def get_video(self, job: VideoGenerationJob):
        if job.status != JobStatus.COMPLETED:
            return None
        video = getattr(job, "video", None)
        return self._video_serializer.to_representation(video) if video else None

    @cached_property
    def _video_serializer(self) -> GeneratedVideoSerializer:
        # One for the whole page: building a ModelSerializer's fields costs more than using them.
        return GeneratedVideoSerializer(context=self.context)


class SubmittedJobSerializer(GenerationJobSerializer):
    """The answer to a generation request: the job, and the secret that signs its callback."""

    callback_secret = serializers.SerializerMethodField(help_text=(
        "With a `callback_url`: the `whsec_...` secret that signs its requests (verify with any Standard Webhooks "
        "library). Shown here only (and on an idempotent replay); null without a callback_url."))

    class Meta(GenerationJobSerializer.Meta):
        fields = (*GenerationJobSerializer.Meta.fields, "callback_secret")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_callback_secret(self, job: VideoGenerationJob) -> str | None:
        return job.callback_secret or None
