"""A target duration becomes a word budget at the measured pace of the voice that will speak it."""
import pytest

from ai_studio.writing.pacing import ESPEAK, OPENAI, PIPER, WordBudget, words_per_second


def test_measured_rates_are_used_as_they_are():
    assert words_per_second(PIPER, "en-US") == 3.02
    assert words_per_second(ESPEAK, "de-DE") == 2.64
    assert words_per_second(ESPEAK, "fr") == 3.5


def test_a_natural_voice_in_another_language_is_paced_by_espeaks_ratio_between_languages():
    # German words are longer: eSpeak says 2.64/s in German for 3.00/s in English.
    assert words_per_second(OPENAI, "de-DE") == pytest.approx(3.02 * 2.64 / 3.00, abs=0.01)
    assert words_per_second(PIPER, "fr-FR") > words_per_second(PIPER, "en") > words_per_second(PIPER, "de")


def test_an_unmeasured_language_takes_the_english_rate():
    assert words_per_second(ESPEAK, "ja-JP") == words_per_second(ESPEAK, "en")
    assert words_per_second(OPENAI, "ja") == words_per_second(PIPER, "en")


def test_speed_raises_the_rate_as_each_engine_was_measured_to():
    assert words_per_second(ESPEAK, "en", speed=1.5) == pytest.approx(1.5 * 3.00, abs=0.01)
    natural = words_per_second(PIPER, "en", speed=1.5) / words_per_second(PIPER, "en")
    assert 1.3 < natural < 1.4  # Piper's pauses shrink less than its words


def test_a_budget_allows_a_fifth_either_way_and_estimates_durations():
    budget = WordBudget.for_duration(30, 3.0)

    assert (budget.target, budget.minimum, budget.maximum) == (90, 72, 108)
    assert budget.fits(72) and budget.fits(108)
    assert not budget.fits(71) and not budget.fits(109)
    assert budget.seconds_for(45) == 15.0


def test_even_a_very_short_video_gets_a_few_words():
    assert WordBudget.for_duration(1, 3.0).target == 8
