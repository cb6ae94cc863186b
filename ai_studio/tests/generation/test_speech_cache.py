"""The speech cache: a sentence the local Piper voice already spoke with the same settings is not
synthesised again, and what comes out is exactly what its first synthesis made.

Syntheses are counted on the real ONNX Runtime session of the voice (``CountingSession`` passes
every run through to it). Piper samples noise in each synthesis, so two syntheses of one sentence
differ slightly: a cached sentence is compared with the synthesis that stored it.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pytest

from ai_studio.generation.speech import piper_engine
from ai_studio.generation.speech.local import DEFAULT_VOICE, LocalSpeechProvider
from ai_studio.generation.speech.sentence_cache import SUFFIX, SentenceCache, run_key

SHARED_OPENING = "Rocket Shoes land on our shelves this Monday."
SHARED_CLOSING = "Run further, starting today."
MEGABYTE = 1024 * 1024


class CountingSession:
    """The voice's real session, counting the syntheses run on it (runs without options: the
    arena shrinkage after each script is not one) and the audio samples each made."""

    def __init__(self, session) -> None:
        self.session = session
        self.samples: list[int] = []

    def run(self, output_names, input_feed, run_options=None):
        outputs = self.session.run(output_names, input_feed, run_options)
        if run_options is None:
            self.samples.append(outputs[0].size)
        return outputs

    def __getattr__(self, name):
        return getattr(self.session, name)

    @property
    def syntheses(self) -> int:
        return len(self.samples)


@pytest.fixture
def counted(monkeypatch) -> CountingSession:
    """The default voice, its syntheses counted."""
    voice = piper_engine.load_piper_voice(DEFAULT_VOICE)
    counting = CountingSession(voice.session)
    monkeypatch.setitem(piper_engine._piper_voices, DEFAULT_VOICE, dataclasses.replace(voice, session=counting))
    return counting


@pytest.fixture
def cache(tmp_path) -> SentenceCache:
    return SentenceCache(tmp_path / "speech-cache", 64 * MEGABYTE)


def speak(provider: LocalSpeechProvider, text: str, folder: Path, speed: float = 1.0):
    return provider.synthesize(text, DEFAULT_VOICE, folder, speed=speed)


def read_samples(result) -> np.ndarray:
    import wave

    with wave.open(str(result.audio_path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def test_a_second_script_synthesises_only_the_sentences_the_first_did_not_have(counted, cache, tmp_path):
    provider = LocalSpeechProvider(cache=cache)
    first = speak(provider, f"{SHARED_OPENING} Come to Northgate Mall. {SHARED_CLOSING}", tmp_path / "first")
    assert counted.syntheses == 3
    opening_samples = counted.samples[0]

    second = speak(provider, f"{SHARED_OPENING} Come to Riverside Plaza. {SHARED_CLOSING}", tmp_path / "second")
    assert counted.syntheses == 4  # only the store's sentence
    assert cache.counts.hits == 2

    # The shared opening is the first script's, sample for sample, and so are its phonemes' times.
    np.testing.assert_array_equal(read_samples(second)[:opening_samples], read_samples(first)[:opening_samples])
    opening_end = opening_samples / first.sample_rate
    assert [p for p in second.phonemes if p.end <= opening_end] == [p for p in first.phonemes if p.end <= opening_end]
    assert second.timing_source == "alignment"


def test_a_script_spoken_again_is_its_first_synthesis_exactly_without_running_the_model(counted, cache, tmp_path):
    provider = LocalSpeechProvider(cache=cache)
    script = f"{SHARED_OPENING} It costs $5, e.g. for 123 pairs. {SHARED_CLOSING}"
    first = speak(provider, script, tmp_path / "first")
    runs = counted.syntheses

    again = speak(provider, script, tmp_path / "again")
    assert counted.syntheses == runs
    assert again.audio_path.read_bytes() == first.audio_path.read_bytes()
    assert (again.words, again.phonemes, again.timing_source, again.duration) == (
        first.words, first.phonemes, first.timing_source, first.duration)


def test_a_script_whose_sentences_are_all_cached_is_spoken_without_loading_the_model(cache, tmp_path, monkeypatch):
    provider = LocalSpeechProvider(cache=cache)
    first = speak(provider, f"{SHARED_OPENING} {SHARED_CLOSING}", tmp_path / "first")
    # A new worker process: no voice loaded, no identity known.
    monkeypatch.setattr(piper_engine, "_piper_voices", {})
    monkeypatch.setattr(piper_engine, "_voice_identities", {})

    again = speak(provider, f"{SHARED_OPENING} {SHARED_CLOSING}", tmp_path / "again")
    assert DEFAULT_VOICE not in piper_engine._piper_voices
    assert again.audio_path.read_bytes() == first.audio_path.read_bytes()
    assert (again.words, again.phonemes) == (first.words, first.phonemes)

    speak(provider, f"{SHARED_OPENING} Come to Riverside Plaza.", tmp_path / "new")  # one sentence to synthesise
    assert DEFAULT_VOICE in piper_engine._piper_voices
    assert cache.counts.hits == 3 and cache.counts.misses == 3


def test_another_speed_is_another_sentence(counted, cache, tmp_path):
    provider = LocalSpeechProvider(cache=cache)
    normal = speak(provider, SHARED_OPENING, tmp_path / "normal")
    faster = speak(provider, SHARED_OPENING, tmp_path / "faster", speed=1.5)
    assert counted.syntheses == 2
    assert faster.duration < normal.duration
    again = speak(provider, SHARED_OPENING, tmp_path / "faster again", speed=1.5)
    assert counted.syntheses == 2
    assert again.duration == faster.duration


def test_another_voice_with_the_same_model_is_another_sentence(counted, cache, tmp_path, monkeypatch):
    # A second voice id on the same model files: its own session (loaded for this test only), its own entries.
    monkeypatch.setattr(piper_engine, "_piper_voices", dict(piper_engine._piper_voices))
    monkeypatch.setitem(piper_engine.PIPER_MODELS, "en_US-joe-copy", piper_engine.PIPER_MODELS[DEFAULT_VOICE])
    provider = LocalSpeechProvider(cache=cache)
    speak(provider, SHARED_OPENING, tmp_path / "joe")
    entries = sorted(cache.directory.iterdir())
    provider.synthesize(SHARED_OPENING, "en_US-joe-copy", tmp_path / "copy")
    assert len(sorted(cache.directory.iterdir())) == len(entries) + 1
    assert cache.counts.misses == 2


def test_the_model_and_every_input_are_part_of_a_sentences_key():
    feed = {"input": np.array([[1, 2, 3]], dtype=np.int64), "scales": np.array([0.667, 1.0, 0.8], dtype=np.float32)}
    key = run_key("model-a", feed)
    assert run_key("model-a", dict(feed)) == key
    assert run_key("model-b", feed) != key
    assert run_key("model-a", {**feed, "input": np.array([[1, 2, 4]], dtype=np.int64)}) != key
    assert run_key("model-a", {**feed, "scales": np.array([0.667, 0.8, 0.8], dtype=np.float32)}) != key
    assert run_key("model-a", {**feed, "sid": np.array([1], dtype=np.int64)}) != key


@pytest.mark.parametrize("damage", ["truncated", "garbage", "one byte flipped in the audio", "empty"])
def test_a_damaged_entry_is_a_miss_and_is_written_again(counted, cache, tmp_path, damage):
    provider = LocalSpeechProvider(cache=cache)
    first = speak(provider, SHARED_OPENING, tmp_path / "first")
    [entry] = cache.directory.iterdir()
    whole = entry.read_bytes()
    damaged = {
        "truncated": whole[: len(whole) // 2],
        "garbage": os.urandom(len(whole)),
        "one byte flipped in the audio": whole[: len(whole) // 2] + bytes([whole[len(whole) // 2] ^ 0xFF])
        + whole[len(whole) // 2 + 1:],
        "empty": b"",
    }[damage]
    entry.write_bytes(damaged)

    again = speak(provider, SHARED_OPENING, tmp_path / "again")
    assert counted.syntheses == 2  # spoken anew, the job not failed
    assert again.timing_source == "alignment" and again.words[0].text == "Rocket"
    assert entry.read_bytes() != damaged  # rewritten whole
    speak(provider, SHARED_OPENING, tmp_path / "third")
    assert counted.syntheses == 2
    assert first.sample_rate == again.sample_rate


def test_without_a_cache_every_script_is_synthesised(counted, tmp_path):
    provider = LocalSpeechProvider()
    speak(provider, SHARED_OPENING, tmp_path / "one")
    speak(provider, SHARED_OPENING, tmp_path / "two")
    assert counted.syntheses == 2


def test_a_cache_folder_that_cannot_be_written_only_means_no_caching(counted, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    provider = LocalSpeechProvider(cache=SentenceCache(blocker / "cache", MEGABYTE))
    result = speak(provider, SHARED_OPENING, tmp_path / "one")
    speak(provider, SHARED_OPENING, tmp_path / "two")
    assert counted.syntheses == 2
    assert result.timing_source == "alignment"


def audio(seconds: float, value: float = 0.1) -> list[np.ndarray]:
    """Outputs like a sentence's: float32 audio (22,050 Hz) and its phoneme ids' sample counts."""
    return [np.full((1, 1, int(22050 * seconds)), value, dtype=np.float32), np.ones((1, 1, 10), dtype=np.float32)]


def test_past_its_bound_the_least_recently_used_sentences_are_evicted(tmp_path):
    cache = SentenceCache(tmp_path / "cache", 300 * 1024)  # room for three ~87 KB entries, not four
    now = time.time()
    for age, key in ((30, "a"), (20, "b"), (10, "c")):
        cache.put(key, audio(1.0))
        os.utime(cache.directory / f"{key}{SUFFIX}", (now - age, now - age))
    assert cache.get("a") is not None  # used again: now the most recent

    cache.put("d", audio(1.0))
    assert sorted(path.stem for path in cache.directory.iterdir()) == ["a", "c", "d"]
    assert sum(path.stat().st_size for path in cache.directory.iterdir()) <= 300 * 1024
    assert cache.get("b") is None


def _writer(directory: str, writer: int, rounds: int, results) -> None:
    cache = SentenceCache(Path(directory), 64 * MEGABYTE)
    torn = 0
    for round_number in range(rounds):
        key = f"sentence-{round_number % 4}"
        cache.put(key, audio(0.5, value=writer / 10))
        outputs = cache.get(key)
        values = set(np.unique(outputs[0])) if outputs is not None else set()
        torn += outputs is None or len(values) != 1
    results.put(torn)


def test_worker_processes_writing_the_same_sentences_at_once_only_ever_read_whole_entries(tmp_path):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    writers = [context.Process(target=_writer, args=(str(tmp_path / "cache"), writer, 40, results))
               for writer in range(1, 4)]
    for process in writers:
        process.start()
    torn = [results.get(timeout=60) for _ in writers]
    for process in writers:
        process.join(timeout=10)
    assert torn == [0, 0, 0]
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == [f"sentence-{n}{SUFFIX}" for n in range(4)]
