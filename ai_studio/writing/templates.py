"""Drafts without a language model: the system templates that best match a brief, filled from it.

**Filling.** A template variable takes its value from the request's own ``variables`` first, then
from the brief field that means the same (``BRIEF_FIELDS``: ``product`` ← product name, else brand
name; ``audience`` ← target audience; ``cta`` ← call to action; ``benefit``, ``news``,
``highlight`` ← key benefit...), then from the template's default. A value longer than the
variable allows is not used. A template whose required variables cannot all be filled is not
offered.

**Scoring** (highest first; ties go to the closer duration, then the name):

- objective: +3 when the template's category serves the campaign's objective (``OBJECTIVE_CATEGORIES``);
- platform: +1 when it suits one of the campaign's platforms (``PLATFORM_CATEGORIES``);
- tone: +2 when the template's tone is the tone asked for (or a word of the brand voice), +1 when
  it is of the same family (``TONE_FAMILIES``);
- duration: up to +1, less the further the template's target duration is from the one asked for
  (``1 - |difference| / asked``, at least 0);
- defaults: -1 for each required variable filled from the template's default rather than from the
  brief, since a default ("30%", "midnight tonight") is the template's claim, not the brand's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ai_studio import templating

from .brief import Brief

# Template variable → the brief fields that can fill it, in order of preference.
BRIEF_FIELDS: dict[str, tuple[str, ...]] = {
    "product": ("product_name", "brand_name"),
    "brand": ("brand_name", "product_name"),
    "audience": ("target_audience",),
    "cta": ("call_to_action",),
    "benefit": ("key_benefit",),
    "news": ("key_benefit",),
    "highlight": ("key_benefit",),
}
OBJECTIVE_CATEGORIES: dict[str, set[str]] = {
    "awareness": {"product_launch", "announcement", "behind_the_scenes"},
    "traffic": {"explainer", "how_to", "promo"},
    "engagement": {"testimonial", "how_to", "behind_the_scenes", "event"},
    "conversions": {"promo", "product_launch", "testimonial"},
    "app_installs": {"product_launch", "explainer", "promo"},
}
PLATFORM_CATEGORIES: dict[str, set[str]] = {
    "tiktok": {"product_launch", "promo", "how_to"},
    "instagram_reels": {"testimonial", "behind_the_scenes", "product_launch"},
    "youtube_shorts": {"explainer", "how_to"},
    "facebook": {"testimonial", "event", "announcement"},
}
TONE_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"excited", "energetic", "urgent", "playful", "bold", "fun", "hype"}),
    frozenset({"conversational", "friendly", "authentic", "personal", "heartfelt", "casual", "warm", "inviting"}),
    frozenset({"confident", "proud", "authoritative", "professional", "premium", "expert"}),
    frozenset({"clear", "helpful", "educational", "informative", "calm"}),
    frozenset({"mysterious", "curious", "teasing"}),
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class TemplateOption:
    """A template as the matcher sees it (built from a ``PromptTemplate`` row)."""

    id: int
    name: str
    category: str
    tone: str
    target_duration_seconds: int
    body: str
    variables: list[dict]


@dataclass(frozen=True)
class FilledTemplate:
    template: TemplateOption
    script: str
    hook: str
    body: str
    call_to_action: str
    values: dict[str, str]
    defaulted: list[str] = field(default_factory=list)  # required variables the template's defaults filled
    score: float = 0.0


class UnfilledVariables(Exception):
    """Required variables that neither the request, the brief nor a default fills."""

    def __init__(self, names: list[str]):
        super().__init__(", ".join(names))
        self.names = names


def fill(template: TemplateOption, brief: Brief, given: dict[str, str]) -> FilledTemplate:
    """The template's script from the request's values, the brief and its defaults; raises ``UnfilledVariables``."""
    values: dict[str, str] = {}
    defaulted: list[str] = []
    unfilled: list[str] = []
    for variable in templating.parse_variables(template.variables):
        candidates = [given.get(variable.name, ""), *(getattr(brief, name) for name in
                                                     BRIEF_FIELDS.get(variable.name, ()))]
        value = next((" ".join(text.split()) for text in candidates
                      if text and text.strip() and len(" ".join(text.split())) <= variable.max_length), "")
        if value:
            values[variable.name] = value
        elif variable.required and variable.default:
            defaulted.append(variable.name)
        elif variable.required:
            unfilled.append(variable.name)
    if unfilled:
        raise UnfilledVariables(unfilled)
    script = templating.render(template.body, template.variables, values)
    hook, body, call_to_action = split_script(script, values.get("cta", ""))
    return FilledTemplate(template, script, hook, body, call_to_action, values, defaulted)


def split_script(script: str, call_to_action: str = "") -> tuple[str, str, str]:
    """(hook, body, call to action): the first sentence, the middle, and the given call to action if
    the script ends with it (else its last sentence, when there are three or more)."""
    sentences = _SENTENCE_BREAK.split(script.strip())
    hook, rest = sentences[0], " ".join(sentences[1:])
    if call_to_action and rest.endswith(call_to_action):
        return hook, rest[: -len(call_to_action)].strip(), call_to_action
    if len(sentences) >= 3:
        return hook, " ".join(sentences[1:-1]), sentences[-1]
    return hook, rest, ""


def score(template: TemplateOption, brief: Brief, *, tone: str, target_seconds: int, defaulted: int) -> float:
    """How well a template suits the brief; see the module docstring for the scale."""
    points = 0.0
    if template.category in OBJECTIVE_CATEGORIES.get(brief.objective, set()):
        points += 3
    if any(template.category in PLATFORM_CATEGORIES.get(platform, set()) for platform in brief.platforms):
        points += 1
    points += _tone_points(template.tone, tone or brief.brand_voice)
    points += max(0.0, 1 - abs(template.target_duration_seconds - target_seconds) / max(target_seconds, 1))
    return round(points - defaulted, 3)


def _tone_points(template_tone: str, wanted: str) -> int:
    tone = template_tone.strip().lower()
    words = set(re.findall(r"[a-z]+", wanted.lower()))
    if not tone or not words:
        return 0
    if tone in words:
        return 2
    family = next((family for family in TONE_FAMILIES if tone in family), frozenset())
    return 1 if family & words else 0


def best_filled(options: list[TemplateOption], brief: Brief, *, tone: str, target_seconds: int,
                count: int, given: dict[str, str]) -> list[FilledTemplate]:
    """Up to ``count`` templates the brief can fill, best first (see the module docstring)."""
    filled = []
    for option in options:
        try:
            candidate = fill(option, brief, given)
        except (UnfilledVariables, templating.TemplateError):
            continue
        points = score(option, brief, tone=tone, target_seconds=target_seconds, defaulted=len(candidate.defaulted))
        filled.append(replace(candidate, score=points))
    filled.sort(key=lambda item: (-item.score, abs(item.template.target_duration_seconds - target_seconds),
                                  item.template.name))
    return filled[:count]
