"""Files for upload tests: real images and audio, impostors, oversized files and decompression bombs."""
from __future__ import annotations

import io
import struct
import wave
import zlib

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(size=(64, 48), color="#FF5A1F", format="PNG") -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, format)
    return output.getvalue()


def png_upload(name="logo.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/png")


def text_renamed_png() -> SimpleUploadedFile:
    return SimpleUploadedFile("logo.png", b"just some text pretending to be an image\n" * 20,
                              content_type="image/png")


def truncated_png() -> SimpleUploadedFile:
    return SimpleUploadedFile("logo.png", image_bytes(size=(300, 300))[:400], content_type="image/png")


def gif_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("logo.gif", image_bytes(format="GIF"), content_type="image/gif")


def oversized_png(limit: int) -> SimpleUploadedFile:
    """A valid PNG padded past ``limit`` bytes with an ancillary chunk (still decodes)."""
    data = image_bytes()
    padding = b"\0" * (limit + 1)
    chunk = struct.pack(">I", len(padding)) + b"teXt" + padding
    chunk += struct.pack(">I", zlib.crc32(b"teXt" + padding) & 0xFFFFFFFF)
    end = data.rindex(b"IEND") - 4  # before IEND's length field
    return SimpleUploadedFile("big.png", data[:end] + chunk + data[end:], content_type="image/png")


def decompression_bomb(side: int = 20_000) -> SimpleUploadedFile:
    """A real PNG of side x side black 1-bit pixels: a few kilobytes that decode to hundreds of megapixels."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))

    row = b"\0" * (1 + (side + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row * 1000) for _ in range(side // 1000)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return SimpleUploadedFile("bomb.png", data, content_type="image/png")


def music_wav_bytes(seconds: float = 6.0, rate: int = 22050) -> bytes:
    """A real mono WAV: a gentle two-note chord."""
    t = np.arange(round(seconds * rate)) / rate
    tone = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.15 * np.sin(2 * np.pi * 330 * t)
    output = io.BytesIO()
    with wave.open(output, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.round(tone * 32767).astype("<i2").tobytes())
    return output.getvalue()


def music_upload(name="song.wav", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, music_wav_bytes(**kwargs), content_type="audio/wav")


def wav_header_with_noise() -> SimpleUploadedFile:
    """Starts like a WAV (it passes a look at its first bytes) but does not decode."""
    return SimpleUploadedFile("song.wav", b"RIFF\x24\x00\x10\x00WAVEfmt " + b"\x07garbage" * 3000,
                              content_type="audio/wav")
