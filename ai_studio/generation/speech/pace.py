"""How long a script takes to say, known before it is said: words a minute at speed 1, by language.

One rate per language, that of a clear, unhurried voice-over (English 150 words a minute: OpenAI's
voices and a person reading a script aloud speak about that fast). The other languages are scaled
from English by how the offline eSpeak NG voices compare (words are longer in Spanish and German,
so fewer fit in a minute). The offline voices are quicker than these rates (measured at speed 1
on a 50-word advert: Piper en_US-joe 218 words a minute, eSpeak NG en-us 209, es 186, fr 212,
de 193), so for them an estimate errs long, never short.

What uses it: a job is charged its estimate of video minutes when submitted (then settled to the
real length), and a template's preview shows its estimated length.
"""

from __future__ import annotations

from .text import script_words

# By the language's primary subtag ("en" of "en-US").
WORDS_PER_MINUTE: dict[str, float] = {"en": 150.0, "es": 135.0, "fr": 150.0, "de": 140.0}
DEFAULT_LANGUAGE = "en"


def words_per_minute(language: str) -> float:
    """The rate at speed 1 for a BCP-47 tag; a language without its own rate gets English's."""
    primary = language.split("-")[0].split("_")[0].lower()
    return WORDS_PER_MINUTE.get(primary, WORDS_PER_MINUTE[DEFAULT_LANGUAGE])


def estimate_speech_seconds(text: str, language: str = DEFAULT_LANGUAGE, speed: float = 1.0) -> float:
    """Seconds of speech ``text`` makes in ``language`` at ``speed`` (2.0 is twice as fast)."""
    if speed <= 0:
        raise ValueError("speed must be positive")
    return len(script_words(text)) * 60.0 / (words_per_minute(language) * speed)
