"""The BS.1770-4 meter the soundtrack relies on: the standard's reference values, and ffmpeg's meter."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest

from ai_studio.generation import lufs
from ai_studio.generation.ffmpeg import measure_loudness

RATE = lufs.SAMPLE_RATE


def sine(frequency: float, seconds: float, peak_dbfs: float, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (lufs.gain(peak_dbfs) * np.sin(2 * np.pi * frequency * t + phase)).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    channels = lufs.as_channels(samples)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels.shape[1])
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.round(channels * 32767).astype("<i2").tobytes())
    return path


def test_a_1khz_sine_at_minus_23_dbfs_in_both_channels_reads_minus_23_lufs():
    """EBU Tech 3341's first reference signal."""
    tone = sine(1000, 20, -23.0)
    assert lufs.integrated_loudness(np.stack([tone, tone], axis=1)) == pytest.approx(-23.0, abs=0.05)


def test_silence_and_gated_quiet_parts_do_not_count():
    tone = sine(1000, 10, -20.0)
    assert lufs.integrated_loudness(np.zeros(RATE * 5)) == -math.inf
    # 10 s of tone, then 10 s 50 dB quieter (under the relative gate): the loudness of the tone alone,
    # but for the few blocks that straddle the two.
    with_quiet_tail = np.concatenate([tone, tone * lufs.gain(-50)])
    assert lufs.integrated_loudness(with_quiet_tail) == pytest.approx(lufs.integrated_loudness(tone), abs=0.1)


def test_the_true_peak_finds_peaks_between_samples():
    # A quarter-sample-rate sine sampled 45 degrees off its crests: every sample is 3 dB below them.
    tone = sine(RATE / 4, 1, -6.0, phase=np.pi / 4)
    assert 20 * math.log10(np.abs(tone).max()) == pytest.approx(-9.0, abs=0.05)
    assert lufs.true_peak(tone) == pytest.approx(-6.0, abs=0.3)


def test_the_peak_search_floor_changes_nothing_above_it():
    rng = np.random.default_rng(5)
    noise = (rng.standard_normal(RATE * 3) * 0.1 * np.repeat(rng.random(3000), RATE // 1000)).astype(np.float32)
    everything = lufs.tick_true_peaks(noise)
    loud_only = lufs.tick_true_peaks(noise, floor=0.15)
    loud = loud_only >= 0.15
    assert loud.any() and not loud.all()
    assert np.array_equal(loud_only[loud], everything[loud])


def test_the_meter_agrees_with_ffmpegs(tmp_path):
    rng = np.random.default_rng(3)
    left = sine(220, 6, -12.0) * np.repeat(rng.random(60) ** 2, RATE // 10).astype(np.float32)
    right = (rng.standard_normal(len(left)) * 0.05).astype(np.float32)
    stereo = np.stack([left, right], axis=1)
    reference = measure_loudness(write_wav(tmp_path / "signal.wav", stereo))
    assert lufs.integrated_loudness(stereo) == pytest.approx(reference.integrated, abs=0.15)
    assert lufs.true_peak(stereo) == pytest.approx(reference.true_peak, abs=0.25)
