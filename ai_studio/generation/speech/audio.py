"""Speech audio: in memory as int16 samples with their timings (:class:`Spoken`), and as a WAV."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from ..types import PhonemeTiming, WordTiming


class Spoken(NamedTuple):
    """What an offline engine said, before it is written out."""

    samples: np.ndarray
    sample_rate: int
    words: list[WordTiming]
    timing_source: str
    phonemes: list[PhonemeTiming]  # empty when the engine cannot say when each one is heard


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
