"""Speech stage: text -> mono 16-bit WAV + per-word timings.

Providers implement :class:`SpeechProvider`; :func:`get_provider` builds one by name. Failures are
raised as :class:`TransientSpeechError` (worth retrying later) or :class:`PermanentSpeechError`
(retrying cannot help), each with a stable ``code`` the pipeline records.

This module also holds what every provider shares: how a script is cut into words and chunks, how
word timings are estimated when an engine cannot report them, and WAV/silence helpers.
"""

from __future__ import annotations

import re
import wave
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol, TypedDict, runtime_checkable

import numpy as np

from ..errors import GenerationError
from ..types import SpeechResult, WordTiming

MIN_SPEED = 0.25
MAX_SPEED = 4.0

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_CLAUSE_END = re.compile(r"([,;:][\"'”’)\]]*|[-–—]+)$")
# A letter, a digit, or a symbol that engines read out ("&" -> "and").
_SPOKEN_CHAR = re.compile(r"[^\W_]|[&@%$€£¥#+=]")

# Extra weight, in characters, that an estimate gives to the pause after a word ending like this.
_SENTENCE_PAUSE_CHARS = 6
_CLAUSE_PAUSE_CHARS = 3


class SpeechError(GenerationError):
    """A speech failure with a stable machine-readable ``code`` and a human ``message``."""


class TransientSpeechError(SpeechError):
    """Worth retrying later: rate limits, provider 5xx, timeouts, connection failures."""

    transient = True


class PermanentSpeechError(SpeechError):
    """Retrying cannot help: unknown voice, unusable input, rejected credentials."""


class VoiceInfo(TypedDict):
    """A voice a provider offers, ready to be serialised for the UI."""

    id: str
    label: str
    language: str  # BCP-47
    gender: str  # "female" | "male" | "neutral"
    engine: str


@runtime_checkable
class SpeechProvider(Protocol):
    """Turns a script into speech; raises SpeechError subclasses on failure."""

    name: str

    def synthesize(
        self, text: str, voice_id: str, workdir: Path, speed: float = 1.0
    ) -> SpeechResult:
        """Speak ``text`` with ``voice_id`` into a WAV inside ``workdir``."""


def get_provider(name: str, **config: object) -> SpeechProvider:
    """Build the provider called ``name`` ("local" or "openai") with its constructor ``config``."""
    # Imported lazily so that choosing one provider never loads the other's heavy dependencies.
    if name == "local":
        from .local import LocalSpeechProvider

        return LocalSpeechProvider(**config)
    if name == "openai":
        from .openai_tts import OpenAISpeechProvider

        return OpenAISpeechProvider(**config)
    raise PermanentSpeechError(
        "speech_provider_unknown", f"No speech provider called {name!r}."
    )


def check_request(text: str, speed: float) -> None:
    """Reject, before any work, a script with nothing to say or a speed no engine supports."""
    if not script_words(text):
        raise PermanentSpeechError(
            "speech_empty_text", "The script has no words to speak."
        )
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise PermanentSpeechError(
            "speech_invalid_speed",
            f"Speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}.",
        )


# --- words and chunks -----------------------------------------------------------------------------


def script_word_spans(text: str) -> list[tuple[str, int, int]]:
    """The script's words as (text, start, end) character spans.

    A word is a whitespace-separated token containing a letter, a digit or a symbol read out
    (& @ % $ € £ ¥ # + =). Any other token (a dash, an ellipsis) is not spoken on its own, so
    it is glued to the word before it (or after it, at the very start): every character of the
    script stays in the captions.
    """
    spans: list[tuple[int, int]] = []
    unspoken_lead: int | None = None  # start of unspoken tokens before the first word
    for match in re.finditer(r"\S+", text):
        if _SPOKEN_CHAR.search(match.group()):
            start = match.start() if unspoken_lead is None else unspoken_lead
            spans.append((start, match.end()))
            unspoken_lead = None
        elif spans:
            spans[-1] = (spans[-1][0], match.end())
        elif unspoken_lead is None:
            unspoken_lead = match.start()
    return [(" ".join(text[start:end].split()), start, end) for start, end in spans]


def script_words(text: str) -> list[str]:
    """The script's words (see :func:`script_word_spans`), as they should appear in captions."""
    return [token for token, _, _ in script_word_spans(text)]


def split_sentences(text: str, max_chars: int) -> list[str]:
    """Cut ``text`` into chunks of at most ``max_chars``, preferring sentence boundaries.

    Whole sentences are packed greedily into chunks. A sentence longer than ``max_chars`` is cut
    after clause punctuation (, ; : dashes), and a clause still too long is cut between words.
    Words are never split: a single word longer than ``max_chars`` becomes a chunk of its own.
    Whitespace between words is normalised to single spaces; no word is lost or reordered.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    chunks: list[str] = []
    current = ""
    for piece in _pieces_that_fit(text.split(), max_chars):
        candidate = f"{current} {piece}" if current else piece
        if current and len(candidate) > max_chars:
            chunks.append(current)
            candidate = piece
        current = candidate
    if current:
        chunks.append(current)
    return chunks


def _pieces_that_fit(words: list[str], max_chars: int) -> list[str]:
    """Sentences that fit, else their clauses that fit, else single words."""
    pieces: list[str] = []
    for sentence in _group_after(words, _SENTENCE_END):
        if len(" ".join(sentence)) <= max_chars:
            pieces.append(" ".join(sentence))
            continue
        for clause in _group_after(sentence, _CLAUSE_END):
            if len(" ".join(clause)) <= max_chars:
                pieces.append(" ".join(clause))
            else:
                pieces.extend(clause)
    return pieces


def _group_after(words: list[str], boundary: re.Pattern[str]) -> list[list[str]]:
    """Group consecutive words, closing a group after each word that matches ``boundary``."""
    groups: list[list[str]] = [[]]
    for word in words:
        groups[-1].append(word)
        if boundary.search(word):
            groups.append([])
    return [group for group in groups if group]


# --- timing estimates -----------------------------------------------------------------------------


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
    spoken = [max(1, len(_SPOKEN_CHAR.findall(word))) for word in words]
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
    if _SENTENCE_END.search(word):
        return _SENTENCE_PAUSE_CHARS
    if _CLAUSE_END.search(word):
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


# --- audio helpers --------------------------------------------------------------------------------


def write_wav(
    destination: Path | BinaryIO, samples: np.ndarray, sample_rate: int
) -> float:
    """Write int16 ``samples`` as a mono 16-bit WAV; return its exact duration in seconds."""
    pcm = np.asarray(samples, dtype="<i2")
    with wave.open(
        str(destination) if isinstance(destination, Path) else destination, "wb"
    ) as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    return len(pcm) / sample_rate


def voiced_span(samples: np.ndarray, threshold_ratio: float = 0.02) -> tuple[int, int]:
    """First and one-past-last sample louder than ``threshold_ratio`` of the peak ((0, 0) if silent)."""
    magnitude = np.abs(samples.astype(np.int32))
    if magnitude.size == 0 or magnitude.max() == 0:
        return 0, 0
    loud = np.flatnonzero(magnitude > magnitude.max() * threshold_ratio)
    return int(loud[0]), int(loud[-1]) + 1
