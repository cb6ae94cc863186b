"""Offline speech: real Piper and eSpeak NG synthesis, checked against the WAV they write."""

import pickle
import threading
import wave
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from ai_studio.generation.speech import (
    PermanentSpeechError,
    SpeechProvider,
    TransientSpeechError,
    get_provider,
    piper_engine,
)
from ai_studio.generation.speech.local import DEFAULT_VOICE, LOCAL_VOICES, LocalSpeechProvider
from ai_studio.generation.speech.piper_engine import (
    PIPER_CHUNK_CHARS,
    PIPER_MODELS,
    aligned_model_path,
    load_piper_voice,
)
from ai_studio.generation.speech.piper_split import WindowedSession, weights_path
from ai_studio.generation.speech.text import script_words
from ai_studio.generation.types import SpeechResult

SCRIPT = (
    "Meet ReelMate, the studio in your pocket. It costs $5 a month, e.g. for 123 videos. "
    "State-of-the-art voices — really? Yes: try it today & share it!"
)
ESPEAK_SENTENCES = {
    "espeak:en-us": "Hello there, how are you today?",
    "espeak:en-gb": "Colour me surprised, old friend.",
    "espeak:es": "¿Dónde está la biblioteca? Aquí, señor.",
    "espeak:fr": "Déjà vu, ça va? Très bien, merci.",
    "espeak:de": "Grüße aus München, schöne Stadt!",
}


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2), "mono 16-bit"
        return np.frombuffer(
            wav.readframes(wav.getnframes()), dtype="<i2"
        ), wav.getframerate()


def assert_consistent(result: SpeechResult, text: str) -> None:
    """The WAV matches the reported duration, and the word timings cover the script in order."""
    samples, rate = read_wav(result.audio_path)
    assert rate == result.sample_rate
    assert len(samples) / rate == pytest.approx(result.duration, abs=1e-9)
    assert [word.text for word in result.words] == script_words(text)
    for word in result.words:
        assert 0.0 <= word.start <= word.end <= result.duration
    for earlier, later in pairwise(result.words):
        assert earlier.end <= later.start


def rms(samples: np.ndarray) -> float:
    return (
        float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
        if samples.size
        else 0.0
    )


@pytest.fixture(scope="module")
def piper_speech(tmp_path_factory) -> SpeechResult:
    return LocalSpeechProvider().synthesize(
        SCRIPT, DEFAULT_VOICE, tmp_path_factory.mktemp("piper")
    )


# --- Piper ----------------------------------------------------------------------------------------


def test_piper_speech_is_a_wav_as_long_as_reported_with_every_word_timed_in_order(
    piper_speech,
):
    assert piper_speech.provider == "local"
    assert piper_speech.timing_source == "alignment"
    assert piper_speech.audio_path.name == "speech.wav"
    assert_consistent(piper_speech, SCRIPT)


def test_every_piper_word_is_heard_for_some_time(piper_speech):
    assert all(word.end > word.start for word in piper_speech.words)


def test_piper_word_timings_follow_the_audio(piper_speech):
    # The pauses after sentences fall between words: they last, and their middle is silent.
    samples, rate = read_wav(piper_speech.audio_path)
    spoken = np.concatenate(
        [
            samples[round(w.start * rate) : round(w.end * rate)]
            for w in piper_speech.words
        ]
    )
    sentence_pauses = [
        samples[round(word.end * rate) : round(following.start * rate)]
        for word, following in pairwise(piper_speech.words)
        if word.text in ("pocket.", "videos.", "really?")
    ]
    assert len(sentence_pauses) == 3
    for pause in sentence_pauses:
        assert len(pause) / rate > 0.1
        middle = pause[len(pause) // 4 : 3 * len(pause) // 4]
        assert rms(middle) < rms(spoken) / 20


def test_faster_speech_is_shorter(tmp_path):
    provider = LocalSpeechProvider()
    text = "Speed changes how long this sentence takes to say."
    normal = provider.synthesize(text, DEFAULT_VOICE, tmp_path / "normal")
    fast = provider.synthesize(text, DEFAULT_VOICE, tmp_path / "fast", speed=1.5)
    assert fast.duration < normal.duration * 0.85
    assert_consistent(fast, text)


def test_a_sentence_longer_than_a_piper_chunk_is_timed_across_chunks(tmp_path):
    text = " ".join(["and then another little word"] * 15) + "."
    assert len(text) > PIPER_CHUNK_CHARS
    assert_consistent(
        LocalSpeechProvider().synthesize(text, DEFAULT_VOICE, tmp_path), text
    )


def test_script_text_cannot_inject_raw_phonemes(tmp_path):
    text = "Say [[ hɛloʊ ]] plainly."
    result = LocalSpeechProvider().synthesize(text, DEFAULT_VOICE, tmp_path)
    assert_consistent(result, text)


def test_the_piper_voice_is_loaded_once_per_process():
    assert load_piper_voice(DEFAULT_VOICE) is load_piper_voice(DEFAULT_VOICE)


def test_the_voice_runs_on_one_thread_that_does_not_spin():
    # ffmpeg and the other workers share the cores: a spinning pool burnt ~1.7x the CPU of the work.
    session = load_piper_voice(DEFAULT_VOICE).session
    assert isinstance(session, WindowedSession)
    for half in (session.encoder, session.decoder):
        options = half.get_session_options()
        assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_the_model_with_alignments_is_patched_cut_at_its_decoder_once_and_kept_on_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(piper_engine, "ALIGNED_MODELS_DIR", tmp_path / "models")
    original, _ = PIPER_MODELS[DEFAULT_VOICE]()
    patched = aligned_model_path(original)
    assert patched.model.parent == patched.decoder.parent == tmp_path / "models"
    assert patched.model.stat().st_size > 0 and patched.decoder.stat().st_size > 0
    assert aligned_model_path(original) == patched  # found again, not patched again
    # Each half's weights in a file of its own beside it (mapped by ONNX Runtime); no partial files left.
    weights = [Path(weights_path(half)) for half in (patched.model, patched.decoder)]
    assert all(path.stat().st_size > 1_000_000 for path in weights)
    assert sorted(path.name for path in (tmp_path / "models").iterdir()) == sorted(
        [patched.model.name, patched.decoder.name, *(path.name for path in weights)])


def test_a_model_that_cannot_be_patched_in_a_child_is_left_to_the_worker(tmp_path, monkeypatch):
    monkeypatch.setattr(piper_engine, "ALIGNED_MODELS_DIR", tmp_path / "models")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    assert aligned_model_path(broken) is None
    assert list((tmp_path / "models").iterdir()) == []  # no partial file left


def test_without_a_writable_cache_the_voice_is_patched_in_memory_and_still_aligned(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setattr(piper_engine, "ALIGNED_MODELS_DIR", blocker / "models")  # cannot be created
    monkeypatch.setattr(piper_engine, "_piper_voices", {})
    result = LocalSpeechProvider().synthesize("Aligned all the same.", DEFAULT_VOICE, tmp_path / "speech")
    assert result.timing_source == "alignment"


def test_piper_speech_can_run_in_parallel_threads(tmp_path):
    results: dict[int, SpeechResult] = {}

    def speak(number: int) -> None:
        results[number] = LocalSpeechProvider().synthesize(
            f"Thread number {number} is talking.", DEFAULT_VOICE, tmp_path / str(number)
        )

    threads = [threading.Thread(target=speak, args=(number,)) for number in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for number, result in results.items():
        assert_consistent(result, f"Thread number {number} is talking.")
    assert len(results) == 3


# --- eSpeak NG ------------------------------------------------------------------------------------


@pytest.mark.parametrize("voice_id", sorted(ESPEAK_SENTENCES))
def test_espeak_voices_speak_their_language_with_word_timings(voice_id, tmp_path):
    text = ESPEAK_SENTENCES[voice_id]
    result = LocalSpeechProvider().synthesize(text, voice_id, tmp_path)
    assert result.timing_source == "engine_events"
    assert result.duration > 0.5
    assert_consistent(result, text)


def test_espeak_words_merged_in_speech_still_get_their_own_timing(tmp_path):
    # eSpeak reads "of the" as one word; each still gets its own share of the time.
    text = "This is a test of the system."
    result = LocalSpeechProvider().synthesize(text, "espeak:en-us", tmp_path)
    assert_consistent(result, text)
    assert all(word.end > word.start for word in result.words)


def test_faster_espeak_speech_is_shorter(tmp_path):
    provider = LocalSpeechProvider()
    text = "Speed changes how long this sentence takes to say."
    normal = provider.synthesize(text, "espeak:en-us", tmp_path / "normal")
    fast = provider.synthesize(text, "espeak:en-us", tmp_path / "fast", speed=1.5)
    assert fast.duration < normal.duration * 0.85


# --- the interface --------------------------------------------------------------------------------


def test_local_voices_describe_themselves():
    assert DEFAULT_VOICE in LOCAL_VOICES
    assert set(ESPEAK_SENTENCES) <= set(LOCAL_VOICES)
    for voice_id, voice in LOCAL_VOICES.items():
        assert voice["id"] == voice_id
        assert set(voice) == {"id", "label", "language", "gender", "engine"}
        assert voice["engine"] in {"piper", "espeak-ng"}
        assert voice["language"].split("-")[0].isalpha()


def test_get_provider_builds_the_local_provider():
    provider = get_provider("local")
    assert isinstance(provider, SpeechProvider)
    assert provider.name == "local"


@pytest.mark.parametrize("error_class", [TransientSpeechError, PermanentSpeechError])
def test_speech_errors_survive_pickling(error_class):
    # Celery ships a task's exception between processes.
    error = pickle.loads(pickle.dumps(error_class("speech_rate_limited", "Slow down.")))
    assert type(error) is error_class
    assert (error.code, error.message) == ("speech_rate_limited", "Slow down.")
    assert str(error) == "speech_rate_limited: Slow down."


def test_an_unknown_provider_is_a_permanent_error():
    with pytest.raises(PermanentSpeechError) as error:
        get_provider("telepathy")
    assert error.value.code == "speech_provider_unknown"


@pytest.mark.parametrize(
    ("text", "voice_id", "speed", "code"),
    [
        ("Hello.", "no-such-voice", 1.0, "speech_unknown_voice"),
        ("  — ...  ", DEFAULT_VOICE, 1.0, "speech_empty_text"),
        ("Hello.", DEFAULT_VOICE, 10.0, "speech_invalid_speed"),
        ("Hello.", DEFAULT_VOICE, 0.0, "speech_invalid_speed"),
    ],
)
def test_bad_requests_are_permanent_errors(text, voice_id, speed, code, tmp_path):
    with pytest.raises(PermanentSpeechError) as error:
        LocalSpeechProvider().synthesize(text, voice_id, tmp_path, speed=speed)
    assert error.value.code == code
    assert not (tmp_path / "speech.wav").exists()
