"""How long a script takes to say, estimated before it is said: one rate per language, scaled by speed."""
import pytest

from ai_studio import templating
from ai_studio.generation.speech.pace import WORDS_PER_MINUTE, estimate_speech_seconds, words_per_minute


def test_english_is_a_clear_voice_over_at_150_words_a_minute():
    assert estimate_speech_seconds("word " * 150, "en-US") == pytest.approx(60.0)
    assert estimate_speech_seconds("word " * 150) == pytest.approx(60.0)


@pytest.mark.parametrize(("language", "rate"), [("es-ES", 135), ("fr-FR", 150), ("de-DE", 140), ("en_GB", 150)])
def test_each_language_has_its_own_rate_by_its_primary_subtag(language, rate):
    assert words_per_minute(language) == rate
    assert estimate_speech_seconds("palabra " * rate, language) == pytest.approx(60.0)


def test_a_language_without_its_own_rate_is_spoken_at_englishs():
    assert words_per_minute("ja-JP") == WORDS_PER_MINUTE["en"]


def test_speed_scales_the_estimate():
    script = "Meet the new Rocket Shoes. Lighter than air, faster than ever!"
    normal = estimate_speech_seconds(script, "en-US", 1.0)
    assert estimate_speech_seconds(script, "en-US", 0.5) == pytest.approx(normal * 2)
    assert estimate_speech_seconds(script, "en-US", 2.0) == pytest.approx(normal / 2)


def test_only_spoken_words_count():
    assert estimate_speech_seconds("Hello — world … !") == estimate_speech_seconds("Hello world")


def test_a_templates_preview_uses_the_same_english_rate():
    assert templating.WORDS_PER_MINUTE == words_per_minute("en")
    assert templating.estimate_duration("word " * 75) == pytest.approx(estimate_speech_seconds("word " * 75))
