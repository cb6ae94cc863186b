"""What the engine's tests write and read back: WAV files in, decoded video frames out."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

from ai_studio.generation.ffmpeg import ffmpeg_exe


def write_wav(path: Path, samples: np.ndarray, sample_rate: int = 22050) -> Path:
    """``samples`` (int16) as a mono 16-bit WAV."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples.tobytes())
    return path


def decode(video: Path, width: int, height: int) -> np.ndarray:
    """Every frame of ``video`` as RGB pixels: (frames, height, width, 3)."""
    raw = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3)
