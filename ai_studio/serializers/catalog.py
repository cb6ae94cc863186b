"""Catalog shapes: avatars, voices and music (read-only for users) and prompt templates."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ai_studio import templating
from ai_studio.models import AIAvatar, AIVoice, MusicTrack, PromptTemplate
from ai_studio.selectors.catalog import is_voice_available
from reelmate.storage import presigned_url


def _url(field_file) -> str | None:
    return presigned_url(field_file.name) if field_file else None


class AvatarSerializer(serializers.ModelSerializer):
    portrait_url = serializers.SerializerMethodField(help_text="Presigned, time-limited; null without a portrait.")
    thumbnail_url = serializers.SerializerMethodField(help_text="A 256px JPEG preview; presigned, time-limited.")
    default_voice_id = serializers.SerializerMethodField(
        help_text="The voice that suits this avatar, if it is available on this installation."
    )
    tags = serializers.ListField(child=serializers.CharField())
    lip_sync = serializers.SerializerMethodField(
        help_text="True: the avatar has a rig and its mouth follows the words; false: it moves with the voice's "
                  "loudness."
    )

    class Meta:
        model = AIAvatar
        fields = ("id", "name", "slug", "description", "gender", "age_range", "style", "tags", "framing",
                  "background_color", "default_voice_id", "is_premium", "lip_sync", "portrait_url", "thumbnail_url")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_portrait_url(self, avatar: AIAvatar) -> str | None:
        return _url(avatar.portrait)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, avatar: AIAvatar) -> str | None:
        return _url(avatar.portrait_thumbnail)

    def get_lip_sync(self, avatar: AIAvatar) -> bool:
        return bool(avatar.rig)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_default_voice_id(self, avatar: AIAvatar) -> int | None:
        return avatar.default_voice_id if is_voice_available(avatar.default_voice) else None


class LayoutSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="What a generation request's `layout` takes.")
    title = serializers.CharField()
    description = serializers.CharField()
    aspect_ratios = serializers.ListField(child=serializers.CharField(), help_text="Where it can be used.")
    needs_media = serializers.BooleanField(
        help_text="It shows the campaign's pictures and clips: a job with this layout needs media."
    )
    default_for = serializers.ListField(
        child=serializers.CharField(),
        help_text="Aspect ratios at which a job that leaves `layout` blank gets this layout (with media if it needs "
                  "media, without otherwise).",
    )


class VoiceSerializer(serializers.ModelSerializer):
    sample_url = serializers.SerializerMethodField(
        help_text="A short spoken preview (WAV or as uploaded); presigned; null until the worker made it."
    )

    class Meta:
        model = AIVoice
        fields = ("id", "name", "slug", "description", "provider", "provider_voice_id", "language", "accent",
                  "gender", "style", "speaking_rate", "is_premium", "sample_url")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_sample_url(self, voice: AIVoice) -> str | None:
        return _url(voice.sample_audio)


class MusicTrackSerializer(serializers.ModelSerializer):
    preview_url = serializers.SerializerMethodField(help_text="The track itself, to play before choosing it: an "
                                                               "absolute, presigned, time-limited URL.")
    duration_seconds = serializers.FloatField(help_text="The track's length; shorter than the reel, it loops.")
    licence = serializers.CharField(help_text="The terms under which reels may use it.")
    credit = serializers.CharField(help_text="Who to credit where the reel is posted, if the licence asks for it; "
                                             "may be empty.")

    class Meta:
        model = MusicTrack
        fields = ("id", "title", "slug", "mood", "description", "duration_seconds", "licence", "credit",
                  "preview_url")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_preview_url(self, track: MusicTrack) -> str:
        return presigned_url(track.audio.name)  # listed tracks always have their audio (active_music)


# --- prompt templates -------------------------------------------------------------------------
class TemplateVariableSerializer(serializers.Serializer):
    """Documents one declared variable (validation is ``ai_studio.templating.parse_variables``)."""

    name = serializers.RegexField(r"^" + templating.NAME_PATTERN + r"$")
    label = serializers.CharField(max_length=templating.MAX_LABEL_LENGTH, required=False)
    required = serializers.BooleanField(default=True)
    default = serializers.CharField(allow_blank=True, default="")
    max_length = serializers.IntegerField(min_value=1, max_value=templating.MAX_VALUE_LENGTH,
                                          default=templating.DEFAULT_MAX_LENGTH)


@extend_schema_field(TemplateVariableSerializer(many=True))
class TemplateVariablesField(serializers.JSONField):
    """The declared variables, validated as a whole with the body by ``services.templates``."""


class PromptTemplateSerializer(serializers.ModelSerializer):
    variables = TemplateVariablesField()
    is_system = serializers.BooleanField(read_only=True, help_text="Curated by staff; read-only for users.")
    is_own = serializers.SerializerMethodField(help_text="Yours: you can edit and delete it.")
    placeholders = serializers.SerializerMethodField(help_text="The variable names the body uses, in order.")

    class Meta:
        model = PromptTemplate
        fields = ("id", "name", "category", "description", "body", "variables", "placeholders", "tone",
                  "target_duration_seconds", "is_public", "is_system", "is_own", "usage_count", "created_at",
                  "updated_at")
        read_only_fields = fields

    def get_is_own(self, template: PromptTemplate) -> bool:
        request = self.context.get("request")
        return bool(request and template.owner_id is not None and template.owner_id == request.user.pk)

    def get_placeholders(self, template: PromptTemplate) -> list[str]:
        return templating.placeholders(template.body)


class PromptTemplateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    category = serializers.ChoiceField(choices=PromptTemplate._meta.get_field("category").choices)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    body = serializers.CharField(max_length=templating.SCRIPT_MAX_CHARS, trim_whitespace=True,
                                 help_text="The script, with {{variable}} placeholders for declared variables.")
    variables = TemplateVariablesField(required=False)
    tone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    target_duration_seconds = serializers.IntegerField(min_value=5, max_value=600, required=False)
    is_public = serializers.BooleanField(required=False, help_text="Shared with every user (read-only to them).")


class TemplateRenderInputSerializer(serializers.Serializer):
    variables = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, trim_whitespace=True), required=False,
        default=dict, help_text="Values for the template's variables, by name.",
    )


class RenderedScriptSerializer(serializers.Serializer):
    script = serializers.CharField()
    word_count = serializers.IntegerField()
    estimated_duration_seconds = serializers.FloatField(help_text="At about 150 spoken words a minute.")
    target_duration_seconds = serializers.IntegerField()
