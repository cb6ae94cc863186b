"""Variant group shapes: a group request (base, shared settings, 2-10 variants) and a group with its jobs.

Each variant is validated as the generation request it becomes (``GenerateVideoSerializer``): the
shared settings, then the variant's own changes, with the campaign and the variant's script. A
variant's errors are reported under ``variants.<index>``.
"""
from __future__ import annotations

from collections import Counter

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ai_studio.models import MAX_HEADLINE_CHARS, MAX_VARIANTS_PER_GROUP, MIN_VARIANTS, Layout, Variant, VariantGroup
from ai_studio.serializers.generation import MAX_SCRIPT_CHARS, GenerateVideoSerializer, GenerationJobSerializer
from ai_studio.services.variant_groups import VariantSpec, variant_script
from campaigns.selectors import campaigns_for

MAX_PIECE_CHARS = 2000
MAX_TITLE_CHARS = 200
# What a variant may change; everything else comes from the shared settings.
VARIANT_FIELDS = ("voice_id", "avatar_id", "layout", "headline")


class VariantBaseSerializer(serializers.Serializer):
    """A whole script, or its pieces as `POST /api/ai-studio/scripts/draft` returns them."""

    script = serializers.CharField(required=False, max_length=MAX_SCRIPT_CHARS,
                                   help_text="The whole script. A variant's `hook` replaces its first sentence.")
    hook = serializers.CharField(required=False, max_length=MAX_PIECE_CHARS,
                                 help_text="The opening line; variants may replace it.")
    body = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PIECE_CHARS, default="")
    call_to_action = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PIECE_CHARS, default="")

    def validate(self, attrs):
        if attrs.get("script") and attrs.get("hook"):
            raise serializers.ValidationError("Give either a script or its pieces (hook, body, call_to_action).")
        if not attrs.get("script") and not attrs.get("hook"):
            raise serializers.ValidationError({"hook": ["Give a script, or a hook with the body and call to action."]})
        if attrs.get("script"):
            attrs = {"script": attrs["script"]}  # the pieces are derived from it (see services.variant_groups)
        return attrs


class VariantSettingsSerializer(GenerateVideoSerializer):
    """The generation settings all variants share: a generation request without its script."""

    script = None
    template_id = None
    variables = None
    scenes = None
    campaign_id = None
    avatar_id = serializers.IntegerField(required=False, help_text="Required here unless every variant gives one.")
    voice_id = serializers.IntegerField(required=False, help_text="Required here unless every variant gives one.")

    def validate(self, attrs):
        return attrs  # the combinations are checked per variant, once each has its script


class VariantRequestSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                  help_text="How reports name it; empty: A, B, C... by position.")
    hook = serializers.CharField(max_length=MAX_PIECE_CHARS, required=False,
                                 help_text="Replaces the base's hook (its first sentence).")
    script = serializers.CharField(max_length=MAX_SCRIPT_CHARS, required=False,
                                   help_text="Replaces the whole script.")
    voice_id = serializers.IntegerField(required=False)
    avatar_id = serializers.IntegerField(required=False)
    layout = serializers.ChoiceField(Layout.choices, required=False, allow_blank=True)
    headline = serializers.CharField(max_length=MAX_HEADLINE_CHARS, required=False, allow_blank=True)


class VariantGroupCreateSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField(help_text="Your campaign the variants are made for.")
    name = serializers.CharField(max_length=150)
    base = VariantBaseSerializer()
    settings = VariantSettingsSerializer(required=False, help_text=(
        "Settings every variant shares, as for `POST /api/ai-studio/generate-video` (no script, template or "
        "scenes: the script comes from `base` and the variants)."))
    variants = VariantRequestSerializer(many=True, min_length=MIN_VARIANTS, max_length=MAX_VARIANTS_PER_GROUP,
                                        help_text=f"{MIN_VARIANTS}-{MAX_VARIANTS_PER_GROUP} variants, each changing "
                                                  "some of: hook or script, voice_id, avatar_id, layout, headline.")

    def validate_campaign_id(self, value):
        campaign = campaigns_for(self.context["request"].user).filter(pk=value).first()
        if campaign is None:
            raise serializers.ValidationError("No such campaign.")
        return campaign

    def validate(self, attrs):
        raw_settings = self.initial_data.get("settings") or {}
        settings = {key: value for key, value in raw_settings.items() if key in self.fields["settings"].fields}
        variants = attrs["variants"]
        labels = [variant["label"].strip() or _letter(index) for index, variant in enumerate(variants)]
        duplicated = {label.casefold() for label, seen in Counter(label.casefold() for label in labels).items()
                      if seen > 1}
        errors = {index: {"label": ["Each variant needs its own label."]}
                  for index, label in enumerate(labels) if label.casefold() in duplicated}
        for field in ("avatar_id", "voice_id"):
            if field not in settings and any(field not in variant for variant in variants):
                raise serializers.ValidationError({"settings": {field: ["Give it here, or in every variant."]}})
        shared = dict(settings)
        title = (settings.pop("title", "") or attrs["name"]).strip()
        specs = []
        for index, (variant, label) in enumerate(zip(variants, labels, strict=True)):
            overrides = {key: value for key, value in variant.items() if key != "label"}
            if overrides.get("hook") and overrides.get("script"):
                errors.setdefault(index, {})["hook"] = ["Give a hook or a whole script, not both."]
                continue
            request = GenerateVideoSerializer(data={
                **settings, **{key: overrides[key] for key in VARIANT_FIELDS if key in overrides},
                "campaign_id": attrs["campaign_id"].pk, "script": variant_script(attrs["base"], overrides),
                "title": f"{title} · {label}"[:MAX_TITLE_CHARS],
            }, context=self.context)
            if not request.is_valid():
                errors.setdefault(index, {}).update(request.errors)
            elif index not in errors:
                specs.append(VariantSpec(label=label, overrides=overrides, fields=request.to_job_fields()))
        if errors:
            raise serializers.ValidationError({"variants": errors})
        attrs["campaign"], attrs["settings"], attrs["specs"] = attrs.pop("campaign_id"), shared, specs
        return attrs


def _letter(index: int) -> str:
    return chr(ord("A") + index)


# --- Responses --------------------------------------------------------------------------------
class VariantSerializer(serializers.ModelSerializer):
    overrides = serializers.DictField(read_only=True, help_text="What this variant changes.")
    job = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = ("id", "position", "label", "overrides", "job")
        read_only_fields = fields

    @extend_schema_field(GenerationJobSerializer(allow_null=True))
    def get_job(self, variant: Variant):
        return GenerationJobSerializer(variant.job, context=self.context).data if variant.job else None


class VariantGroupSerializer(serializers.ModelSerializer):
    campaign_id = serializers.IntegerField(read_only=True, allow_null=True)
    batch_id = serializers.UUIDField(read_only=True, allow_null=True, help_text=(
        "The batch the group was submitted as: its progress, live events, `batch.completed` webhook, cancel, "
        "retry-failed and ZIP download (`/api/ai-studio/batches/:id`)."))
    base = serializers.DictField(read_only=True)
    settings = serializers.DictField(read_only=True, help_text="The shared settings, as submitted.")
    jobs_by_status = serializers.SerializerMethodField()
    results_url = serializers.SerializerMethodField(help_text="Each variant's audience, share link, and the "
                                                              "A/B comparison.")
    variants = VariantSerializer(many=True, read_only=True)

    class Meta:
        model = VariantGroup
        fields = ("id", "name", "campaign_id", "batch_id", "base", "settings", "created_at", "jobs_by_status",
                  "results_url", "variants")
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_jobs_by_status(self, group: VariantGroup) -> dict:
        return dict(Counter(variant.job.status for variant in group.variants.all() if variant.job))

    def get_results_url(self, group: VariantGroup) -> str:
        path = reverse("analytics-variant-group-report", kwargs={"pk": group.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path
