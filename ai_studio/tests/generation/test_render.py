"""The render stage: portrait + voice + captions -> H.264/AAC MP4 and a JPEG thumbnail.

Plain pytest (no database): every input is generated here, every output checked with ffmpeg.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ai_studio.generation import render as render_module
from ai_studio.generation.ffmpeg import (
    RenderError,
    extract_frame,
    parse_media_info,
    probe,
)
from ai_studio.generation.loudness import loudness_envelope, mouth_levels
from ai_studio.generation.render import escape_filter_value, render_video
from ai_studio.generation.render_spec import RenderSpec
from ai_studio.generation.types import (
    Cue,
    RenderResult,
    WordTiming,
    frame_size,
)
from ai_studio.tests.generation.media_files import write_wav

SAMPLE_RATE = 22050
SYLLABLES_PER_SECOND = 4
PAUSE = (1.2, 1.7)  # seconds of silence inside the clip
CLIP_SECONDS = 2.6
FPS = 30


# --- generated inputs ---------------------------------------------------------------------


def draw_portrait(path: Path, size: tuple[int, int] = (600, 750)) -> Path:
    """A face whose mouth sits where the renderer assumes it: (0.5, 0.72) of the image."""
    width, height = size
    image = Image.new("RGB", size, (190, 200, 215))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (0.2 * width, 0.15 * height, 0.8 * width, 0.92 * height), fill=(225, 182, 150)
    )
    for eye_x in (0.38, 0.62):
        eye = (
            (eye_x - 0.04) * width,
            0.45 * height,
            (eye_x + 0.04) * width,
            0.5 * height,
        )
        draw.ellipse(eye, fill=(40, 35, 35))
    draw.line(
        (0.44 * width, 0.72 * height, 0.56 * width, 0.72 * height),
        fill=(150, 70, 70),
        width=5,
    )
    image.save(path)
    return path


def speech_like_samples(seconds: float = CLIP_SECONDS) -> np.ndarray:
    """A voiced tone whose loudness rises and falls like syllables, with a pause in the middle.

    The envelope is loudest at (k + 0.5) / SYLLABLES_PER_SECOND and silent at k / that.
    """
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = 0.5 - 0.5 * np.cos(2 * np.pi * SYLLABLES_PER_SECOND * t)
    envelope[(t >= PAUSE[0]) & (t < PAUSE[1])] = 0.0
    voice = np.sin(2 * np.pi * 140 * t) + 0.5 * np.sin(2 * np.pi * 280 * t)
    return (0.45 * envelope * voice / 1.5 * 32767).astype(np.int16)



@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    return {
        "portrait": draw_portrait(folder / "portrait.png"),
        "audio": write_wav(folder / "voice.wav", speech_like_samples()),
    }


def make_spec(
    inputs: dict[str, Path], aspect: str = "9:16", **overrides: object
) -> RenderSpec:
    """The card look, whose geometry these tests know (test_layouts.py covers the others)."""
    width, height = frame_size(aspect, "720p")
    fields = {
        "portrait_path": inputs["portrait"],
        "audio_path": inputs["audio"],
        "audio_duration": CLIP_SECONDS,
        "width": width,
        "height": height,
        "accent_color": "#FF5A36",
        "layout": "card",
    }
    return RenderSpec(**{**fields, **overrides})


CUES = [
    Cue(0.1, 1.1, (WordTiming("Meet", 0.1, 0.4), WordTiming("ReelMate", 0.45, 1.1))),
    Cue(1.7, 2.5, (WordTiming("today", 1.7, 2.5),)),
]


@pytest.fixture(scope="module")
def renders(
    inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RenderResult]:
    """One render per aspect ratio without captions, plus a 9:16 one with captions."""
    results = {}
    for aspect in ("9:16", "1:1", "4:5", "16:9"):
        results[aspect] = render_video(
            make_spec(inputs, aspect), tmp_path_factory.mktemp(aspect.replace(":", "x"))
        )
    results["captioned"] = render_video(
        make_spec(inputs, cues=CUES), tmp_path_factory.mktemp("captioned")
    )
    return results


def frame_pixels(video: Path, seconds: float, folder: Path) -> np.ndarray:
    image = extract_frame(
        video, seconds, folder / f"{video.parent.name}-{seconds:.3f}.png"
    )
    return np.asarray(Image.open(image).convert("RGB"), dtype=np.int16)


def changed_pixels(a: np.ndarray, b: np.ndarray, threshold: int = 40) -> int:
    """Pixels differing clearly (more than encoder noise) in some channel."""
    return int((np.abs(a - b).max(axis=2) > threshold).sum())


# --- the video file -----------------------------------------------------------------------


@pytest.mark.parametrize("aspect", ["9:16", "1:1", "4:5", "16:9"])
def test_video_is_h264_aac_yuv420p_at_exactly_30_fps_in_the_frame_size(renders, aspect):
    result = renders[aspect]
    info = probe(result.video_path)
    width, height = frame_size(aspect, "720p")

    assert (info["video_codec"], info["audio_codec"], info["pix_fmt"]) == (
        "h264",
        "aac",
        "yuv420p",
    )
    assert (info["width"], info["height"]) == (width, height)
    assert info["fps"] == FPS
    assert info["frames"] == math.ceil(CLIP_SECONDS * FPS)
    assert (result.width, result.height, result.fps) == (width, height, FPS)
    assert (result.video_codec, result.audio_codec) == ("h264", "aac")
    assert result.size_bytes == result.video_path.stat().st_size > 0


@pytest.mark.parametrize("aspect", ["9:16", "16:9"])
def test_video_lasts_as_long_as_the_voice(renders, aspect):
    info = probe(renders[aspect].video_path)

    assert info["duration"] == pytest.approx(CLIP_SECONDS, abs=0.1)
    assert info["video_duration"] == pytest.approx(CLIP_SECONDS, abs=0.1)
    assert renders[aspect].duration == pytest.approx(CLIP_SECONDS, abs=0.1)


def top_level_boxes(mp4: Path) -> list[str]:
    """The types of an MP4's top-level boxes, in file order."""
    data, offset, boxes = mp4.read_bytes(), 0, []
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        if size == 1:  # a 64-bit size follows the type
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        offset += size if size else len(data)
    return boxes


def test_moov_box_comes_before_the_media_for_progressive_playback(renders):
    boxes = top_level_boxes(renders["9:16"].video_path)

    assert boxes.index("moov") < boxes.index("mdat")


def test_only_the_video_and_thumbnail_are_left_in_the_workdir(renders):
    folder = renders["9:16"].video_path.parent

    assert sorted(p.name for p in folder.iterdir()) == ["thumbnail.jpg", "video.mp4"]


# --- the thumbnail ------------------------------------------------------------------------


@pytest.mark.parametrize("aspect", ["9:16", "16:9"])
def test_thumbnail_is_a_jpeg_of_the_frame_size(renders, aspect):
    thumbnail = renders[aspect].thumbnail_path
    info = probe(thumbnail)

    assert thumbnail.name == "thumbnail.jpg"
    assert Image.open(thumbnail).format == "JPEG"
    assert info["video_codec"] == "mjpeg"
    assert (info["width"], info["height"]) == frame_size(aspect, "720p")


def test_thumbnail_looks_like_a_frame_of_the_video(renders, tmp_path):
    result = renders["9:16"]
    frame = frame_pixels(result.video_path, CLIP_SECONDS / 3, tmp_path)
    thumbnail = np.asarray(
        Image.open(result.thumbnail_path).convert("RGB"), dtype=np.int16
    )

    # Same layout: apart from colour-conversion noise, at most the mouth differs (its
    # openness may not be the same at this instant).
    assert np.median(np.abs(frame - thumbnail).max(axis=2)) <= 4
    assert changed_pixels(frame, thumbnail) < 0.01 * frame.shape[0] * frame.shape[1]


# --- the talking mouth --------------------------------------------------------------------


def test_mouth_moves_between_syllables_while_speaking(renders, tmp_path):
    video = renders["9:16"].video_path
    loud = frame_pixels(video, 0.625, tmp_path)  # a syllable's peak
    quiet = frame_pixels(video, 0.5, tmp_path)  # between two syllables

    assert changed_pixels(loud, quiet) > 300


def test_mouth_stays_still_during_a_pause(renders, tmp_path):
    video = renders["9:16"].video_path
    early, late = (
        frame_pixels(video, t, tmp_path) for t in (PAUSE[0] + 0.15, PAUSE[1] - 0.1)
    )

    assert changed_pixels(early, late) < 30


def test_only_the_mouth_region_changes_between_frames(renders, tmp_path):
    video = renders["9:16"].video_path
    loud = frame_pixels(video, 0.625, tmp_path)
    quiet = frame_pixels(video, 0.5, tmp_path)
    rows, cols = np.nonzero(np.abs(loud - quiet).max(axis=2) > 40)
    height, width = loud.shape[:2]

    assert rows.min() > 0.45 * height and rows.max() < 0.75 * height
    assert cols.min() > 0.3 * width and cols.max() < 0.7 * width


def test_mouth_levels_follow_loudness_and_close_in_silence():
    samples = speech_like_samples().astype(np.float32) / 32767
    levels = mouth_levels(loudness_envelope(samples, SAMPLE_RATE, FPS), 5)

    assert len(levels) == math.ceil(CLIP_SECONDS * FPS)
    assert levels.max() == 4 and levels.min() == 0
    pause_frames = levels[int(PAUSE[0] * FPS) + 3 : int(PAUSE[1] * FPS) - 3]
    assert not pause_frames.any()


def test_silent_audio_keeps_the_mouth_closed():
    levels = mouth_levels(loudness_envelope(np.zeros(SAMPLE_RATE), SAMPLE_RATE, FPS), 5)

    assert len(levels) == FPS and not levels.any()


def test_the_mouth_follows_the_voice_not_the_music_in_the_soundtrack(inputs, tmp_path):
    """The soundtrack (voice + music) is what is heard; the voice alone (voice_path) moves the mouth."""
    t = np.arange(int(CLIP_SECONDS * SAMPLE_RATE)) / SAMPLE_RATE
    music = write_wav(tmp_path / "music.wav", (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16))

    def mouth_windows(**audio: Path) -> list:
        scene = render_module.build_scene(make_spec(inputs, **audio))
        return [layer.windows for layer in scene.background.layers]

    assert mouth_windows(audio_path=music, voice_path=inputs["audio"]) == mouth_windows(audio_path=inputs["audio"])
    assert mouth_windows(audio_path=music) != mouth_windows(audio_path=inputs["audio"])


def test_a_render_on_one_x264_thread_is_the_same_video(inputs, renders, tmp_path):
    """RENDER_THREADS=1, for as many workers as cores: the encoder is asked for one thread (and no
    sliced threads), and the video is the same size, length and frame count as x264's own choice."""
    spec = make_spec(inputs)
    params = render_module.encode_args(spec, [], 10, tmp_path / "v.mp4", "veryfast", 23, threads=1)
    assert {"threads=1"} <= set(params[params.index("-x264-params") + 1].split(":"))
    assert "sliced-threads=1" not in params[params.index("-x264-params") + 1]
    default = render_module.encode_args(spec, [], 10, tmp_path / "v.mp4", "veryfast", 23)
    assert not any(value.startswith("threads=") for value in default[default.index("-x264-params") + 1].split(":"))

    single = render_video(spec, tmp_path / "single", threads=1)
    one, auto = probe(single.video_path), probe(renders["9:16"].video_path)
    assert (one["width"], one["height"], one["frames"], one["video_codec"]) == (
        auto["width"], auto["height"], auto["frames"], auto["video_codec"])


# --- captions -----------------------------------------------------------------------------


def test_captions_are_burned_in_where_cues_are_shown(renders, tmp_path):
    plain, captioned = renders["9:16"].video_path, renders["captioned"].video_path
    at = 1.0  # "Meet ReelMate" is on screen; the mouth is at the same level in both videos
    without = frame_pixels(plain, at, tmp_path)
    with_captions = frame_pixels(captioned, at, tmp_path)
    height = without.shape[0]
    # Bottom captions sit 22% above the bottom edge.
    caption_band = slice(int(0.6 * height), int(0.85 * height))
    top_band = slice(0, int(0.3 * height))

    assert changed_pixels(without[caption_band], with_captions[caption_band]) > 500
    assert changed_pixels(without[top_band], with_captions[top_band]) == 0


def test_no_captions_are_shown_between_cues(renders, tmp_path):
    plain, captioned = renders["9:16"].video_path, renders["captioned"].video_path
    at = 1.45  # inside the pause, after the first cue and before the second
    without = frame_pixels(plain, at, tmp_path)
    with_captions = frame_pixels(captioned, at, tmp_path)

    assert changed_pixels(without, with_captions) == 0


def test_fonts_folder_with_filter_graph_metacharacters_in_its_path(
    inputs, tmp_path, monkeypatch
):
    fonts = tmp_path / "it's: [fonts], here; ok"
    fonts.symlink_to(render_module.FONT_DIR, target_is_directory=True)
    monkeypatch.setattr(render_module, "FONT_DIR", fonts)

    result = render_video(
        make_spec(inputs, "1:1", audio_duration=0.5, cues=CUES), tmp_path
    )

    assert probe(result.video_path)["frames"] == 15


def test_filter_values_are_escaped_for_the_option_and_for_the_graph():
    assert escape_filter_value("/a:b") == r"/a\\:b"
    assert escape_filter_value("x,y;[z]") == r"x\,y\;\[z\]"
    assert escape_filter_value("it's") == r"it\\\'s"


# --- layout and branding ------------------------------------------------------------------


def test_logo_is_drawn_in_the_top_right_corner(inputs, renders, tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (200, 100), (0, 200, 90, 255)).save(logo)

    result = render_video(make_spec(inputs, logo_path=logo), tmp_path / "out")
    with_logo = frame_pixels(result.video_path, 0.5, tmp_path)
    without = frame_pixels(renders["9:16"].video_path, 0.5, tmp_path)
    rows, cols = np.nonzero(np.abs(with_logo - without).max(axis=2) > 40)

    height, width = with_logo.shape[:2]
    assert rows.max() < 0.15 * height and cols.min() > 0.7 * width


def test_phone_photo_is_shown_upright_as_its_exif_orientation_says(inputs, tmp_path):
    upright = Image.open(inputs["portrait"]).convert("RGB")
    upright.save(tmp_path / "upright.jpg", quality=95)
    exif = Image.Exif()
    exif[0x0112] = (
        6  # Orientation: the stored pixels must be turned 90 degrees clockwise
    )
    sideways = upright.rotate(90, expand=True)
    sideways.save(tmp_path / "sideways.jpg", quality=95, exif=exif)

    thumbnails = [
        render_video(
            make_spec(inputs, "1:1", portrait_path=tmp_path / name, audio_duration=0.5),
            tmp_path / name.removesuffix(".jpg"),
        ).thumbnail_path
        for name in ("upright.jpg", "sideways.jpg")
    ]

    first, second = (np.asarray(Image.open(t), dtype=np.int16) for t in thumbnails)
    assert changed_pixels(first, second) < 0.001 * first.shape[0] * first.shape[1]


def test_bottom_framing_puts_the_portrait_on_the_bottom_edge(inputs, tmp_path):
    spec = make_spec(inputs, "16:9", framing="bottom", background_color="#000000")
    layout = render_module.plan_layout(spec, Image.open(inputs["portrait"]).size, None)

    assert layout.portrait.y + layout.portrait.height == spec.height
    assert layout.portrait.x == (spec.width - layout.portrait.width) // 2


# --- failures -----------------------------------------------------------------------------


def test_missing_portrait_fails_with_portrait_missing(inputs, tmp_path):
    spec = make_spec(inputs, portrait_path=tmp_path / "nowhere.png")

    with pytest.raises(RenderError) as failure:
        render_video(spec, tmp_path / "out")

    assert failure.value.code == "portrait_missing"
    assert "nowhere.png" in failure.value.message


def test_portrait_that_is_not_an_image_fails_with_portrait_unreadable(inputs, tmp_path):
    not_an_image = tmp_path / "portrait.png"
    not_an_image.write_text("hello")

    with pytest.raises(RenderError) as failure:
        render_video(make_spec(inputs, portrait_path=not_an_image), tmp_path / "out")

    assert failure.value.code == "portrait_unreadable"
    # No scratch files and no partial outputs are left behind.
    assert list((tmp_path / "out").iterdir()) == []


def test_audio_that_is_not_a_wav_fails_with_audio_unreadable(inputs, tmp_path):
    not_a_wav = tmp_path / "voice.wav"
    not_a_wav.write_bytes(b"ID3 not really a wav")

    with pytest.raises(RenderError) as failure:
        render_video(make_spec(inputs, audio_path=not_a_wav), tmp_path / "out")

    assert failure.value.code == "audio_unreadable"


@pytest.mark.parametrize(
    "overrides",
    [
        {"width": 721},
        {"audio_duration": 0},
        {"framing": "left"},
        {"background_color": "not-a-colour"},
    ],
)
def test_invalid_spec_fails_with_invalid_spec(inputs, tmp_path, overrides):
    with pytest.raises(RenderError) as failure:
        render_video(make_spec(inputs, **overrides), tmp_path / "out")

    assert failure.value.code == "invalid_spec"


def test_ffmpeg_failure_reports_the_end_of_its_stderr(inputs, tmp_path):
    with pytest.raises(RenderError) as failure:
        render_video(make_spec(inputs), tmp_path / "out", preset="no-such-preset")

    assert failure.value.code == "ffmpeg_failed"
    assert (
        "no-such-preset" in failure.value.message
    )  # x264's own complaint, from stderr
    assert not (tmp_path / "out" / "video.mp4").exists()


def test_render_error_survives_pickling_between_processes():
    error = pickle.loads(pickle.dumps(RenderError("ffmpeg_failed", "exit 1")))

    assert (error.code, error.message, str(error)) == (
        "ffmpeg_failed",
        "exit 1",
        "ffmpeg_failed: exit 1",
    )


FFMPEG_DESCRIPTION = """\
Input #0, matroska,webm, from 'talk.mkv':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 1000 kb/s
  Stream #0:0(eng): Video: h264 (High), yuv420p(tv, bt709, progressive), 1920x1080 \
[SAR 1:1 DAR 16:9], 29.97 fps, 29.97 tbr, 1k tbn (default)
  Stream #0:1(eng): Audio: aac (LC), 44100 Hz, stereo, fltp (default)
Stream mapping:
  Stream #0:0 -> #0:0 (copy)
Output #0, null, to 'pipe:':
  Stream #0:0(eng): Video: h264 (High), yuv420p, 640x360, q=2-31, 25 fps
"""


def test_probe_reads_the_input_description_not_the_output_one():
    info = parse_media_info(FFMPEG_DESCRIPTION, "frame=1872\nprogress=end\n")

    assert info["duration"] == 62.5
    assert (info["video_codec"], info["pix_fmt"]) == ("h264", "yuv420p")
    assert (info["width"], info["height"], info["fps"]) == (1920, 1080, 29.97)
    assert info["frames"] == 1872
    assert info["video_duration"] == pytest.approx(1872 / 29.97)
    assert (info["audio_codec"], info["sample_rate"], info["channels"]) == (
        "aac",
        44100,
        2,
    )


def test_probe_reports_an_audio_only_file_without_video(inputs):
    info = probe(inputs["audio"])

    assert (info["video_codec"], info["frames"], info["width"]) == (None, 0, None)
    assert (info["audio_codec"], info["sample_rate"], info["channels"]) == (
        "pcm_s16le",
        SAMPLE_RATE,
        1,
    )
    assert info["duration"] == pytest.approx(CLIP_SECONDS, abs=0.01)


def test_probe_of_a_missing_file_fails_with_probe_failed(tmp_path):
    with pytest.raises(RenderError) as failure:
        probe(tmp_path / "missing.mp4")

    assert failure.value.code == "probe_failed"
