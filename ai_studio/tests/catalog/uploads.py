"""Image files for upload tests: real images, impostors, oversized files and decompression bombs."""
from __future__ import annotations

import io
import struct
import zlib

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
