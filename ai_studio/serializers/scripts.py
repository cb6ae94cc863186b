"""Script writer shapes: a draft request and its variants, a translation request and its translations."""
from __future__ import annotations

from rest_framework import serializers

from ai_studio import templating

LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$"
MAX_VARIANTS = 5
MAX_LANGUAGES = 5
DRAFT_SOURCES = [("model", "model"), ("template", "template")]


class LanguageTagField(serializers.RegexField):
    """A BCP-47 language tag such as ``en``, ``de-DE`` or ``pt-BR``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": "Use a BCP-47 language tag, e.g. en, de-DE or pt-BR."})
        super().__init__(LANGUAGE_TAG, max_length=35, **kwargs)


class DraftRequestSerializer(serializers.Serializer):
    campaign_id = serializers.IntegerField(help_text="Your campaign whose brief the scripts are written from.")
    template_id = serializers.IntegerField(required=False, allow_null=True,
                                           help_text="A template to follow (a system template or one you can "
                                                     "use). Without a language model, it is filled from the brief.")
    tone = serializers.CharField(max_length=50, required=False, allow_blank=True, default="",
                                 help_text="e.g. playful, urgent, heartfelt; empty: the campaign's brand voice.")
    target_duration_seconds = serializers.IntegerField(min_value=5, max_value=120, default=30)
    language = LanguageTagField(required=False, allow_blank=True, default="",
                                help_text="The script's language; empty: the voice's, else en-US.")
    variants = serializers.IntegerField(min_value=1, max_value=MAX_VARIANTS, default=3,
                                        help_text="How many scripts, each with its own hook.")
    voice_id = serializers.IntegerField(required=False, allow_null=True,
                                        help_text="The voice that will speak it: sets the speaking rate (and the "
                                                  "language, if none is given).")
    speed = serializers.FloatField(min_value=0.5, max_value=2.0, default=1.0,
                                   help_text="The speed the video will be generated at.")
    variables = serializers.DictField(
        child=serializers.CharField(max_length=templating.MAX_VALUE_LENGTH, allow_blank=True), required=False,
        default=dict, help_text="Values for the template's variables that the brief does not give, by name.",
    )


class WordBudgetSerializer(serializers.Serializer):
    target = serializers.IntegerField(help_text="Words that fit the target duration at the voice's rate.")
    min = serializers.IntegerField(source="minimum")
    max = serializers.IntegerField(source="maximum")
    words_per_second = serializers.FloatField(help_text="The voice's measured speaking rate at this speed.")


class ScriptVariantSerializer(serializers.Serializer):
    hook = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    call_to_action = serializers.CharField(allow_blank=True)
    script = serializers.CharField(help_text="hook, body and call to action: what the video says.")
    word_count = serializers.IntegerField()
    estimated_duration_seconds = serializers.FloatField(help_text="At the voice's speaking rate.")
    template_id = serializers.IntegerField(allow_null=True)
    template_name = serializers.CharField(allow_blank=True)
    defaulted_variables = serializers.ListField(child=serializers.CharField(),
                                                help_text="Template variables filled from the template's own "
                                                          "defaults, not from the brief: check them.")


class DraftsSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=DRAFT_SOURCES,
                                     help_text="model: written by the language model; template: system templates "
                                               "filled from the brief (no language model configured).")
    language = serializers.CharField()
    word_budget = WordBudgetSerializer(source="budget")
    voice_id = serializers.IntegerField(source="voice.pk", allow_null=True, default=None)
    model = serializers.CharField(allow_null=True)
    prompt_version = serializers.IntegerField(allow_null=True,
                                              help_text="The writer instructions' version; null: the built-in one.")
    notice = serializers.CharField(allow_blank=True)
    variants = ScriptVariantSerializer(many=True)


class TranslateRequestSerializer(serializers.Serializer):
    script = serializers.CharField(max_length=templating.SCRIPT_MAX_CHARS,
                                   help_text="The script; {{variables}} in it are kept as they are.")
    languages = serializers.ListField(child=LanguageTagField(), min_length=1, max_length=MAX_LANGUAGES,
                                      help_text="BCP-47 tags of the languages to translate into.")
    source_language = LanguageTagField(required=False, default="en")
    campaign_id = serializers.IntegerField(required=False, allow_null=True,
                                           help_text="Your campaign: its brand and product names and call to "
                                                     "action are kept.")
    brand_names = serializers.ListField(child=serializers.CharField(max_length=100), max_length=20, required=False,
                                        default=list, help_text="Further names to keep as written.")
    call_to_action = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                           help_text="The call to action in the script; empty: the campaign's, "
                                                     "else the script's last sentence.")

    def validate_script(self, value: str) -> str:
        if not templating.count_words(value):
            raise serializers.ValidationError("The script has no words.")
        return value

    def validate_languages(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class TranslatedScriptSerializer(serializers.Serializer):
    language = serializers.CharField()
    script = serializers.CharField()
    call_to_action = serializers.CharField()
    word_count = serializers.IntegerField()
    estimated_duration_seconds = serializers.FloatField()
    voice_id = serializers.IntegerField(source="voice.pk", allow_null=True, default=None,
                                        help_text="An available voice that speaks this language; null if the "
                                                  "catalog has none (see GET /api/ai-studio/voices?language=).")


class TranslationsSerializer(serializers.Serializer):
    source_language = serializers.CharField()
    kept_names = serializers.ListField(child=serializers.CharField(),
                                       help_text="Names kept as written: given, the campaign's, and detected.")
    call_to_action = serializers.CharField(help_text="The original's call to action, kept in every translation.")
    model = serializers.CharField()
    prompt_version = serializers.IntegerField(allow_null=True)
    translations = TranslatedScriptSerializer(many=True)
