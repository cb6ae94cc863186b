"""Real media files for media-library tests: images drawn with Pillow, clips encoded by the ffmpeg of
the imageio-ffmpeg wheel (the binary the app probes them with), impostors, and stored media items."""
from __future__ import annotations

import functools
import io
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaigns import services
from campaigns.models import Campaign, CampaignMedia
from reelmate.media import inspect_media

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def image_upload(name="product.jpg", format="JPEG", size=(120, 90), color="#2A9D8F", content_type=None):
    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, format)
    return SimpleUploadedFile(name, output.getvalue(), content_type=content_type or CONTENT_TYPES[format])


@functools.cache
def clip_bytes(*, seconds: float = 1.0, size: tuple[int, int] = (160, 120), rate: int = 10, container: str = "mp4",
               codec: str = "libx264", rotation: int | None = None) -> bytes:
    """A clip of ffmpeg's moving test pattern; ``rotation`` adds a phone's display rotation (degrees)."""
    with tempfile.TemporaryDirectory(prefix="test-clip-") as scratch:
        encoded, final = Path(scratch) / f"encoded.{container}", Path(scratch) / f"final.{container}"
        # fmt: off
        _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate={rate}", "-t", str(seconds),
                "-c:v", codec, "-pix_fmt", "yuv420p", "-f", "mov" if container == "mov" else "mp4", str(encoded))
        # fmt: on
        if rotation is None:
            return encoded.read_bytes()
        _ffmpeg("-display_rotation", str(rotation), "-i", str(encoded), "-c", "copy", str(final))
        return final.read_bytes()


def audio_only_mp4_bytes() -> bytes:
    """An MP4 container holding one AAC stream and no video (an .m4a)."""
    with tempfile.TemporaryDirectory(prefix="test-audio-") as scratch:
        target = Path(scratch) / "voice.m4a"
        _ffmpeg("-f", "lavfi", "-i", "sine=f=440:duration=1", "-c:a", "aac", "-f", "mp4", str(target))
        return target.read_bytes()


def clip_upload(name="clip.mp4", content_type="video/mp4", **kwargs) -> SimpleUploadedFile:
    container = "mov" if name.endswith(".mov") else "mp4"
    return SimpleUploadedFile(name, clip_bytes(container=container, **kwargs), content_type=content_type)


def _ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                   check=True, capture_output=True, timeout=120)


def stored_media(campaign: Campaign, upload: SimpleUploadedFile | None = None) -> CampaignMedia:
    """A media item in the campaign's library, uploaded the way the API does it (its files really stored)."""
    upload = upload or image_upload()
    upload.media_info = inspect_media(upload)
    return services.add_media(campaign, upload)


def stored_keys(prefix: str) -> set[str]:
    """The keys in the S3 bucket under ``prefix``, read from the bucket itself."""
    return {item.key for item in default_storage.bucket.objects.filter(Prefix=prefix)}


def library_prefix(campaign: Campaign) -> str:
    return f"users/{campaign.owner_id}/campaigns/{campaign.pk}/media/"
