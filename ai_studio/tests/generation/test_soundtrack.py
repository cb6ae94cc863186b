"""The audio stage: the voice (and a music bed) at -14 LUFS under -1 dBTP once AAC-encoded, nothing moved in time.

Loudness is checked with ffmpeg's own meter (ebur128) on the soundtrack encoded exactly as the
render encodes it, not with the engine's meter that produced it.
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from ai_studio.generation import dynamics, soundtrack
from ai_studio.generation.ffmpeg import measure_loudness, run_ffmpeg
from ai_studio.generation.loudness import read_wav
from ai_studio.generation.render import AUDIO_ENCODING
from ai_studio.generation.soundtrack import SoundtrackError, build_soundtrack
from ai_studio.generation.speech import get_provider
from ai_studio.generation.speech.local import DEFAULT_VOICE
from testkit.openai_server import synthesize_speech, wav_bytes

SCRIPT = "Meet the new Rocket Shoes. Lighter than air, and faster than ever. Tap the link today!"
RATE = soundtrack.SAMPLE_RATE
BED_HZ = 55.0  # the test music: a low tone, below any voice's pitch, easy to find under the voice
TAIL = 4.0
MUSIC_SECONDS = 5


@pytest.fixture(scope="module")
def voices(tmp_path_factory) -> dict[str, Path]:
    """The same script spoken by Piper (local) and by the fake OpenAI server's synthesiser."""
    folder = tmp_path_factory.mktemp("voices")
    piper = get_provider("local").synthesize(SCRIPT, DEFAULT_VOICE, folder / "piper").audio_path
    samples, _ = synthesize_speech(SCRIPT, voice="nova")
    openai = folder / "openai.wav"
    openai.write_bytes(wav_bytes(samples))
    return {"local": piper, "openai": openai}


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> Path:
    """MUSIC_SECONDS of a steady low tone in stereo: shorter than any reel here, so it has to loop."""
    t = np.arange(MUSIC_SECONDS * 44100) / 44100
    tone = 0.3 * np.sin(2 * np.pi * BED_HZ * t)
    path = tmp_path_factory.mktemp("music") / "bed.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(np.round(np.repeat(tone, 2) * 32767).astype("<i2").tobytes())
    return path


def encoded_like_the_render(path: Path) -> Path:
    m4a = path.with_suffix(".m4a")
    run_ffmpeg(["-y", "-loglevel", "error", "-i", str(path), *AUDIO_ENCODING, str(m4a)])
    return m4a


def read_soundtrack(path: Path) -> np.ndarray:
    """Float samples shaped (samples, channels)."""
    with wave.open(str(path)) as wav:
        assert wav.getframerate() == RATE
        channels = wav.getnchannels()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return pcm.reshape(-1, channels).astype(np.float32) / 32768


def bed_level_db(samples: np.ndarray, start: float, end: float) -> float:
    """The level of the test music's tone between two times (dBFS of its amplitude)."""
    window = samples[round(start * RATE):round(end * RATE), 0].astype(np.float64)
    t = np.arange(len(window)) / RATE
    amplitude = 2 * abs(np.mean(window * np.exp(-2j * np.pi * BED_HZ * t)))
    return 20 * math.log10(max(amplitude, 1e-9))


def speech_span(voice: Path) -> tuple[float, float]:
    """When the voice is audible: its first and last sample above 2% of its peak, in seconds."""
    samples, rate = read_wav(voice)
    loud = np.flatnonzero(np.abs(samples) > 0.02 * np.abs(samples).max())
    return loud[0] / rate, (loud[-1] + 1) / rate


@pytest.mark.parametrize("provider", ["local", "openai"])
def test_the_voice_alone_is_at_minus_14_lufs_under_minus_1_dbtp_once_encoded(voices, provider, tmp_path):
    before = measure_loudness(voices[provider])
    result = build_soundtrack(voices[provider], tmp_path)
    after = measure_loudness(encoded_like_the_render(result.path))
    assert before.integrated < -15.5  # the test means something: the voice comes quieter...
    assert after.integrated == pytest.approx(-14.0, abs=1.0)
    assert after.true_peak <= -1.0
    assert result.channels == 1  # no music: mono, as cheap to encode as the voice was
    assert result.loudness == pytest.approx(after.integrated, abs=0.3)


def test_the_local_voice_that_peaks_at_full_scale_is_limited(voices, tmp_path):
    assert measure_loudness(voices["local"]).true_peak > -0.5  # Piper normalises its peaks to full scale
    result = build_soundtrack(voices["local"], tmp_path)
    assert result.limiter_db < -1.0
    assert measure_loudness(result.path).true_peak <= soundtrack.LIMITER_CEILING + 0.05


def test_the_voice_keeps_its_timing_to_the_sample(voices, tmp_path):
    """No look-ahead delay: lip sync and captions are timed on the speech WAV."""
    original, rate = read_wav(voices["local"])
    original = signal.resample_poly(original, RATE // math.gcd(RATE, rate), rate // math.gcd(RATE, rate))
    out = read_soundtrack(build_soundtrack(voices["local"], tmp_path).path)[:, 0]
    lags = range(-240, 241)  # +-5 ms
    correlation = [float(np.dot(original[1000 + lag:-1000 + lag], out[1000:-1000])) for lag in lags]
    assert lags[int(np.argmax(correlation))] == 0


@pytest.mark.parametrize("tail", [0.0, 1.37])
def test_the_soundtrack_lasts_the_speech_plus_the_tail(voices, music, tail, tmp_path):
    speech, rate = read_wav(voices["local"])
    for bed in (None, music):
        result = build_soundtrack(voices["local"], tmp_path / str(bed is None), music_path=bed, tail_seconds=tail)
        samples = read_soundtrack(result.path)
        assert len(samples) == math.ceil(len(speech) * RATE / rate) + round(tail * RATE)
        assert result.duration == pytest.approx(len(speech) / rate + tail, abs=1 / 30)  # within one frame
        assert result.duration == len(samples) / RATE


@pytest.mark.parametrize("provider", ["local", "openai"])
def test_voice_and_music_are_at_minus_14_lufs_under_minus_1_dbtp_once_encoded(voices, music, provider, tmp_path):
    result = build_soundtrack(voices[provider], tmp_path, music_path=music, tail_seconds=TAIL)
    after = measure_loudness(encoded_like_the_render(result.path))
    assert after.integrated == pytest.approx(-14.0, abs=1.0)
    assert after.true_peak <= -1.0
    assert result.channels == 2


@pytest.fixture(scope="module")
def mixed(voices, music, tmp_path_factory) -> np.ndarray:
    folder = tmp_path_factory.mktemp("mixed")
    return read_soundtrack(build_soundtrack(voices["local"], folder, music_path=music, tail_seconds=TAIL).path)


def test_the_music_is_ducked_while_the_voice_speaks_and_comes_back_after(voices, mixed):
    start, end = speech_span(voices["local"])
    total = len(mixed) / RATE
    under_voice = bed_level_db(mixed, start + 0.5, end - 0.5)
    after_voice = bed_level_db(mixed, end + 1.0, total - 2.0)  # risen again, before the fade-out
    assert end + 1.0 > MUSIC_SECONDS  # (that is the music's second time round: it looped)
    assert after_voice - under_voice >= 9.0  # ducked by about 12 dB
    assert after_voice > -40.0  # and clearly there


def test_the_music_fades_in_and_out(mixed):
    total = len(mixed) / RATE
    full = bed_level_db(mixed, total - 2.9, total - 2.1)
    assert bed_level_db(mixed, 0.0, 0.1) < full - 20
    assert bed_level_db(mixed, total - 0.1, total) < full - 20
    assert bed_level_db(mixed, total - 1.2, total - 0.8) < full - 3  # mid-fade


def test_music_that_does_not_decode_fails_clearly(voices, tmp_path):
    fake = tmp_path / "song.mp3"
    fake.write_bytes(b"ID3" + b"\0" * 7 + b"not really music" * 100)
    with pytest.raises(SoundtrackError) as raised:
        build_soundtrack(voices["local"], tmp_path, music_path=fake)
    assert raised.value.code == "music_unreadable"


def test_a_silent_voice_stays_silent(tmp_path):
    silent = tmp_path / "silent.wav"
    silent.write_bytes(wav_bytes(np.zeros(24000, dtype=np.int16)))
    result = build_soundtrack(silent, tmp_path / "out")
    assert not read_soundtrack(result.path).any()
    assert result.loudness == -math.inf


def test_the_music_duration_comes_from_decoding(music):
    assert soundtrack.music_duration(music) == pytest.approx(MUSIC_SECONDS, abs=0.05)


def test_a_gain_curve_never_exceeds_a_ticks_own_gain_between_ticks():
    gains_db = np.array([0.0, -6.0, -6.0, 0.0, -3.0])
    per_sample = dynamics.per_sample(gains_db, 4, 19)
    assert len(per_sample) == 19
    assert np.all(20 * np.log10(per_sample).reshape(-1)[:16].reshape(4, 4).max(axis=1) <= gains_db[:4] + 1e-5)
    ramped = dynamics.ramped(np.array([0.0, 0.0, 0.0, -6.0, 0.0, 0.0, 0.0]), fall_per_tick=2.0, rise_per_tick=3.0)
    assert ramped.tolist() == [0.0, -2.0, -4.0, -6.0, -3.0, 0.0, 0.0]  # look-ahead before, recovery after
