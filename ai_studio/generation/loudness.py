"""How loud the voice is during each video frame, and how open the avatar's mouth should be.

A frame's loudness is the RMS of the samples heard while it is on screen, on a decibel scale
relative to the loud parts of the clip, so a quiet voice opens the mouth as wide as a loud one.
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np

# This far below the loud parts counts as a closed mouth.
DYNAMIC_RANGE_DB = 30.0
# A clip whose loud parts are quieter than this is silent.
SILENCE_DBFS = -60.0
# "The loud parts": a high percentile, so that a single click does not set the scale.
LOUD_PERCENTILE = 95
# ~100 ms at 30 fps: the mouth does not flicker open or shut for a single frame.
SMOOTHING_KERNEL = np.array([0.25, 0.5, 0.25])
# Envelope level under which the mouth stays shut (breaths, hiss, room tone).
MOUTH_CLOSED_BELOW = 0.2

_SAMPLE_TYPES = {1: np.uint8, 2: np.int16, 4: np.int32}


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """The WAV's samples as mono float32 in [-1, 1], and its sample rate (8/16/32-bit PCM)."""
    with wave.open(str(path), "rb") as wav:
        width, channels = wav.getsampwidth(), wav.getnchannels()
        rate, raw = wav.getframerate(), wav.readframes(wav.getnframes())
    if width not in _SAMPLE_TYPES:
        raise ValueError(f"{path}: {8 * width}-bit samples are not supported")
    samples = np.frombuffer(raw, dtype=_SAMPLE_TYPES[width]).astype(np.float32)
    if width == 1:  # 8-bit WAV is unsigned
        samples -= 128.0
    samples /= float(2 ** (8 * width - 1))
    return samples.reshape(-1, channels).mean(axis=1), rate


def frame_count(sample_count: int, sample_rate: int, fps: int) -> int:
    """Frames needed to cover the audio (the last one may be partly silent)."""
    return max(1, math.ceil(sample_count * fps / sample_rate - 1e-9))


def loudness_envelope(samples: np.ndarray, sample_rate: int, fps: int) -> np.ndarray:
    """Per-frame loudness in [0, 1]: 1 for the loud parts of speech, 0 for silence."""
    frames = frame_count(len(samples), sample_rate, fps)
    if len(samples) == 0:
        return np.zeros(frames)
    # Frame i is on screen while samples starts[i] .. starts[i + 1] - 1 play.
    starts = np.round(np.arange(frames) * sample_rate / fps).astype(np.int64)
    starts = np.minimum(starts, len(samples) - 1)
    energy = np.add.reduceat(samples.astype(np.float64) ** 2, starts)
    counts = np.diff(starts, append=len(samples)).clip(min=1)
    decibels = 10 * np.log10(energy / counts + 1e-12)
    loud = np.percentile(decibels, LOUD_PERCENTILE)
    if loud < SILENCE_DBFS:
        return np.zeros(frames)
    quietest = loud - DYNAMIC_RANGE_DB
    envelope = np.clip((decibels - quietest) / DYNAMIC_RANGE_DB, 0.0, 1.0)
    return np.convolve(envelope, SMOOTHING_KERNEL, mode="same")


def mouth_levels(envelope: np.ndarray, levels: int) -> np.ndarray:
    """Mouth openness per frame: 0 (closed) .. levels - 1 (widest), as integers."""
    speaking = (envelope - MOUTH_CLOSED_BELOW) / (1.0 - MOUTH_CLOSED_BELOW)
    return np.clip(np.ceil(speaking * (levels - 1)), 0, levels - 1).astype(int)


def mouth_levels_for_wav(path: Path, fps: int, levels: int) -> np.ndarray:
    """Mouth openness per video frame for a WAV file."""
    samples, rate = read_wav(path)
    return mouth_levels(loudness_envelope(samples, rate, fps), levels)
