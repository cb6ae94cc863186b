"""Word timings when an engine cannot report them all: estimated from how long words take to say,
or filled in around the words it did time."""

from __future__ import annotations

from typing import NamedTuple

from ..types import WordTiming
from .text import CLAUSE_END, SENTENCE_END, SPOKEN_CHAR

# Extra weight, in characters, that an estimate gives to the pause after a word ending like this.
_SENTENCE_PAUSE_CHARS = 6
_CLAUSE_PAUSE_CHARS = 3


def estimate_word_timings(
    words: list[str], start: float, end: float
) -> list[WordTiming]:
    """Spread ``words`` over [start, end] in proportion to how long they take to say.

    Each word weighs its number of letters, digits and read-out symbols (at least 1); the pause
    after a word that ends a sentence weighs 6 characters and after a clause (, ; : dash) 3,
    and pauses are left as gaps between words. A rough model of speech, used only when an
    engine reports no timings.
    """
    if not words:
        return []
    spoken = [max(1, len(SPOKEN_CHAR.findall(word))) for word in words]
    pauses = [_pause_weight(word) for word in words[:-1]] + [0]
    total = sum(spoken) + sum(pauses)
    seconds_per_unit = max(0.0, end - start) / total
    timings: list[WordTiming] = []
    cursor = start
    for word, spoken_units, pause_units in zip(words, spoken, pauses):
        word_end = min(end, cursor + spoken_units * seconds_per_unit)
        timings.append(WordTiming(word, cursor, word_end))
        cursor = min(end, word_end + pause_units * seconds_per_unit)
    return timings


def _pause_weight(word: str) -> int:
    if SENTENCE_END.search(word):
        return _SENTENCE_PAUSE_CHARS
    if CLAUSE_END.search(word):
        return _CLAUSE_PAUSE_CHARS
    return 0


class TimeSpan(NamedTuple):
    """A stretch of the audio, in seconds from its start."""

    start: float
    end: float


def fill_unmatched_timings(
    words: list[str], spans: list[TimeSpan | None], start: float, end: float
) -> list[WordTiming]:
    """Word timings from the spans an engine reported, for words spoken between ``start`` and ``end``.

    A word without a span (None) gets an estimate inside the gap between its neighbours. Spans
    are clamped so that words come out ordered and never overlap.
    """
    timings: list[WordTiming] = []
    unmatched: list[str] = []
    for word, span in zip(words, spans):
        if span is None:
            unmatched.append(word)
            continue
        gap_start = timings[-1].end if timings else start
        word_start = min(max(span.start, gap_start), end)
        timings += estimate_word_timings(unmatched, gap_start, word_start)
        timings.append(
            WordTiming(word, word_start, min(max(span.end, word_start), end))
        )
        unmatched = []
    gap_start = timings[-1].end if timings else start
    timings += estimate_word_timings(unmatched, gap_start, max(gap_start, end))
    return timings
