"""What the engine's tests write and read back: WAV files and a portrait in, decoded video frames out."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

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


def draw_portrait(path: Path) -> Path:
    """A photo-like portrait: a background shading in both directions (as a studio's does), a
    face whose mouth is where the renderer assumes it, (0.5, 0.72), and shoulders."""
    width, height = 600, 800
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 0.55 + 0.3 * ys / height + 0.25 * xs / width
    pixels = np.stack([70 * shade, 95 * shade, 120 * shade + 40 * xs / width], axis=2)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 640, 540, 1100), fill=(200, 90, 60))  # shoulders
    draw.ellipse((170, 250, 430, 640), fill=(225, 182, 150))  # face
    for eye_x in (250, 350):
        draw.ellipse((eye_x - 22, 430, eye_x + 22, 460), fill=(40, 35, 35))
    draw.line((265, 576, 335, 576), fill=(150, 70, 70), width=6)
    image.save(path)
    return path
