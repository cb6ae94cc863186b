"""Shapes of generation requests, jobs and videos."""
from __future__ import annotations

import json

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ai_studio.models import GeneratedVideo, JobStatus, PromptTemplate, Resolution, VideoGenerationJob
from ai_studio.selectors.catalog import (
    active_avatars,
    active_music,
    active_voices,
    is_voice_available,
    templates_visible_to,
)
from ai_studio.services.jobs import video_keys
from ai_studio.templating import TemplateError, render
from campaigns.selectors import campaigns_for
from reelmate.api.fields import HexColorField
from reelmate.models import HEX_COLOR_PATTERN, AspectRatio
from reelmate.storage import presigned_url

MAX_SCRIPT_CHARS = 4096
MAX_METADATA_BYTES = 2048


class CaptionStyleSerializer(serializers.Serializer):
    font_size = serializers.IntegerField(min_value=24, max_value=160, required=False)
    text_color = serializers.RegexField(HEX_COLOR_PATTERN, required=False)
    highlight_color = serializers.RegexField(HEX_COLOR_PATTERN, required=False)
    outline_color = serializers.RegexField(HEX_COLOR_PATTERN, required=False)
    position = serializers.ChoiceField(["top", "center", "bottom"], required=False)
    highlight_spoken_word = serializers.BooleanField(required=False)
    max_words_per_cue = serializers.IntegerField(min_value=1, max_value=8, required=False)


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
        template = templates_visible_to(self.context["request"].user).filter(pk=value).first()
        if template is None:
            raise serializers.ValidationError("No such template.")
        return template

    def validate_metadata(self, value):
        try:
            encoded = json.dumps(value, allow_nan=False)
        except ValueError:
            raise serializers.ValidationError("Numbers must be finite (no NaN or Infinity).")
        if len(encoded) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"Keep metadata under {MAX_METADATA_BYTES} bytes of JSON.")
        return value

    def validate(self, attrs):
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
        if len(script) > MAX_SCRIPT_CHARS:
            raise serializers.ValidationError(
                {"script": [f"The script is {len(script)} characters; the limit is {MAX_SCRIPT_CHARS}."]})
        attrs["rendered_script"] = script
        return attrs

    def to_job_fields(self) -> dict:
        data = self.validated_data
        campaign = data.get("campaign_id")
        return {
            "avatar": data["avatar_id"], "voice": data["voice_id"], "campaign": campaign,
            "template": data.get("template_id"), "template_variables": data.get("variables") or {},
            "title": data["title"], "script": data["rendered_script"],
            "aspect_ratio": data.get("aspect_ratio") or (campaign.aspect_ratio if campaign else AspectRatio.PORTRAIT),
            "resolution": data["resolution"], "captions_enabled": data["captions"],
            "caption_style": data["caption_style"], "background_color": data["background"],
            "speed": data["speed"], "music": data["music_id"], "metadata": data["metadata"],
        }


class JobErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class VideoUrlsSerializer(serializers.Serializer):
    video = serializers.URLField()
    thumbnail = serializers.URLField()
    audio = serializers.URLField()
    captions_srt = serializers.URLField()
    captions_vtt = serializers.URLField()


class GeneratedVideoSerializer(serializers.ModelSerializer):
    """A finished reel; `urls` are fresh presigned URLs on every read."""

    urls = serializers.SerializerMethodField()
    job_id = serializers.UUIDField(read_only=True)
    campaign_id = serializers.IntegerField(read_only=True)

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


class GenerationJobSerializer(serializers.ModelSerializer):
    error = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    video = serializers.SerializerMethodField()
    avatar_id = serializers.IntegerField(read_only=True)
    voice_id = serializers.IntegerField(read_only=True)
    campaign_id = serializers.IntegerField(read_only=True)
    template_id = serializers.IntegerField(read_only=True)
    music_id = serializers.IntegerField(read_only=True, allow_null=True, help_text="The music bed, if any.")

    class Meta:
        model = VideoGenerationJob
        fields = ("id", "status", "stage", "progress", "error", "title", "script", "avatar_id", "voice_id",
                  "campaign_id", "template_id", "music_id", "aspect_ratio", "resolution", "captions_enabled",
                  "caption_style", "background_color", "speed", "metadata", "attempts", "speech_provider", "lip_sync",
                  "stage_timings", "total_seconds", "cancel_requested", "created_at", "started_at", "completed_at",
                  "status_url", "video")
        read_only_fields = fields

    @extend_schema_field(JobErrorSerializer(allow_null=True))
    def get_error(self, job: VideoGenerationJob):
        if not job.error_code:
            return None
        return {"code": job.error_code, "message": job.error_message}

    def get_status_url(self, job: VideoGenerationJob) -> str:
        path = reverse("generation-status-detail", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(GeneratedVideoSerializer(allow_null=True))
    def get_video(self, job: VideoGenerationJob):
        if job.status != JobStatus.COMPLETED:
            return None
        video = getattr(job, "video", None)
        return GeneratedVideoSerializer(video, context=self.context).data if video else None
