"""eSpeak NG through ctypes: robotic, but many languages, and the time each word starts.

The library is the one shipped by ``espeakng-loader``; for each word it reads, it reports the
character position and the millisecond at which it starts.
"""

from __future__ import annotations

import ctypes
import threading
from bisect import bisect_right

import espeakng_loader
import numpy as np

from ..types import WordTiming
from .audio import Spoken, voiced_span
from .errors import PermanentSpeechError
from .text import script_word_spans
from .timing import estimate_word_timings

ESPEAK_VOICE_NAMES = {  # eSpeak NG's own names; its British English voice is plain "en"
    "espeak:en-us": "en-us",
    "espeak:en-gb": "en",
    "espeak:es": "es",
    "espeak:fr": "fr",
    "espeak:de": "de",
}

# Constants and structures from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_DEFAULT_WORDS_PER_MINUTE = 175
_MIN_WORDS_PER_MINUTE, _MAX_WORDS_PER_MINUTE = 80, 450


class _EspeakEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based, in characters
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # milliseconds from the start of the audio
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.POINTER(ctypes.c_short),
    ctypes.c_int,
    ctypes.POINTER(_EspeakEvent),
)


class _EspeakEngine:
    """libespeak-ng in synchronous mode: ``espeak_Synth`` returns once the callback got everything."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        self.sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if self.sample_rate <= 0:
            raise RuntimeError("espeak_Initialize failed")
        self._lib = lib
        # ctypes frees a callback nobody references, so the engine keeps it alive.
        self._callback = _SYNTH_CALLBACK(self._collect)
        lib.espeak_SetSynthCallback(self._callback)
        self._buffers: list[np.ndarray] = []
        self._word_starts: list[tuple[int, float]] = []

    def speak(self, text: str, voice_name: str, words_per_minute: int) -> tuple[np.ndarray, list[tuple[int, float]]]:
        """The samples, and (character index in ``text``, start in seconds) of each word read."""
        self._buffers, self._word_starts = [], []
        if self._lib.espeak_SetVoiceByName(voice_name.encode()) != 0:
            raise PermanentSpeechError("speech_unknown_voice", f"eSpeak NG has no voice {voice_name!r}.")
        self._lib.espeak_SetParameter(_ESPEAK_RATE, words_per_minute, 0)
        encoded = text.encode("utf-8")
        status = self._lib.espeak_Synth(
            encoded,
            len(encoded) + 1,
            0,
            _POS_CHARACTER,
            0,
            _ESPEAK_CHARS_UTF8,
            None,
            None,
        )
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed with status {status}")
        samples = np.concatenate([np.zeros(0, dtype=np.int16), *self._buffers])
        return samples, self._word_starts

    def _collect(self, wav: ctypes._Pointer, sample_count: int, events: ctypes._Pointer) -> int:
        if sample_count > 0 and wav:
            self._buffers.append(np.ctypeslib.as_array(wav, shape=(sample_count,)).astype(np.int16))
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_WORD:
                self._word_starts.append((event.text_position - 1, event.audio_position / 1000))
            index += 1
        return 0  # 0 = carry on synthesising


_espeak_engine: _EspeakEngine | None = None
# The library has one global state (voice, rate, callback), so one synthesis at a time.
_espeak_lock = threading.Lock()


def speak_with_espeak(text: str, voice_id: str, speed: float) -> Spoken:
    global _espeak_engine
    words_per_minute = _espeak_words_per_minute(speed)
    with _espeak_lock:
        if _espeak_engine is None:
            _espeak_engine = _EspeakEngine()
        samples, word_starts = _espeak_engine.speak(text, ESPEAK_VOICE_NAMES[voice_id], words_per_minute)
        rate = _espeak_engine.sample_rate
    word_spans = script_word_spans(text)
    starts = _first_event_per_word(word_spans, word_starts)
    words = _time_from_word_starts([word for word, _, _ in word_spans], starts, samples, rate)
    return Spoken(samples, rate, words, "engine_events", [])


def _espeak_words_per_minute(speed: float) -> int:
    """eSpeak's rate for a speed, kept within the range it can speak (80-450 words a minute)."""
    wanted = _DEFAULT_WORDS_PER_MINUTE * speed
    return round(min(max(wanted, _MIN_WORDS_PER_MINUTE), _MAX_WORDS_PER_MINUTE))


def _first_event_per_word(
    word_spans: list[tuple[str, int, int]], word_starts: list[tuple[int, float]]
) -> list[float | None]:
    """Start time of each script word: its earliest eSpeak word event ("123" gives several)."""
    span_starts = [start for _, start, _ in word_spans]
    starts: list[float | None] = [None] * len(word_spans)
    for char_index, seconds in word_starts:
        word = bisect_right(span_starts, char_index) - 1
        if word >= 0 and char_index < word_spans[word][2]:
            known = starts[word]
            starts[word] = seconds if known is None else min(known, seconds)
    return starts


def _time_from_word_starts(
    words: list[str], starts: list[float | None], samples: np.ndarray, rate: int
) -> list[WordTiming]:
    """Word timings from eSpeak's word start times.

    eSpeak reports only when words start, so a word ends where its sound fades before the next
    word starts. It reads some pairs as one word ("of the"): a word without an event of its own
    shares, by estimate, the span of the word before it.
    """
    groups: list[tuple[float, list[str]]] = []  # (start, words sharing it)
    for word, start in zip(words, starts):
        if start is None and groups:
            groups[-1][1].append(word)
        else:
            earliest = groups[-1][0] if groups else 0.0
            groups.append((max(start or 0.0, earliest), [word]))
    total = len(samples) / rate
    timings: list[WordTiming] = []
    for index, (start, group_words) in enumerate(groups):
        limit = groups[index + 1][0] if index + 1 < len(groups) else total
        first_sample = round(start * rate)
        _, voiced_end = voiced_span(samples[first_sample : round(limit * rate)])
        end = min(limit, (first_sample + voiced_end) / rate) if voiced_end else limit
        timings += estimate_word_timings(group_words, start, max(start, end))
    return timings
