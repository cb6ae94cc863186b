"""The model's answers are checked before anyone sees them; each problem is named in plain words."""
import json

import pytest

from ai_studio.writing.checks import AnswerRejected, check_drafts, check_translations, leftovers
from ai_studio.writing.pacing import WordBudget

BUDGET = WordBudget.for_duration(10, 3.0)  # 30 words: 24 to 36
NAMES = ["TrailFlex 2", "Stride"]


def variant(hook="Wet socks on mile three? Not anymore.",
            body="TrailFlex 2 keeps your feet dry on any trail, with a grip that holds on wet rock all day long.",
            cta="Tap the link and grab your pair today."):
    return {"hook": hook, "body": body, "call_to_action": cta}


def answer(*variants) -> str:
    return json.dumps({"variants": list(variants)})


def problems_of(call) -> list[str]:
    with pytest.raises(AnswerRejected) as rejected:
        call()
    return rejected.value.problems


def test_good_variants_are_joined_into_scripts_and_counted():
    second = variant(hook="What if your shoes dried themselves?")
    [first, other] = check_drafts(answer(variant(), second), count=2, budget=BUDGET, names=NAMES)

    assert first.script.startswith("Wet socks on mile three? Not anymore. TrailFlex 2 keeps")
    assert first.script.endswith("grab your pair today.")
    assert BUDGET.fits(first.word_count) and other.hook == "What if your shoes dried themselves?"


def test_extra_variants_are_dropped_and_missing_ones_refused():
    assert len(check_drafts(answer(variant(), variant(hook="Other hook here.")), count=1, budget=BUDGET,
                            names=NAMES)) == 1
    assert problems_of(lambda: check_drafts(answer(variant()), count=2, budget=BUDGET, names=NAMES)) == [
        "Write 2 variants; the answer has 1."]


@pytest.mark.parametrize(("bad", "expected"), [
    (variant(body="TrailFlex 2 keeps your feet dry. " * 6), "Variant 1 has 51 words; it must have 24 to 36"),
    (variant(body="Short. TrailFlex 2."), "Variant 1 has 18 words; it must have 24 to 36"),
    (variant(cta="  "), "Variant 1: call_to_action must not be empty."),
    (variant(body="{{product}} keeps your feet dry on any trail, with a grip that holds on wet rock all day."),
     "leaves placeholders or blanks to fill: {{product}}"),
    (variant(body="[Product name] keeps your feet dry on any trail, with a grip that holds on wet rock all day."),
     "leaves placeholders or blanks to fill: [Product name]"),
    (variant(body="Trailflex two keeps your feet dry on any trail, with a grip that holds on wet rock all day."),
     "Variant 1 must name TrailFlex 2 or Stride, written exactly like that."),
])
def test_a_variant_that_breaks_a_rule_is_refused_with_the_reason(bad, expected):
    problems = problems_of(lambda: check_drafts(answer(bad), count=1, budget=BUDGET, names=NAMES))
    assert any(expected in problem for problem in problems), problems


def test_every_variant_needs_its_own_hook():
    problems = problems_of(lambda: check_drafts(answer(variant(), variant()), count=2, budget=BUDGET, names=NAMES))
    assert problems == ["Variant 2 repeats the hook of an earlier variant; each needs its own."]


@pytest.mark.parametrize("content", ["not json", "[]", '{"variants": "three"}', '{"variants": [1, 2]}', None])
def test_an_answer_that_is_not_the_asked_json_is_refused(content):
    assert problems_of(lambda: check_drafts(content, count=1, budget=BUDGET, names=NAMES))


def test_leftovers_find_every_kind_of_blank_once():
    assert leftovers("Hi {{ name }}, try <brand> [here] and {{name}} {{ again") == [
        "{{ name }}", "<brand>", "[here]", "{{name}}", "{{"]


# --- translations -----------------------------------------------------------------------------
SOURCE = "Hey {{first_name}}, wet socks? Not with TrailFlex 2 from Stride. Shop now."


def translations(*items) -> str:
    return json.dumps({"translations": [dict(zip(("language", "script", "call_to_action"), item)) for item in items]})


GERMAN = ("de-DE", "Hey {{first_name}}, nasse Socken? Nicht mit TrailFlex 2 von Stride. Jetzt kaufen.", "Jetzt kaufen.")


def check(content, languages=("de-DE",)):
    return check_translations(content, source=SOURCE, source_language="en", languages=list(languages), names=NAMES,
                              call_to_action="Shop now.")


def test_a_faithful_translation_is_accepted():
    [german] = check(translations(GERMAN))
    assert (german.language, german.call_to_action, german.word_count) == ("de-DE", "Jetzt kaufen.", 12)


@pytest.mark.parametrize(("script", "expected"), [
    ("Hey, nasse Socken? Nicht mit TrailFlex 2 von Stride. Jetzt kaufen.", "keep the placeholders exactly"),
    ("Hey {{vorname}}, nasse Socken? Nicht mit TrailFlex 2 von Stride. Jetzt kaufen.", "keep the placeholders"),
    ("Hey {{first_name}} {{first_name}}, nasse Socken? Nicht mit TrailFlex 2 von Stride. Jetzt kaufen.",
     "keep the placeholders"),
    ("Hey {{first_name}}, nasse Socken? Nicht mit TrailFlex Zwei von Stride. Jetzt kaufen.",
     "must keep these names exactly as written: TrailFlex 2"),
    ("Hey {{first_name}}, nasse Socken? Nicht mit TrailFlex 2 von Stride.", "must keep the call to action"),
    ("Hey {{first_name}}, Socken? Jetzt kaufen.", "has 5 words for the original's 12"),
    (SOURCE, "is the original, untranslated"),
])
def test_a_translation_that_loses_something_is_refused_with_the_reason(script, expected):
    problems = problems_of(lambda: check(translations(("de-DE", script, "Jetzt kaufen."))))
    assert any(expected in problem for problem in problems), problems


def test_every_language_asked_for_must_be_there():
    problems = problems_of(lambda: check(translations(GERMAN), languages=("de-DE", "es-ES")))
    assert problems == ["The translation into es-ES is missing."]
