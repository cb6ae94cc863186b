"""Untrusted uploads to a campaign's media library: still images and short video clips.

What a file is comes from its bytes, never from its name or the client's Content-Type:

- An **image** is whatever ``reelmate.images`` accepts (PNG, JPEG, WebP, with the portraits' size and
  pixel limits: ``MAX_IMAGE_UPLOAD_BYTES``, ``MAX_IMAGE_PIXELS``, decompression bombs refused).
- A **clip** is an MP4 or a QuickTime MOV (ISO base media boxes: an ``ftyp`` box, or QuickTime's
  older leading atoms), at most ``settings.MAX_VIDEO_UPLOAD_BYTES`` and ``MAX_CLIP_SECONDS`` long,
  at most ``MAX_CLIP_SIDE`` pixels on either side, whose first video stream is one of
  ``VIDEO_CODECS``: H.264 and HEVC (what phones and editors export), Apple ProRes (MOV from
  editing suites), VP9 and AV1 (in MP4). Its sound, if any, is not checked: reels show clips muted.

A clip is read once by the ffmpeg binary of the imageio-ffmpeg wheel (which has no ffprobe), with
the mov/mp4 demuxer forced and local files only. That run decodes the first frame (so the codec
really decodes, and the picture comes out as players show it, rotation applied: its size is the
clip's size) and copies every video packet to nowhere with ``-xerror`` (so a cut-off or corrupt file
fails without decoding it all; a 75 MB 4K clip takes about a third of a second).

Every accepted file comes with a JPEG thumbnail (at most 256 px), made from the image or from the
clip's first frame.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image

from reelmate.images import NotAnImage, inspect_image, make_thumbnail
from reelmate.uploads import UploadRejected, UploadTooLarge

IMAGE, VIDEO = "image", "video"
VIDEO_CODECS = {"h264": "H.264", "hevc": "HEVC (H.265)", "prores": "Apple ProRes", "vp9": "VP9", "av1": "AV1"}
MAX_CLIP_SECONDS = 60
# Containers round a clip's length up to their time scale: a clip cut at 60 s may say 60.02 s.
CLIP_SECONDS_TOLERANCE = 0.1
MAX_CLIP_SIDE = 4096
PROBE_TIMEOUT_SECONDS = 60

# ISO base media files open with a box: 4 bytes of size, then its type.
_MP4_FAMILY_BOX = b"ftyp"
_QUICKTIME_BRAND = b"qt  "
# QuickTime files written before ftyp existed open with one of these atoms.
_QUICKTIME_LEADING_ATOMS = {b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}
# ftyp brands of HEIF/AVIF still images (an iPhone's HEIC photos): ISO boxes too, but not clips.
_STILL_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
CONTAINERS = {"mp4": "video/mp4", "mov": "video/quicktime"}  # extension -> content type

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_FIRST_VIDEO_CODEC = re.compile(r"Stream #0:\d+\S*: Video: (\w+)")


class MediaRejected(UploadRejected):
    """The upload is not media we accept. (An image's own checks raise ``reelmate.images`` errors,
    which are upload errors too.)"""

    code = "invalid_media"


class MediaTooLarge(MediaRejected, UploadTooLarge):
    code = UploadTooLarge.code


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # IMAGE | VIDEO
    extension: str  # of the sniffed type: "jpg", "png", "webp", "mp4", "mov"
    content_type: str
    width: int  # as shown (a phone clip's rotation applied)
    height: int
    duration: float | None  # seconds; None for an image
    thumbnail: ContentFile  # JPEG, at most 256 px on either side


def inspect_media(file) -> MediaInfo:
    """Check an uploaded file (an image or a clip) and describe it, with a thumbnail.

    Raises ``UploadTooLarge`` or ``UploadRejected`` (``reelmate.images`` errors for an image that breaks
    its rules). Leaves the file positioned at its start.
    """
    file.seek(0)
    head = file.read(12)
    file.seek(0)
    if _container_of(head) is not None:
        return inspect_clip(file)
    try:
        image = inspect_image(file)
    except NotAnImage as error:
        raise MediaRejected("The file is neither a PNG, JPEG or WebP image nor an MP4 or MOV video.") from error
    return MediaInfo(kind=IMAGE, extension=image.extension, content_type=image.content_type, width=image.width,
                     height=image.height, duration=None, thumbnail=make_thumbnail(file))


def inspect_clip(file) -> MediaInfo:
    """Check a video clip (see the module's docstring). Raises ``MediaTooLarge`` or ``MediaRejected``."""
    size = file.size
    if size > settings.MAX_VIDEO_UPLOAD_BYTES:
        raise MediaTooLarge(f"The video is {size:,} bytes; the limit is {settings.MAX_VIDEO_UPLOAD_BYTES:,} bytes.")
    file.seek(0)
    container = _container_of(file.read(12))
    file.seek(0)
    if container is None:
        raise MediaRejected("The file is not an MP4 or MOV video.")
    if container == "heif":
        raise MediaRejected("HEIF and AVIF images are not accepted; upload a PNG, JPEG or WebP image.")
    with _local_path(file) as path, tempfile.TemporaryDirectory(prefix="clip-probe-") as scratch:
        first_frame = Path(scratch) / "first-frame.jpg"
        input_description = _read_clip(path, first_frame)
        _check_codec(input_description)
        duration = _checked_duration(input_description)
        with Image.open(first_frame) as frame:
            width, height = frame.size
        if width > MAX_CLIP_SIDE or height > MAX_CLIP_SIDE:
            raise MediaRejected(_too_large_frames_message(width, height))
        with first_frame.open("rb") as frame_file:
            thumbnail = make_thumbnail(frame_file)
    file.seek(0)
    return MediaInfo(kind=VIDEO, extension=container, content_type=CONTAINERS[container], width=width,
                     height=height, duration=duration, thumbnail=thumbnail)


def _container_of(head: bytes) -> str | None:
    """"mp4", "mov", "heif" (a still image in ISO boxes) or None, from a file's first 12 bytes."""
    box_type = head[4:8]
    if box_type == _MP4_FAMILY_BOX:
        brand = head[8:12]
        if brand in _STILL_IMAGE_BRANDS:
            return "heif"
        return "mov" if brand == _QUICKTIME_BRAND else "mp4"
    return "mov" if box_type in _QUICKTIME_LEADING_ATOMS else None


def _read_clip(path: str, first_frame: Path) -> str:
    """Run ffmpeg over the clip once; write its first frame; return ffmpeg's description of the input
    (its streams, before the output's)."""
    # fmt: off
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-xerror",
        # A frame over this many pixels is refused before it is decoded (as Pillow does with images).
        "-max_pixels", str(MAX_CLIP_SIDE * MAX_CLIP_SIDE),
        "-protocol_whitelist", "file", "-f", "mov", "-i", path,
        "-map", "0:v:0", "-frames:v", "1", "-update", "1", "-q:v", "2", "-y", str(first_frame),
        "-map", "0:v:0", "-c", "copy", "-f", "null", "-",
    ]
    # fmt: on
    try:
        completed = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                   timeout=PROBE_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as error:
        raise MediaRejected("The video could not be read in time; it may be damaged.") from error
    if completed.returncode != 0 or not first_frame.is_file():
        if "matches no streams" in completed.stderr:
            raise MediaRejected("The file holds no video.")
        if "exceeds specified max pixel count" in completed.stderr:
            raise MediaRejected(_too_large_frames_message())
        raise MediaRejected("The video could not be read; it is damaged or incomplete.")
    return completed.stderr.split("Stream mapping:", 1)[0]


def _too_large_frames_message(width: int | None = None, height: int | None = None) -> str:
    size = f"{width}x{height} pixels" if width else "too large"
    return f"The video's frames are {size}; at most {MAX_CLIP_SIDE} pixels on either side are accepted."


def _check_codec(input_description: str) -> None:
    match = _FIRST_VIDEO_CODEC.search(input_description)
    codec = match.group(1) if match else "unknown"
    if codec not in VIDEO_CODECS:
        raise MediaRejected(f"Videos encoded as {codec} are not accepted; use {', '.join(VIDEO_CODECS.values())}.")


def _checked_duration(input_description: str) -> float:
    match = _DURATION.search(input_description)
    if match is None:
        raise MediaRejected("The video's duration cannot be read.")
    hours, minutes, seconds = match.groups()
    duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if duration > MAX_CLIP_SECONDS + CLIP_SECONDS_TOLERANCE:
        raise MediaRejected(f"The video is {duration:.1f} s long; clips may be at most {MAX_CLIP_SECONDS} s.")
    if duration <= 0:
        raise MediaRejected("The video is empty.")
    return duration


@contextmanager
def _local_path(file) -> Iterator[str]:
    """A path ffmpeg can read: a large upload's temporary file as is, anything else copied to disk."""
    if hasattr(file, "temporary_file_path"):
        yield file.temporary_file_path()
        return
    with tempfile.NamedTemporaryFile(prefix="upload-", suffix=".clip") as copy:
        file.seek(0)
        shutil.copyfileobj(file, copy)
        copy.flush()
        file.seek(0)
        yield copy.name
