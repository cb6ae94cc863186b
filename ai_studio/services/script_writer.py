"""Scripts that sell: drafts written from a campaign's brief, and translations of a script.

Drafts come from the language model when one is configured (``source: "model"``): the brief, the
optional template and the requirements go to it as data, and its variants are checked
(``ai_studio.writing.checks``) before they are returned. Without one (``source: "template"``),
the system templates that best match the brief are filled from it (``ai_studio.writing.templates``).
Translations need the model; without one they are refused (503 ``writer_unavailable``).

A target duration becomes a word budget at the speaking rate of the chosen voice
(``ai_studio.writing.pacing``), and every script's spoken duration is estimated at that rate.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ai_studio import templating
from ai_studio.generation.speech.espeak_engine import ESPEAK_VOICE_NAMES
from ai_studio.models import AIVoice, PromptTemplate, VoiceProvider, WriterPurpose
from ai_studio.selectors.catalog import (
    active_voices,
    get_active_voice,
    get_visible_template,
    speaking,
    system_templates,
)
from ai_studio.services.language_model import CODES, ask_for_json, writer_available
from ai_studio.writing import checks, pacing, prompts
from ai_studio.writing.brief import Brief, names_to_keep
from ai_studio.writing.templates import (
    FilledTemplate,
    TemplateOption,
    UnfilledVariables,
    best_filled,
    fill,
    split_script,
)
from campaigns.models import Campaign
from reelmate.errors import Invalid, NotFound, Unavailable

DEFAULT_LANGUAGE = "en-US"


@dataclass(frozen=True)
class ScriptVariant:
    hook: str
    body: str
    call_to_action: str
    script: str
    word_count: int
    estimated_duration_seconds: float
    template_id: int | None = None
    template_name: str = ""
    defaulted_variables: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Drafts:
    source: str  # "model" | "template"
    language: str
    budget: pacing.WordBudget
    variants: list[ScriptVariant]
    voice: AIVoice | None
    model: str | None = None
    prompt_version: int | None = None
    notice: str = ""


@dataclass(frozen=True)
class TranslatedScript:
    language: str
    script: str
    call_to_action: str
    word_count: int
    estimated_duration_seconds: float
    voice: AIVoice | None  # an active voice that speaks the language, if the catalog has one


@dataclass(frozen=True)
class Translations:
    source_language: str
    kept_names: list[str]
    call_to_action: str
    translations: list[TranslatedScript]
    model: str
    prompt_version: int | None


def brief_of(campaign: Campaign) -> Brief:
    return Brief(
        campaign_name=campaign.name, brand_name=campaign.brand_name, product_name=campaign.product_name,
        product_description=campaign.product_description, key_benefit=campaign.key_benefit,
        target_audience=campaign.target_audience, objective=campaign.objective, platforms=list(campaign.platforms),
        call_to_action=campaign.call_to_action, brand_voice=campaign.brand_voice,
    )


def engine_of(voice: AIVoice | None) -> str:
    """The speech engine whose pace a voice has (no voice: a natural one)."""
    if voice is None:
        return pacing.PIPER
    if voice.provider == VoiceProvider.OPENAI:
        return pacing.OPENAI
    return pacing.ESPEAK if voice.provider_voice_id in ESPEAK_VOICE_NAMES else pacing.PIPER


# --- drafts -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _DraftRequest:
    """What a draft is written from, resolved and checked."""

    user: object
    brief: Brief
    template: PromptTemplate | None
    tone: str
    seconds: int
    language: str
    count: int
    voice: AIVoice | None
    budget: pacing.WordBudget
    variables: dict[str, str]


def draft_scripts(*, user, campaign: Campaign, template_id: int | None = None, tone: str = "",
                  target_duration_seconds: int = 30, language: str = "", variants: int = 3,
                  voice_id: int | None = None, speed: float = 1.0, variables: dict[str, str] | None = None) -> Drafts:
    """1-5 script variants for ``campaign`` (the user's own), from the model or, without one, from templates.

    Raises ``NotFound`` (the campaign or template is not the user's), ``Invalid`` (no product or
    brand name in the brief, a voice that does not speak the language, a template variable that
    nothing fills) and ``Unavailable`` (the model failed; or, without one, a language the system
    templates are not written in).
    """
    if campaign.owner_id != user.pk:
        raise NotFound("No such campaign.")
    template = _template(user, template_id)
    voice = _voice(voice_id)
    language = language or (voice.language if voice else DEFAULT_LANGUAGE)
    if voice is not None and pacing.primary_language(voice.language) != pacing.primary_language(language):
        raise Invalid(fields={"voice_id": [f"This voice speaks {voice.language}, not {language}."]})
    brief = brief_of(campaign)
    if not brief.names:
        raise Invalid("Give the campaign a product or brand name first: a script has to say what it sells.",
                      code="brief_incomplete", fields={"campaign_id": ["The campaign has no product or brand name."]})
    budget = pacing.WordBudget.for_duration(target_duration_seconds,
                                            pacing.words_per_second(engine_of(voice), language, speed))
    request = _DraftRequest(user=user, brief=brief, template=template, tone=tone, seconds=target_duration_seconds,
                            language=language, count=variants, voice=voice, budget=budget,
                            variables=dict(variables or {}))
    return _drafts_from_model(request) if writer_available() else _drafts_from_templates(request)


def _drafts_from_model(request: _DraftRequest) -> Drafts:
    budget, template = request.budget, request.template
    requirements = {
        "language": request.language, "variants": request.count, "tone": request.tone,
        "target_duration_seconds": request.seconds,
        "word_budget": {"target": budget.target, "min": budget.minimum, "max": budget.maximum},
    }
    template_data = None
    if template is not None:
        template_data = {"name": template.name, "body": template.body, "tone": template.tone,
                         "variables": template.variables, "values": request.variables}
    answer = ask_for_json(
        user=request.user, purpose=WriterPurpose.DRAFT, schema_name="script_drafts", schema=prompts.DRAFT_SCHEMA,
        document=prompts.draft_document(request.brief.as_data(), template_data, requirements),
        check=lambda content: checks.check_drafts(content, count=request.count, budget=budget,
                                                  names=request.brief.names),
    )
    return Drafts(
        source="model", language=request.language, budget=budget, voice=request.voice, model=answer.model,
        prompt_version=answer.prompt_version,
        variants=[ScriptVariant(variant.hook, variant.body, variant.call_to_action, variant.script,
                                variant.word_count, budget.seconds_for(variant.word_count),
                                template_id=template.pk if template else None,
                                template_name=template.name if template else "")
                  for variant in answer.result],
    )


def _drafts_from_templates(request: _DraftRequest) -> Drafts:
    if request.template is not None:  # the user's choice, in whatever language it is written
        try:
            filled = [fill(_option(request.template), request.brief, request.variables)]
        except UnfilledVariables as missing:
            raise Invalid(code="template_variables_missing", fields={"variables": {
                name: ["Neither the brief nor the template fills this; give a value."] for name in missing.names
            }}) from None
        notice = "No language model is configured on this server: this is your template, filled from the brief."
    else:
        if pacing.primary_language(request.language) != "en":
            raise Unavailable(f"{CODES['writer_unavailable']} Drafting in {request.language} needs it: the system "
                              f"templates are in English. Choose one of your own templates in {request.language}, "
                              f"or draft in English.", code="writer_unavailable")
        options = [_option(row) for row in system_templates()]
        filled = best_filled(options, request.brief, tone=request.tone, target_seconds=request.seconds,
                             count=request.count, given=request.variables)
        if not filled:
            raise Invalid("No system template can be filled from this brief: add a key benefit and a call to "
                          "action to the campaign, or give the template's variables.", code="brief_incomplete")
        notice = ("No language model is configured on this server: these are the system templates that best "
                  "match the brief, filled from it.")
        if len(filled) < request.count:
            notice += f" Only {len(filled)} of them fit the brief."
    defaulted = sorted({name for item in filled for name in item.defaulted})
    if defaulted:
        notice += f" Check the values the templates' defaults gave: {', '.join(defaulted)}."
    return Drafts(source="template", language=request.language, budget=request.budget, voice=request.voice,
                  notice=notice, variants=[_template_variant(item, request.budget) for item in filled])


def _template_variant(filled: FilledTemplate, budget: pacing.WordBudget) -> ScriptVariant:
    words = templating.count_words(filled.script)
    return ScriptVariant(filled.hook, filled.body, filled.call_to_action, filled.script, words,
                         budget.seconds_for(words), template_id=filled.template.id,
                         template_name=filled.template.name, defaulted_variables=filled.defaulted)


def _option(template: PromptTemplate) -> TemplateOption:
    return TemplateOption(id=template.pk, name=template.name, category=template.category, tone=template.tone,
                          target_duration_seconds=template.target_duration_seconds, body=template.body,
                          variables=template.variables)


def _template(user, template_id: int | None) -> PromptTemplate | None:
    if template_id is None:
        return None
    template = get_visible_template(user, template_id)
    if template is None:
        raise NotFound("No such template.")
    return template


def _voice(voice_id: int | None) -> AIVoice | None:
    if voice_id is None:
        return None
    voice = get_active_voice(voice_id)
    if voice is None:
        raise Invalid(fields={"voice_id": ["No such voice, or it is not available."]})
    return voice


# --- translations -----------------------------------------------------------------------------
def translate_script(*, user, script: str, languages: list[str], source_language: str = "en",
                     campaign: Campaign | None = None, brand_names: list[str] | None = None,
                     call_to_action: str = "") -> Translations:
    """``script`` in each of ``languages``, keeping its ``{{variables}}``, names and call to action.

    The names kept are those given, the campaign's brand and product names, and brand-like words
    found in the script (``writing.brief.detect_brand_names``); the call to action is the one
    given, else the campaign's if the script contains it, else the script's last sentence.
    Raises ``Unavailable`` (no model, or it failed), ``Invalid`` and ``NotFound``.
    """
    if campaign is not None and campaign.owner_id != user.pk:
        raise NotFound("No such campaign.")
    if not writer_available():
        raise Unavailable(f"{CODES['writer_unavailable']} Translating a script needs it.", code="writer_unavailable")
    brief = brief_of(campaign) if campaign else Brief()
    names = names_to_keep(script, [*(brand_names or []), *brief.names])
    cta = _call_to_action(script, call_to_action, brief)
    answer = ask_for_json(
        user=user, purpose=WriterPurpose.TRANSLATE, schema_name="script_translations",
        schema=prompts.TRANSLATION_SCHEMA,
        document=prompts.translation_document(script, languages, names, cta, source_language),
        check=lambda content: checks.check_translations(content, source=script, source_language=source_language,
                                                        languages=languages, names=names, call_to_action=cta),
    )
    return Translations(source_language=source_language, kept_names=names, call_to_action=cta,
                        model=answer.model, prompt_version=answer.prompt_version,
                        translations=[_translated(item) for item in answer.result])


def _call_to_action(script: str, given: str, brief: Brief) -> str:
    if given:
        if given.casefold() not in script.casefold():
            raise Invalid(fields={"call_to_action": ["The script does not contain this call to action."]})
        return given
    if brief.call_to_action and brief.call_to_action.casefold() in script.casefold():
        return brief.call_to_action
    hook, body, last = split_script(script)
    return last or body or hook


def _translated(translation: checks.Translation) -> TranslatedScript:
    voice = speaking(active_voices(), translation.language).first() or speaking(
        active_voices(), pacing.primary_language(translation.language)).first()
    rate = pacing.words_per_second(engine_of(voice), translation.language)
    return TranslatedScript(translation.language, translation.script, translation.call_to_action,
                            translation.word_count, round(translation.word_count / rate, 1), voice)
