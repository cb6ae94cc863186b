"""Template substitution: restricted {{name}} replacement, never an engine that reaches Python objects."""
import random
import re

import pytest

from ai_studio import templating
from ai_studio.templating import (
    ScriptTooLongError,
    TemplateDefinitionError,
    VariableValuesError,
    check_template,
    count_words,
    estimate_duration,
    render,
)

VARIABLES = [
    {"name": "product", "label": "Product", "required": True, "max_length": 20},
    {"name": "offer", "label": "Offer", "required": False},
    {"name": "cta", "label": "Call to action", "required": True, "default": "Tap the link."},
]
BODY = "Meet {{product}}. {{ offer }} {{cta}}"


def test_renders_values_defaults_and_spaced_placeholders():
    assert render(BODY, VARIABLES, {"product": "Glow", "offer": "20% off today."}) == \
        "Meet Glow. 20% off today. Tap the link."


def test_an_empty_optional_variable_leaves_no_double_space():
    assert render(BODY, VARIABLES, {"product": "Glow"}) == "Meet Glow. Tap the link."


def test_values_are_stripped_and_numbers_accepted():
    assert render("Only {{price}} dollars", [{"name": "price"}], {"price": 19}) == "Only 19 dollars"
    assert render(BODY, VARIABLES, {"product": "  Glow  "}) == "Meet Glow. Tap the link."


def test_missing_unknown_and_too_long_variables_are_all_named_at_once():
    with pytest.raises(VariableValuesError) as raised:
        render(BODY, VARIABLES, {"product": "x" * 21, "colour": "red", "cta": ""})
    errors = raised.value.errors
    assert set(errors) == {"product", "colour"}  # cta falls back to its default
    assert "at most 20" in errors["product"][0]
    assert "Unknown variable" in errors["colour"][0]
    assert raised.value.field_errors == {"variables": errors}


def test_a_required_variable_without_value_or_default_is_missing():
    with pytest.raises(VariableValuesError) as raised:
        render(BODY, VARIABLES, {})
    assert list(raised.value.errors) == ["product"]
    assert "required" in raised.value.errors["product"][0]


@pytest.mark.parametrize("value", [["a"], {"a": 1}, True])
def test_a_value_that_is_not_text_is_rejected(value):
    with pytest.raises(VariableValuesError) as raised:
        render(BODY, VARIABLES, {"product": value})
    assert raised.value.errors == {"product": ["Must be text."]}


def test_values_are_substituted_once_never_expanded_again():
    variables = [{"name": "a"}, {"name": "b"}]
    script = render("{{a}} {{b}}", variables, {"a": "{{b}} {{__class__}} {% debug %}", "b": "Go"})
    assert script == "{{b}} {{__class__}} {% debug %} Go"


@pytest.mark.parametrize("text", [
    "{{__class__}}", "{{ product.__class__.__mro__ }}", "{% load os %}{% debug %}", "{{ product|upper }}",
    "{{ config.items() }}", "${product}", "{product}",
])
def test_engine_syntax_in_a_body_is_plain_text(text):
    assert render(f"{text} {{{{product}}}}", VARIABLES, {"product": "Glow"}) == f"{text} Glow"


def test_check_template_rejects_anything_but_plain_placeholders_between_double_braces():
    with pytest.raises(TemplateDefinitionError) as raised:
        check_template("Hi {{__class__}} and {{ user.email }} and {{product}}", VARIABLES)
    assert "{{__class__}}" in raised.value.errors["body"][0]
    assert "{{ user.email }}" in raised.value.errors["body"][0]


def test_check_template_rejects_undeclared_placeholders():
    with pytest.raises(TemplateDefinitionError) as raised:
        check_template("Meet {{product}} by {{brand}}", VARIABLES)
    assert "brand" in raised.value.errors["body"][0]


def test_check_template_returns_normalised_variables():
    variables = check_template("Meet {{product_name}}", [{"name": "product_name"}])
    assert [v.as_dict() for v in variables] == [
        {"name": "product_name", "label": "Product name", "required": True, "default": "", "max_length": 200}
    ]


@pytest.mark.parametrize("variables, message", [
    ("nope", "list"),
    ([{"label": "no name"}], "name must start with a letter"),
    ([{"name": "_private"}], "name must start with a letter"),
    ([{"name": "a"}, {"name": "a"}], "declared twice"),
    ([{"name": "a", "max_length": 0}], "max_length"),
    ([{"name": "a", "max_length": 5, "default": "too long"}], "longer than max_length"),
    ([{"name": "a", "required": "yes"}], "true or false"),
    ([{"name": "a", "colour": "red"}], "unknown keys colour"),
    ([{"name": f"v{i}"} for i in range(templating.MAX_VARIABLES + 1)], "at most"),
])
def test_invalid_variable_declarations_are_explained(variables, message):
    with pytest.raises(TemplateDefinitionError) as raised:
        check_template("Hello", variables)
    assert message in " ".join(raised.value.errors["variables"])


def test_a_body_without_words_is_rejected():
    with pytest.raises(TemplateDefinitionError) as raised:
        check_template(" — ", [])
    assert raised.value.errors["body"] == ["The script has no words."]


def test_a_rendered_script_longer_than_a_job_accepts_is_rejected():
    variables = [{"name": f"v{i}", "max_length": 1000} for i in range(5)]
    body = " ".join(f"{{{{v{i}}}}}" for i in range(5))
    with pytest.raises(ScriptTooLongError) as raised:
        render(body, variables, {f"v{i}": "word " * 199 for i in range(5)})
    assert "at most 4096" in raised.value.errors["script"][0]


def test_word_count_and_spoken_duration_at_150_words_a_minute():
    text = "One two three — four, five! 6"
    assert count_words(text) == 6
    assert estimate_duration("word " * 150) == 60.0
    assert estimate_duration("word " * 10, words_per_minute=120) == 5.0
    assert estimate_duration("") == 0.0


# The definition word counting had as one regex: a whitespace-separated token with a letter or
# digit in it. It needs quadratic steps on a long run of non-word characters (0.4 s for 4,090
# underscores and " a"; a quarter of an hour for the inputs below), so these inputs never finish
# without a linear-time count.
PREVIOUS_WORD_PATTERN = re.compile(r"\S*[^\W_]\S*")
ADVERSARIAL_RUN = 200_000


@pytest.mark.parametrize(("text", "words"), [
    ("_" * ADVERSARIAL_RUN + " a", 1),
    ("_" * ADVERSARIAL_RUN + "a", 1),
    ("a" + "_" * ADVERSARIAL_RUN, 1),
    ("—" * ADVERSARIAL_RUN + " ok " + "!" * ADVERSARIAL_RUN, 1),
    ("_ " * ADVERSARIAL_RUN, 0),
    ("{" * ADVERSARIAL_RUN, 0),
])
def test_word_counting_is_correct_on_inputs_that_make_a_backtracking_pattern_quadratic(text, words):
    assert count_words(text) == words
    assert estimate_duration(text) == round(words * 60.0 / 150, 1)


def test_a_body_of_only_underscores_and_punctuation_has_no_words():
    with pytest.raises(TemplateDefinitionError) as raised:
        check_template("_" * 4000 + " ?!", [])
    assert raised.value.errors["body"] == ["The script has no words."]


def test_unclosed_double_braces_are_scanned_once():
    body = "Hi {{name}} " + "{{" * 2000  # the lazy `{{.*?}}` rescanned the tail from every opening pair
    assert check_template(body, [{"name": "name"}])[0].name == "name"
    with pytest.raises(TemplateDefinitionError) as raised:
        check_template("{{ user.email }} and {{x}} {{" + "{" * 3000, [{"name": "x"}])
    assert raised.value.errors["body"][0].startswith("{{ user.email }}: placeholders are")


# Characters that make word boundaries interesting: every kind of whitespace Python knows
# (including the information separators \x1c-\x1f and no-break spaces), underscores, punctuation,
# letters and digits of several scripts, combining marks and symbols.
ALPHABET = (" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u2028\u2029\u202f\u3000"
            "__--—!?.,'{}" "aZé9٣ß漢字ǅ" "\u0301\u200b\U0001F600")


def test_word_counting_agrees_with_the_regex_definition_on_ordinary_text():
    rng = random.Random(20260611)
    texts = ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 40))) for _ in range(5000)]
    texts += ["Meet the new Rocket Shoes — 20% off, today_only! Tap the link.", "One two three — four, five! 6"]
    for text in texts:
        assert count_words(text) == len(PREVIOUS_WORD_PATTERN.findall(text)), repr(text)
