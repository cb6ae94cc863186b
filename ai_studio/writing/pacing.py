"""How long a script takes to say: words a second per voice engine, language and speed.

The figures are measured, not guessed: ``bench/speaking_rates.py`` synthesises the same five
marketing scripts in each language with every offline voice and divides their words
(``templating.count_words``) by their seconds of audio, pauses and the silence around the speech
included, as a video has them. At speed 1 (words a second):

    Piper (natural)  en 3.02 (3.00-3.04 over four runs: its synthesis varies a little)
    eSpeak NG        en 3.00 (en-US 2.98, en-GB 3.05), es 2.98, fr 3.50, de 2.64 (the same every run)

At speed 1.5 Piper speaks 1.36x faster (4.06-4.13; its pauses shrink less than its words) and
eSpeak 1.50-1.52x, so the rate grows as ``speed ** exponent`` with exponents 0.75 and 1.0.

OpenAI voices cannot be measured offline. They are natural voices, paced like Piper: Piper's
English rate, scaled to another language by how eSpeak's rate in that language compares with its
English rate (the languages' relative word lengths), and Piper's speed exponent. A language
without a measurement takes the English figure.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

PIPER, ESPEAK, OPENAI = "piper", "espeak-ng", "openai"
ENGLISH = "en"

# Words a second at speed 1, by (engine, language); see the module docstring.
MEASURED_WORDS_PER_SECOND: dict[tuple[str, str], float] = {
    (PIPER, "en"): 3.02,
    (ESPEAK, "en"): 3.00,
    (ESPEAK, "es"): 2.98,
    (ESPEAK, "fr"): 3.50,
    (ESPEAK, "de"): 2.64,
}
SPEED_EXPONENT = {PIPER: 0.75, ESPEAK: 1.0, OPENAI: 0.75}
# How far a script's length may stray from its word budget and still be accepted.
BUDGET_TOLERANCE = 0.2
MIN_WORDS = 8  # even the shortest video says something


def primary_language(language: str) -> str:
    """``de-DE`` → ``de``."""
    return language.split("-")[0].strip().lower()


def words_per_second(engine: str, language: str, speed: float = 1.0) -> float:
    """The measured (or derived, for OpenAI and unmeasured languages) rate; see the module docstring."""
    lang = primary_language(language)
    if engine == ESPEAK:
        base = MEASURED_WORDS_PER_SECOND.get((ESPEAK, lang), MEASURED_WORDS_PER_SECOND[(ESPEAK, ENGLISH)])
    else:  # a natural voice: Piper, or OpenAI paced like it
        base = MEASURED_WORDS_PER_SECOND.get((PIPER, lang))
        if base is None:
            relative = (MEASURED_WORDS_PER_SECOND.get((ESPEAK, lang), MEASURED_WORDS_PER_SECOND[(ESPEAK, ENGLISH)])
                        / MEASURED_WORDS_PER_SECOND[(ESPEAK, ENGLISH)])
            base = MEASURED_WORDS_PER_SECOND[(PIPER, ENGLISH)] * relative
    return round(base * speed ** SPEED_EXPONENT.get(engine, SPEED_EXPONENT[PIPER]), 2)


@dataclass(frozen=True)
class WordBudget:
    """How many words fit a duration at a voice's rate, and the range a script may take."""

    target: int
    minimum: int
    maximum: int
    words_per_second: float

    @classmethod
    def for_duration(cls, seconds: float, rate: float, tolerance: float = BUDGET_TOLERANCE) -> WordBudget:
        target = max(MIN_WORDS, round(seconds * rate))
        return cls(target=target, minimum=max(1, math.floor(target * (1 - tolerance))),
                   maximum=math.ceil(target * (1 + tolerance)), words_per_second=rate)

    def fits(self, words: int) -> bool:
        return self.minimum <= words <= self.maximum

    def seconds_for(self, words: int) -> float:
        """The spoken duration of ``words`` words at this rate, to a tenth of a second."""
        return round(words / self.words_per_second, 1)
