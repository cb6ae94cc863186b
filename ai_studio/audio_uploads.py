"""Untrusted audio uploads staff make in the admin (voice samples, music beds), judged by their content.

A file passes when it starts like a WAV, MP3 or Ogg file (what a browser's ``<audio>`` element
plays; never judged by its name) and is at most ``settings.MAX_AUDIO_UPLOAD_BYTES``. A music bed
must also decode from start to end with ffmpeg (``soundtrack.music_duration``) and last between
MUSIC_MIN_SECONDS and MUSIC_MAX_SECONDS.
"""
from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from ai_studio.generation.soundtrack import SoundtrackError, music_duration

# Recognised by their first bytes: (magic, offset of a second mark, the mark).
_SIGNATURES = {"wav": (b"RIFF", 8, b"WAVE"), "mp3": (b"ID3", None, None), "ogg": (b"OggS", None, None)}
MUSIC_MIN_SECONDS = 5.0  # shorter would loop audibly under any reel
MUSIC_MAX_SECONDS = 600.0


class AudioRejected(Exception):
    """The upload is not audio we accept; ``message`` says why, for the person who sent it."""

    def __init__(self, message: str, code: str = "invalid_audio"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class AudioUpload:
    extension: str  # "wav" | "mp3" | "ogg", from the content
    duration: float | None = None  # seconds, when the file was decoded

    def storage_name(self) -> str:
        """A fresh name for storing the file: random (the client's name is never reused), right extension."""
        return f"{uuid.uuid4().hex}.{self.extension}"


def check_audio_upload(file) -> AudioUpload:
    """Size and type of an uploaded file (any Django ``File``); raises AudioRejected. Leaves it at its start."""
    limit = settings.MAX_AUDIO_UPLOAD_BYTES
    if file.size > limit:
        raise AudioRejected(f"The file is {file.size:,} bytes; the limit is {limit:,} bytes.", "file_too_large")
    file.seek(0)
    head = file.read(12)
    file.seek(0)
    extension = sniff_audio(head)
    if extension is None:
        raise AudioRejected("Not a WAV, MP3 or Ogg audio file.")
    return AudioUpload(extension)


def check_music_upload(file) -> AudioUpload:
    """``check_audio_upload``, then decode it all: real audio of an acceptable length, with its duration."""
    upload = check_audio_upload(file)
    with tempfile.TemporaryDirectory(prefix="music-upload-") as scratch:
        path = Path(scratch) / f"upload.{upload.extension}"
        with open(path, "wb") as copy:
            shutil.copyfileobj(file, copy)
        file.seek(0)
        try:
            seconds = music_duration(path)
        except SoundtrackError as error:
            raise AudioRejected("This file does not decode as audio from start to end.") from error
    if not MUSIC_MIN_SECONDS <= seconds <= MUSIC_MAX_SECONDS:
        raise AudioRejected(f"The music lasts {seconds:.1f} s; it must last {MUSIC_MIN_SECONDS:g} to "
                            f"{MUSIC_MAX_SECONDS:g} s.", "invalid_duration")
    return AudioUpload(upload.extension, seconds)


def sniff_audio(head: bytes) -> str | None:
    """"wav", "mp3" or "ogg" from a file's first 12 bytes; None for anything else."""
    for extension, (magic, offset, second) in _SIGNATURES.items():
        if head.startswith(magic) and (offset is None or head[offset:offset + len(second)] == second):
            return extension
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # an MP3 frame without an ID3 tag
        return "mp3"
    return None
