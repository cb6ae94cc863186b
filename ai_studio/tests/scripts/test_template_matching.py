"""Without a language model, the system templates that best match the brief are filled from it."""
import pytest

from ai_studio.seeding.starter_catalog import TEMPLATES
from ai_studio.writing.brief import Brief
from ai_studio.writing.templates import TemplateOption, UnfilledVariables, best_filled, fill, score, split_script

OPTIONS = [TemplateOption(id=number, name=spec["name"], category=spec["category"], tone=spec["tone"],
                          target_duration_seconds=spec["target_duration_seconds"], body=spec["body"],
                          variables=spec["variables"]) for number, spec in enumerate(TEMPLATES, start=1)]
BRIEF = Brief(brand_name="Stride", product_name="TrailFlex 2", key_benefit="dry feet on any trail",
              target_audience="trail runners", call_to_action="Shop the drop today.", objective="conversions",
              platforms=["tiktok"], brand_voice="playful, confident")


def option(name: str) -> TemplateOption:
    return next(item for item in OPTIONS if item.name == name)


def test_a_template_is_filled_from_the_brief_fields_that_mean_the_same():
    filled = fill(option("Launch Day Hook"), BRIEF, {})

    assert filled.script == ("Stop scrolling — TrailFlex 2 is finally here. If you're trail runners, this changes "
                             "everything: dry feet on any trail. No learning curve, no fluff, just results from day "
                             "one. Shop the drop today.")
    assert (filled.hook, filled.call_to_action) == ("Stop scrolling — TrailFlex 2 is finally here.",
                                                    "Shop the drop today.")
    assert filled.defaulted == []


def test_values_given_with_the_request_come_before_the_brief_and_defaults_are_reported():
    filled = fill(option("Flash Sale Countdown"), BRIEF, {"product": "the TrailFlex line"})

    assert filled.script.startswith("Heads up: 30% off the TrailFlex line — but only until midnight tonight.")
    assert filled.defaulted == ["discount", "deadline"]


def test_a_template_whose_required_variables_nothing_fills_is_refused_by_name():
    with pytest.raises(UnfilledVariables) as unfilled:
        fill(option("Customer Story"), BRIEF, {})
    assert unfilled.value.names == ["goal", "result"]


def test_a_value_longer_than_its_variable_allows_is_not_used():
    long_benefit = Brief(product_name="TrailFlex 2", key_benefit="x" * 141)
    with pytest.raises(UnfilledVariables):
        fill(option("Launch Day Hook"), long_benefit, {})


def test_the_best_matches_come_first_and_only_fillable_templates_are_offered():
    filled = best_filled(OPTIONS, BRIEF, tone="excited", target_seconds=30, count=5, given={})

    names = [item.template.name for item in filled]
    assert names[0] == "Launch Day Hook"  # conversions + TikTok + the tone asked for + 30 s
    assert set(names) == {"Launch Day Hook", "Flash Sale Countdown", "Big News"}
    assert [item.score for item in filled] == sorted((item.score for item in filled), reverse=True)


def test_scoring_follows_objective_platform_tone_duration_and_defaults():
    launch = option("Launch Day Hook")  # product_launch, excited, 30 s
    assert score(launch, BRIEF, tone="excited", target_seconds=30, defaulted=0) == 3 + 1 + 2 + 1
    assert score(launch, BRIEF, tone="urgent", target_seconds=30, defaulted=0) == 3 + 1 + 1 + 1  # same family
    assert score(launch, BRIEF, tone="", target_seconds=60, defaulted=0) == 3 + 1 + 1 + 0.5  # brand voice: playful
    quiet = Brief(objective="engagement", platforms=["youtube_shorts"])
    assert score(launch, quiet, tone="calm", target_seconds=30, defaulted=2) == 0 + 0 + 0 + 1 - 2


def test_a_script_splits_into_hook_body_and_call_to_action():
    assert split_script("One. Two. Three. Buy now.", "Buy now.") == ("One.", "Two. Three.", "Buy now.")
    assert split_script("One. Two. Three.") == ("One.", "Two.", "Three.")
    assert split_script("Just one line.") == ("Just one line.", "", "")
