"""reelmate.media: which clips a media library accepts, read from their content by the bundled ffmpeg."""
import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaigns.tests.media_files import audio_only_mp4_bytes, clip_bytes, image_upload
from reelmate.media import MAX_CLIP_SIDE, MediaRejected, MediaTooLarge, inspect_media


def clip(name="clip.mp4", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, clip_bytes(container=name.rsplit(".", 1)[1], **kwargs))


@pytest.mark.parametrize(("name", "codec", "content_type"), [
    ("edit.mov", "prores_ks", "video/quicktime"),
    ("web.mp4", "libvpx-vp9", "video/mp4"),
    ("phone.mp4", "libx265", "video/mp4"),
])
def test_editing_and_web_codecs_are_accepted(name, codec, content_type):
    info = inspect_media(clip(name, codec=codec, size=(64, 48)))
    assert (info.kind, info.content_type, info.width, info.height) == ("video", content_type, 64, 48)


def test_a_clip_of_exactly_the_limit_is_accepted():
    info = inspect_media(clip(seconds=60, size=(32, 32), rate=2))
    assert info.duration == pytest.approx(60, abs=0.1)


def test_a_clip_wider_than_the_limit_is_refused():
    with pytest.raises(MediaRejected, match=f"frames are {MAX_CLIP_SIDE + 64}x16 pixels; at most {MAX_CLIP_SIDE}"):
        inspect_media(clip(seconds=0.5, size=(MAX_CLIP_SIDE + 64, 16), rate=2))


def test_frames_of_more_pixels_than_the_limit_allows_are_refused_before_they_are_decoded():
    # 4160x4160 is over 4096x4096 pixels: the decoder refuses to open, as Pillow refuses a decompression bomb.
    with pytest.raises(MediaRejected, match=f"frames are too large; at most {MAX_CLIP_SIDE} pixels"):
        inspect_media(clip(seconds=0.2, size=(MAX_CLIP_SIDE + 64, MAX_CLIP_SIDE + 64), rate=5))


def test_the_thumbnail_is_a_small_jpeg_of_the_first_frame():
    info = inspect_media(clip(size=(640, 360)))
    with Image.open(info.thumbnail) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (256, 144))


def test_a_file_is_left_at_its_start_for_whoever_stores_it():
    for upload in (clip(), image_upload()):
        inspect_media(upload)
        assert upload.tell() == 0


def test_an_old_quicktime_file_without_ftyp_is_recognised_as_mov():
    data = clip_bytes(container="mov")
    ftyp_size = struct.unpack(">I", data[:4])[0]
    # A "wide" atom where the ftyp box was: QuickTime files from before ftyp open like this.
    old_style = struct.pack(">I", ftyp_size) + b"wide" + b"\0" * (ftyp_size - 8) + data[ftyp_size:]
    assert inspect_media(SimpleUploadedFile("old.mov", old_style)).content_type == "video/quicktime"


def test_a_clip_over_the_byte_limit_is_too_large_before_ffmpeg_reads_it(settings):
    settings.MAX_VIDEO_UPLOAD_BYTES = 100
    with pytest.raises(MediaTooLarge) as raised:
        inspect_media(clip())
    assert raised.value.code == "file_too_large"


def test_a_file_with_only_sound_holds_no_video():
    audio_only = SimpleUploadedFile("voice.m4a", audio_only_mp4_bytes())
    with pytest.raises(MediaRejected, match="holds no video"):
        inspect_media(audio_only)

