"""Phoneme timings for speech whose engine reports only word timings (OpenAI, eSpeak voices).

Each word is phonemized on its own with eSpeak NG (the copy bundled with Piper, no model to
load) and its phonemes are spread over the word's time span, a vowel weighing twice a
consonant; the gap between two words becomes a pause. Words are timed well (alignment or
transcription), so the error stays inside each word: the mouth opens and closes on time and
only the shapes within a word may be early or late. ``bench/visemes.py`` measures how often the
result shows the same shape as Piper's exact phoneme alignment.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache

from ..types import PhonemeTiming, WordTiming
from ..visemes import LENGTH_MARK, PAUSES, STRESS_MARKS, Viseme, viseme_of

DEFAULT_LANGUAGE = "en-us"
VOWEL_WEIGHT = 2.0
CONSONANT_WEIGHT = 1.0
_VOWEL_SHAPES = frozenset({Viseme.A, Viseme.E, Viseme.I, Viseme.O, Viseme.UW})

# eSpeak NG keeps one global voice: one phonemization at a time.
_lock = threading.Lock()


@cache
def _phonemizer():
    # Imported here: piper loads onnxruntime (~9 MB), which every process importing the pipeline
    # (a worker serving only the default queue, too) would otherwise carry without phonemizing.
    from piper.phonemize_espeak import EspeakPhonemizer

    return EspeakPhonemizer()


def phonemes_from_words(words: Sequence[WordTiming], language: str = DEFAULT_LANGUAGE) -> list[PhonemeTiming]:
    """Timed phonemes for ``words`` spoken in ``language`` (a BCP-47 tag such as "en-US")."""
    timings: list[PhonemeTiming] = []
    with _lock:
        voice = _espeak_voice(language)
        for index, word in enumerate(words):
            if index and word.start > words[index - 1].end:
                timings.append(PhonemeTiming(" ", words[index - 1].end, word.start))
            timings += _spread(word_phonemes(word.text, voice), word.start, word.end)
    return timings


def word_phonemes(text: str, voice: str) -> list[str]:
    """The phonemes of one word (stress and length marks kept, punctuation and spaces dropped)."""
    sentences = _phonemizer().phonemize(voice, text)
    return [phoneme for sentence in sentences for phoneme in sentence if phoneme not in PAUSES]


@cache  # trying voices costs a phonemization each; the answer never changes in a process
def _espeak_voice(language: str) -> str:
    """The eSpeak voice for a BCP-47 tag: the full tag if eSpeak knows it, else the language."""
    tag = (language or DEFAULT_LANGUAGE).lower()
    for candidate in dict.fromkeys((tag, tag.split("-")[0], DEFAULT_LANGUAGE)):
        try:
            _phonemizer().phonemize(candidate, "a")
        except RuntimeError:  # "Failed to set voice"
            continue
        return candidate
    return DEFAULT_LANGUAGE


def _spread(phonemes: list[str], start: float, end: float) -> list[PhonemeTiming]:
    weights = [_weight(phoneme) for phoneme in phonemes]
    total = sum(weights)
    if not total or end <= start:
        return []
    timings: list[PhonemeTiming] = []
    cursor = start
    for phoneme, weight in zip(phonemes, weights):
        next_cursor = cursor + (end - start) * weight / total
        timings.append(PhonemeTiming(phoneme, cursor, next_cursor))
        cursor = next_cursor
    return timings


def _weight(phoneme: str) -> float:
    if phoneme in STRESS_MARKS:
        return 0.0
    if phoneme == LENGTH_MARK:
        return CONSONANT_WEIGHT  # lengthens the vowel before it
    viseme = viseme_of(phoneme)
    if viseme is None:
        return 0.0
    return VOWEL_WEIGHT if viseme in _VOWEL_SHAPES else CONSONANT_WEIGHT
