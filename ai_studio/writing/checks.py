"""The language model's answers, parsed and checked before anyone sees them.

A structured answer can still be wrong: too long for the video, a ``{{placeholder}}`` or a
``[blank]`` left to fill, the product's name missing or altered, a variable lost in translation.
Each check names what is wrong in plain words; the service sends those problems back to the
model for another try, and reports them if it gives up.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

from ai_studio import templating

from .pacing import WordBudget, primary_language

# What a model leaves when it did not fill something in: {{name}}, {{ }}, [Product name], <brand>.
_LEFTOVER = re.compile(r"\{\{.*?\}\}|\{\{|\}\}|\[[^\[\]\n]{1,60}\]|<[^<>\n]{1,60}>")
# A translation may be this much shorter or longer (in words) than its original.
TRANSLATION_LENGTH_RATIO = (0.5, 2.0)


class AnswerRejected(Exception):
    """The answer broke the rules; ``problems`` says how, one sentence each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class DraftVariant:
    hook: str
    body: str
    call_to_action: str

    @property
    def script(self) -> str:
        return " ".join(part for part in (self.hook, self.body, self.call_to_action) if part)

    @property
    def word_count(self) -> int:
        return templating.count_words(self.script)


@dataclass(frozen=True)
class Translation:
    language: str
    script: str
    call_to_action: str

    @property
    def word_count(self) -> int:
        return templating.count_words(self.script)


def parse_answer(content: str | None, list_key: str) -> list[dict]:
    """The list under ``list_key`` of a JSON answer, its items objects; raises ``AnswerRejected``."""
    try:
        payload = json.loads(content or "")
    except ValueError:
        raise AnswerRejected(["The answer is not valid JSON."]) from None
    items = payload.get(list_key) if isinstance(payload, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise AnswerRejected([f"The answer must be an object whose “{list_key}” is a list of objects."])
    return items


def leftovers(text: str) -> list[str]:
    """Placeholders and blanks left in ``text``, each once."""
    return list(dict.fromkeys(match.group(0) for match in _LEFTOVER.finditer(text)))


def _text(item: dict, key: str) -> str:
    value = item.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


# --- drafts -----------------------------------------------------------------------------------
def check_drafts(content: str | None, *, count: int, budget: WordBudget, names: list[str]) -> list[DraftVariant]:
    """``count`` variants from the answer, each checked; raises ``AnswerRejected`` listing every problem.

    Each variant needs a hook, a body and a call to action; together within the word budget; no
    placeholder or blank left; at least one of ``names`` (the brand and product) written as given;
    and a hook of its own. Extra variants are dropped.
    """
    items = parse_answer(content, "variants")
    problems: list[str] = []
    if len(items) < count:
        problems.append(f"Write {count} variants; the answer has {len(items)}.")
    variants = [DraftVariant(_text(item, "hook"), _text(item, "body"), _text(item, "call_to_action"))
                for item in items[:count]]
    hooks_seen: set[str] = set()
    for number, variant in enumerate(variants, start=1):
        where = f"Variant {number}"
        empty = [part for part in ("hook", "body", "call_to_action") if not getattr(variant, part)]
        if empty:
            problems.append(f"{where}: {', '.join(empty)} must not be empty.")
        if not budget.fits(variant.word_count):
            problems.append(f"{where} has {variant.word_count} words; it must have {budget.minimum} to "
                            f"{budget.maximum} (aim for {budget.target}).")
        left = leftovers(variant.script)
        if left:
            problems.append(f"{where} leaves placeholders or blanks to fill: {', '.join(left)}. Write the real "
                            f"words instead.")
        if names and not any(name in variant.script for name in names):
            problems.append(f"{where} must name {' or '.join(names)}, written exactly like that.")
        if len(variant.script) > templating.SCRIPT_MAX_CHARS:
            problems.append(f"{where} is longer than {templating.SCRIPT_MAX_CHARS} characters.")
        hook = variant.hook.casefold()
        if hook and hook in hooks_seen:
            problems.append(f"{where} repeats the hook of an earlier variant; each needs its own.")
        hooks_seen.add(hook)
    if problems:
        raise AnswerRejected(problems)
    return variants


# --- translations -----------------------------------------------------------------------------
def check_translations(content: str | None, *, source: str, source_language: str, languages: list[str],
                       names: list[str], call_to_action: str) -> list[Translation]:
    """One checked translation per language asked for, in their order; raises ``AnswerRejected``.

    Each keeps the source's ``{{variables}}`` exactly (the same names, as many times, and no other
    double braces), every one of ``names``, and its call to action (given, and found in its
    script); stays within ``TRANSLATION_LENGTH_RATIO`` of the source's word count; and, in
    another language than the source's, is not the source unchanged.
    """
    items = parse_answer(content, "translations")
    by_language = {_text(item, "language").casefold(): item for item in items}
    problems: list[str] = []
    translations: list[Translation] = []
    source_variables = Counter(templating.PLACEHOLDER.findall(source))
    source_words = templating.count_words(source)
    shortest, longest = TRANSLATION_LENGTH_RATIO
    for language in languages:
        item = by_language.get(language.casefold())
        if item is None:
            problems.append(f"The translation into {language} is missing.")
            continue
        translation = Translation(language, _text(item, "script"), _text(item, "call_to_action"))
        where = f"The {language} translation"
        if not translation.script:
            problems.append(f"{where} is empty.")
            continue
        variables = Counter(templating.PLACEHOLDER.findall(translation.script))
        braces = translation.script.count("{{") + translation.script.count("}}")
        if variables != source_variables or braces != 2 * sum(variables.values()):
            wanted = ", ".join(f"{{{{{name}}}}} ×{n}" for name, n in sorted(source_variables.items())) or "none"
            problems.append(f"{where} must keep the placeholders exactly as in the original ({wanted}).")
        missing = [name for name in names if name not in translation.script]
        if missing:
            problems.append(f"{where} must keep these names exactly as written: {', '.join(missing)}.")
        if not translation.call_to_action or _normal(translation.call_to_action) not in _normal(translation.script):
            problems.append(f"{where} must keep the call to action (“{call_to_action}”), translated, in the "
                            f"script, and give it as call_to_action exactly as it appears there.")
        if not shortest * source_words <= translation.word_count <= longest * source_words:
            problems.append(f"{where} has {translation.word_count} words for the original's {source_words}; keep "
                            f"the length close to the original's.")
        if (source_words > 3 and _normal(translation.script) == _normal(source)
                and primary_language(language) != primary_language(source_language)):
            problems.append(f"{where} is the original, untranslated.")
        translations.append(translation)
    if problems:
        raise AnswerRejected(problems)
    return translations
