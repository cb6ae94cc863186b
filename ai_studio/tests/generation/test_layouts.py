"""Reels laid out to be posted, decoded frame by frame: every layout at every aspect ratio.

The presenter and the product looks fill the frame: no flat region covers a quarter of it and no
band of rows taller than a tenth shows only the layout's backdrop. Headline and captions stay
inside the platforms' safe zone; the headline shows for the whole reel (presenter) or for the
opening seconds; the product's media is on screen during its scene and the next scene cuts in
on its first word's frame; the end card holds the last frames; the audio, padded with silence,
lasts exactly as long as the video.

Everything is generated here. Colours that appear nowhere else make what was drawn findable in
the decoded pixels: the accent colour (the headline's boxes) is magenta, the captions are pure
green, and the product photos are checkerboards of two colours each.
"""

from __future__ import annotations

import math
import subprocess
from collections import deque
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ai_studio.generation.artifacts import DirectoryArtifactStore
from ai_studio.generation.errors import GenerationError
from ai_studio.generation.ffmpeg import ffmpeg_exe, probe
from ai_studio.generation.layout import (
    DEFAULT_LAYOUTS,
    HOOK_SECONDS,
    LAYOUTS,
    SAFE_ZONES,
    aspect_ratio_of,
    default_layout,
)
from ai_studio.generation.looks import backdrop_of
from ai_studio.generation.media import scene_shots, shot_frames
from ai_studio.generation.pipeline import GenerationRequest, run_pipeline
from ai_studio.generation.render import RenderError, frame_count, plan_scene, render_video
from ai_studio.generation.render_spec import RenderSpec
from ai_studio.generation.scene import Layer, compose_frame
from ai_studio.generation.speech import get_provider
from ai_studio.generation.types import CaptionStyle, Cue, EndCard, SceneMedia, Shot, WordTiming
from ai_studio.tests.generation.media_files import decode, draw_portrait, write_wav

FPS = 30
FRAME_SIZES = {"9:16": (360, 640), "1:1": (480, 480), "4:5": (432, 540), "16:9": (640, 360)}
SAMPLE_RATE = 22050
SPEECH_SECONDS = 3.6  # longer than the hook, so the opening-seconds headline goes
PAUSE = (2.2, 2.7)  # silence inside the speech
SYLLABLES_PER_SECOND = 4
END_CARD = EndCard("Shop now", 1.0)
SECOND_SCENE = 1.8  # seconds: where the product's second scene starts
BACKGROUND = "#1D3557"
ACCENT = "#FF00FF"
CAPTIONS = CaptionStyle(text_color="#00FF00", highlight_color="#00FF00")
HEADLINE = "Run lighter"
CHECKERS = {"first": ((255, 140, 0), (0, 190, 255)), "second": ((250, 230, 0), (130, 0, 210))}
FILLED = ("presenter", "product")  # the looks that fill the frame; the card is the first look, kept as it was


# --- generated inputs ---------------------------------------------------------------------


def speech_like(seconds: float = SPEECH_SECONDS) -> np.ndarray:
    """A voiced tone whose loudness rises and falls like syllables, silent during PAUSE:
    loudest at (k + 0.5) / SYLLABLES_PER_SECOND, silent at k / that."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = 0.5 - 0.5 * np.cos(2 * np.pi * SYLLABLES_PER_SECOND * t)
    envelope[(t >= PAUSE[0]) & (t < PAUSE[1])] = 0.0
    voice = np.sin(2 * np.pi * 140 * t) + 0.5 * np.sin(2 * np.pi * 280 * t)
    return (0.3 * envelope * voice * 32767).astype(np.int16)



def draw_checkerboard(path: Path, colors, size=(800, 600), square=40) -> Path:
    """A product photo that cannot be mistaken for anything else: a checkerboard of two colours."""
    ys, xs = np.mgrid[0 : size[1], 0 : size[0]]
    odd = ((xs // square + ys // square) % 2).astype(bool)
    pixels = np.where(odd[:, :, None], np.array(colors[1]), np.array(colors[0])).astype(np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def make_clip(path: Path, seconds: float = 0.5) -> Path:
    """A short clip whose picture changes every frame, with a loud tone the reel must not play."""
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={seconds}",
         "-f", "lavfi", "-i", f"sine=f=1000:sample_rate=44100:d={seconds}", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    logo = folder / "logo.png"
    Image.new("RGBA", (200, 80), (250, 250, 250, 255)).save(logo)
    return {
        "portrait": draw_portrait(folder / "portrait.png"),
        "audio": write_wav(folder / "voice.wav", speech_like()),
        "logo": logo,
        "first": draw_checkerboard(folder / "first.png", CHECKERS["first"]),
        "second": draw_checkerboard(folder / "second.jpg", CHECKERS["second"], size=(600, 800)),
        "clip": make_clip(folder / "clip.mp4"),
    }


CUES = [
    Cue(0.1, 1.0, (WordTiming("Run", 0.1, 0.4), WordTiming("lighter", 0.45, 1.0))),
    Cue(1.1, 2.1, (WordTiming("this", 1.1, 1.4), WordTiming("spring", 1.5, 2.1))),
    Cue(2.8, 3.5, (WordTiming("today", 2.8, 3.5),)),
]


def make_spec(inputs: dict[str, Path], aspect: str, layout: str | None = None, **overrides) -> RenderSpec:
    width, height = FRAME_SIZES[aspect]
    shots = []
    if layout == "product":
        shots = [Shot(0.0, inputs["first"], "image"), Shot(SECOND_SCENE, inputs["second"], "image")]
    fields = dict(
        portrait_path=inputs["portrait"], audio_path=inputs["audio"], audio_duration=SPEECH_SECONDS,
        width=width, height=height, background_color=BACKGROUND, accent_color=ACCENT, logo_path=inputs["logo"],
        cues=CUES, caption_style=CAPTIONS, layout=layout, headline=HEADLINE, end_card=END_CARD, shots=shots,
    )  # fmt: skip
    return RenderSpec(**{**fields, **overrides})



def audio_seconds(video: Path) -> float:
    """How long the video's audio lasts, from its decoded samples."""
    raw = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-i", str(video), "-map", "0:a", "-f", "s16le", "-ac", "1", "-ar", "48000",
         "-"], capture_output=True, check=True,
    ).stdout  # fmt: skip
    return len(raw) / 2 / 48000


LOOKS = [pytest.param((aspect, layout), id=f"{layout}-{aspect}") for layout in LAYOUTS for aspect in FRAME_SIZES]
FILLED_LOOKS = [param for param in LOOKS if param.values[0][1] in FILLED]


@pytest.fixture(scope="module")
def reel(request, inputs, tmp_path_factory):
    """A reel rendered and decoded: (spec, scene, layout, frames, result)."""
    aspect, layout = request.param
    spec = make_spec(inputs, aspect, layout)
    result = render_video(spec, tmp_path_factory.mktemp(f"{layout}-{aspect.replace(':', 'x')}"))
    scene, plan = plan_scene(spec)
    return spec, scene, plan, decode(result.video_path, spec.width, spec.height), result


every_look = pytest.mark.parametrize("reel", LOOKS, indirect=True)
filled_looks = pytest.mark.parametrize("reel", FILLED_LOOKS, indirect=True)


# --- what the tests look for in a frame -----------------------------------------------------


def largest_flat_share(frame: np.ndarray, block: int = 4, cube: int = 16) -> float:
    """The largest flat region's share of the frame.

    A flat region is a 4-connected set of ``block`` x ``block`` pixel blocks whose pixels all fall
    in one colour cube of ``cube`` levels per channel. Cubes are tried at two alignments (0 and
    ``cube`` / 2), so a region whose pixels stay within +-``cube`` / 4 of one colour is always
    found whole; a gradient or a picture falls apart into many small regions.
    """
    height, width = frame.shape[:2]
    rows, cols = height // block, width // block
    largest = 0
    for offset in (0, cube // 2):
        cubes = (frame[: rows * block, : cols * block].astype(np.int32) + offset) // cube
        keys = (cubes[..., 0] * 64 + cubes[..., 1]) * 64 + cubes[..., 2]
        blocks = keys.reshape(rows, block, cols, block)
        uniform = (blocks == blocks[:, :1, :, :1]).all(axis=(1, 3))
        largest = max(largest, _largest_component(np.where(uniform, blocks[:, 0, :, 0], -1)))
    return largest * block * block / (height * width)


def _largest_component(labels: np.ndarray) -> int:
    """Cells in the largest 4-connected set of equal labels (label -1 never counts)."""
    seen = labels < 0
    largest = 0
    for start in zip(*np.nonzero(~seen)):
        if seen[start]:
            continue
        seen[start], queue, size = True, deque([start]), 0
        while queue:
            y, x = queue.popleft()
            size += 1
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < labels.shape[0] and 0 <= nx < labels.shape[1] and not seen[ny, nx]:
                    if labels[ny, nx] == labels[y, x]:
                        seen[ny, nx] = True
                        queue.append((ny, nx))
        largest = max(largest, size)
    return largest


def tallest_backdrop_band(frame: np.ndarray, backdrop: np.ndarray, tolerance: int = 12) -> float:
    """The tallest run of rows showing only the layout's backdrop, as a share of the height: rows
    whose pixels (all but 0.5%) are within ``tolerance`` levels of the backdrop's."""
    close = np.abs(frame.astype(np.int16) - backdrop.astype(np.int16)).max(axis=2) <= tolerance
    tallest = run = 0
    for only_backdrop in close.mean(axis=1) >= 0.995:
        run = run + 1 if only_backdrop else 0
        tallest = max(tallest, run)
    return tallest / frame.shape[0]


def pixels_of(frame: np.ndarray, color: tuple[int, int, int], tolerance: int = 60) -> np.ndarray:
    """A mask of the pixels near ``color``."""
    return np.abs(frame.astype(np.int16) - np.array(color)).max(axis=2) <= tolerance


def magenta(frame: np.ndarray) -> np.ndarray:
    return pixels_of(frame, (255, 0, 255))


def green(frame: np.ndarray) -> np.ndarray:
    red, grn, blue = (frame[..., channel].astype(np.int16) for channel in range(3))
    return (grn > 170) & (red < 110) & (blue < 110)


def bounds(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the mask's pixels, right and bottom exclusive."""
    rows, cols = np.nonzero(mask)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def assert_inside_safe_zone(box: tuple[int, int, int, int], width: int, height: int) -> None:
    """``box`` lies inside the safe zone of the frame's aspect ratio (see SAFE_ZONES)."""
    zone = SAFE_ZONES[aspect_ratio_of(width, height)]
    left, top, right, bottom = box
    right_limit = (1 - zone.right) * width
    if zone.column is not None and top < zone.column[2] * height and bottom > zone.column[1] * height:
        right_limit = zone.column[0] * width
    assert left >= zone.left * width - 1, box
    assert top >= zone.top * height - 1, box
    assert right <= right_limit + 1, box
    assert bottom <= (1 - zone.bottom) * height + 1, box


def layer_position(scene_layers: list[Layer], name: str) -> tuple[int, int]:
    """Where a still layer ``name`` lies in the frame (its parents' positions added)."""

    def search(layer: Layer, x: int, y: int):
        x, y = x + layer.position[0], y + layer.position[1]
        if layer.name == name:
            return x, y
        for inner in layer.layers:
            found = search(inner, x, y)
            if found:
                return found
        return None

    return next(found for layer in scene_layers if (found := search(layer, 0, 0)))


def speech_frames(spec: RenderSpec) -> int:
    return frame_count(spec)


# --- the safe zones -----------------------------------------------------------------------


def test_at_9x16_text_keeps_off_the_bottom_fifth_and_the_action_column():
    zone = SAFE_ZONES["9:16"]

    assert zone.bottom >= 0.2
    assert zone.column is not None and zone.column[0] <= 0.85 and zone.column[1] <= 0.4 and zone.column[2] >= 0.85


@every_look
def test_the_headline_stays_inside_the_safe_zone(reel):
    spec, scene, plan, frames, result = reel

    headline = magenta(frames[5])

    assert headline.sum() > 0.004 * spec.width * spec.height
    assert_inside_safe_zone(bounds(headline), spec.width, spec.height)


@every_look
def test_captions_stay_inside_the_safe_zone(reel):
    spec, scene, plan, frames, result = reel
    shown = [n for n in range(speech_frames(spec)) if green(frames[n]).sum() > 30]

    assert len(shown) > FPS  # the cues are on screen, the longest line among them
    for n in shown[:: FPS // 3]:
        assert_inside_safe_zone(bounds(green(frames[n])), spec.width, spec.height)


@every_look
def test_captions_show_on_exactly_the_frames_their_cues_cover(reel):
    """libass draws them only where they change; the frames in between must hold them, no more."""
    spec, scene, plan, frames, result = reel
    # A cue stays up until the next one when the silence between them is short (0.1 s here), and
    # goes at its end before a longer one (0.7 s before "today").
    covered = [(0.1, 2.1), (2.8, 3.5)]
    expected = [any(start <= n / FPS < end for start, end in covered) for n in range(speech_frames(spec))]

    shown = [bool(green(frames[n]).sum() > 30) for n in range(speech_frames(spec))]

    assert shown == expected


# --- filling the frame --------------------------------------------------------------------


@filled_looks
def test_no_flat_region_covers_a_quarter_of_the_frame(reel):
    spec, scene, plan, frames, result = reel

    for n in (0, speech_frames(spec) // 2, speech_frames(spec) - 1):
        assert largest_flat_share(frames[n]) < 0.25, n


@filled_looks
def test_no_band_of_rows_taller_than_a_tenth_shows_only_the_backdrop(reel):
    spec, scene, plan, frames, result = reel
    backdrop = np.asarray(backdrop_of(spec, plan).convert("RGB"))

    for n in (0, speech_frames(spec) // 2, speech_frames(spec) - 1):
        assert tallest_backdrop_band(frames[n], backdrop) <= 0.1, n


@pytest.mark.parametrize("reel", [param for param in LOOKS if param.values[0][1] == "card"], indirect=True)
def test_the_card_still_leaves_the_backdrop_above_and_below_it_which_is_why_it_is_no_longer_the_default(reel):
    spec, scene, plan, frames, result = reel
    backdrop = np.asarray(backdrop_of(spec, plan).convert("RGB"))

    if spec.height > spec.width:  # the card is centred: a band of backdrop under it
        assert tallest_backdrop_band(frames[speech_frames(spec) - 1], backdrop) > 0.1
    assert default_layout(aspect_ratio_of(spec.width, spec.height), has_media=False) != "card"


def test_the_frame_checks_tell_a_flat_frame_and_an_empty_band_from_a_full_one():
    flat = np.full((640, 360, 3), (29, 53, 87), dtype=np.uint8)
    gradient = np.repeat(np.linspace(0, 255, 640, dtype=np.uint8)[:, None, None], 360, axis=1).repeat(3, axis=2)

    assert largest_flat_share(flat) == 1.0
    assert largest_flat_share(gradient) < 0.1
    assert tallest_backdrop_band(flat, flat) == 1.0
    assert tallest_backdrop_band(gradient, flat) == 0.0


# --- the headline and the end card ----------------------------------------------------------


@every_look
def test_the_headline_shows_for_the_whole_reel_or_for_the_opening_seconds(reel):
    spec, scene, plan, frames, result = reel
    shown = [bool(magenta(frames[n]).sum() > 0.004 * spec.width * spec.height) for n in range(speech_frames(spec))]

    if plan.headline_whole_reel:
        assert all(shown)
    else:
        hook = math.ceil(HOOK_SECONDS * FPS)
        assert all(shown[:hook]) and not any(shown[hook:])


@every_look
def test_the_end_card_holds_the_last_frames_after_the_speech(reel):
    spec, scene, plan, frames, result = reel
    speech = speech_frames(spec)
    end_card = np.asarray(compose_frame(scene, speech), dtype=np.int16)

    assert len(frames) == speech + round(END_CARD.seconds * FPS)
    for n in range(speech, len(frames)):
        assert np.abs(frames[n] - end_card).mean() < 4, n
    assert np.abs(frames[speech - 1] - end_card).mean() > 20  # it cuts in after the last spoken frame
    assert magenta(frames[-1]).sum() > 0.01 * spec.width * spec.height  # the call to action's box


@every_look
def test_the_audio_is_padded_with_silence_to_the_videos_length(reel):
    spec, scene, plan, frames, result = reel
    info = probe(result.video_path)
    video_seconds = info["frames"] / FPS

    assert video_seconds == pytest.approx(math.ceil(SPEECH_SECONDS * FPS) / FPS + END_CARD.seconds, abs=1e-6)
    assert audio_seconds(result.video_path) == pytest.approx(video_seconds, abs=1 / FPS)
    assert result.duration == pytest.approx(video_seconds, abs=1 / FPS)


# --- the avatar ---------------------------------------------------------------------------


@every_look
def test_a_plain_portraits_mouth_opens_with_the_voice_in_every_layout(reel):
    spec, scene, plan, frames, result = reel
    mouth = next(layer for layer in scene.layers() if layer.name == "mouth")
    x, y = layer_position([scene.background], "mouth")
    width, height = mouth.size
    loud, quiet = round(0.625 * FPS), round(0.5 * FPS)  # a syllable's peak, and between two syllables

    region = (slice(y, y + height), slice(x, x + width))
    changed = np.abs(frames[loud][region].astype(np.int16) - frames[quiet][region]).max(axis=2) > 40

    assert changed.sum() > 0.1 * width * height


# --- the product's media ------------------------------------------------------------------


def checker_share(frame: np.ndarray, scene: str) -> float:
    """The share of the frame showing either colour of a scene's checkerboard, darkened or not
    (the scrims behind the text shade the media): pixels whose colour, scaled to its brightest
    channel, is within 0.25 of one of the two colours scaled the same way."""
    pixels = frame.astype(np.float32)
    brightest = pixels.max(axis=2, keepdims=True)
    chromaticity = pixels / np.maximum(brightest, 1)
    found = np.zeros(frame.shape[:2], dtype=bool)
    for color in CHECKERS[scene]:
        reference = np.array(color, dtype=np.float32) / max(color)
        found |= np.abs(chromaticity - reference).max(axis=2) <= 0.25
    return float((found & (brightest[..., 0] > 50)).mean())


@pytest.mark.parametrize("reel", [param for param in LOOKS if param.values[0][1] == "product"], indirect=True)
def test_the_products_media_fills_most_of_the_frame_during_its_scene_and_cuts_on_its_first_word(reel):
    spec, scene, plan, frames, result = reel
    cut = round(SECOND_SCENE * FPS)

    for n in (0, cut // 2, cut - 1):
        assert checker_share(frames[n], "first") > 0.6 and checker_share(frames[n], "second") < 0.03, n
    for n in (cut, (cut + speech_frames(spec)) // 2, speech_frames(spec) - 1):
        assert checker_share(frames[n], "second") > 0.6 and checker_share(frames[n], "first") < 0.03, n


@pytest.mark.parametrize("reel", [param for param in LOOKS if param.values[0][1] == "product"], indirect=True)
def test_the_bubble_leaves_the_middle_of_the_frame_to_the_product(reel):
    spec, scene, plan, frames, result = reel
    bubble = plan.avatar
    middle = (spec.width / 4, spec.height / 4, 3 * spec.width / 4, 3 * spec.height / 4)

    assert bubble.right <= middle[0] + spec.width / 8 or bubble.y >= middle[3] - spec.height / 8
    assert bubble.width * bubble.height < 0.12 * spec.width * spec.height


@pytest.mark.parametrize("reel", [param for param in LOOKS if param.values[0][1] == "product"], indirect=True)
def test_the_still_pans_slowly(reel):
    spec, scene, plan, frames, result = reel
    shot = next(layer for layer in scene.layers() if layer.name == "shot0")
    offsets = [shot.window_at(n)[0] for n in range(round(SECOND_SCENE * FPS))]

    assert offsets[-1] - offsets[0] >= 0.05 * spec.width  # it moves across the scene
    assert max(abs(b - a) for a, b in zip(offsets, offsets[1:])) <= 4  # gently: a few pixels a frame
    # The video shows the planned window (captions and colour conversion aside), not a still one.
    last = len(offsets) - 1
    moved, planned = (np.abs(frames[last].astype(np.int16) - np.asarray(compose_frame(scene, n))) for n in (0, last))
    assert np.median(planned) <= 3 and planned.mean() < moved.mean() / 2


def test_a_clip_plays_muted_during_its_scene(inputs, tmp_path):
    shots = [Shot(0.0, inputs["first"], "image"), Shot(1.0, inputs["clip"], "video")]
    spec = make_spec(inputs, "9:16", "product", shots=shots, end_card=None, cues=[], headline="")
    result = render_video(spec, tmp_path)
    frames = decode(result.video_path, spec.width, spec.height)
    cut = round(1.0 * FPS)

    assert checker_share(frames[cut - 1], "first") > 0.6 and checker_share(frames[cut], "first") < 0.03
    # The clip moves (and, shorter than its scene, loops), where the still only panned.
    changes = [np.abs(frames[n].astype(np.int16) - frames[n + 1]).mean() for n in range(cut, len(frames) - 1)]
    assert np.median(changes) > 2
    assert len(frames) == frame_count(spec)
    # Its loud tone is not in the reel: during the voice's pause the reel is silent.
    raw = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-i", str(result.video_path), "-map", "0:a", "-f", "s16le", "-ac", "1",
         "-ar", "48000", "-"], capture_output=True, check=True,
    ).stdout  # fmt: skip
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    pause = samples[int((PAUSE[0] + 0.1) * 48000) : int((PAUSE[1] - 0.1) * 48000)]
    assert np.sqrt(np.mean(pause**2)) < 30


# --- the registry and choosing a layout -----------------------------------------------------


def test_every_layout_is_available_at_every_aspect_ratio_and_only_the_product_needs_media():
    assert set(LAYOUTS) == {"presenter", "product", "card"}
    for info in LAYOUTS.values():
        assert set(info.aspect_ratios) == set(FRAME_SIZES)
        assert info.title and info.description
    assert [name for name, info in LAYOUTS.items() if info.needs_media] == ["product"]


def test_the_default_is_the_presenter_without_media_and_the_product_with_it():
    for aspect in FRAME_SIZES:
        assert default_layout(aspect, has_media=False) == "presenter"
        assert default_layout(aspect, has_media=True) == "product"
    assert set(DEFAULT_LAYOUTS) == set(FRAME_SIZES)


def test_a_spec_without_a_layout_gets_its_aspect_ratios_default(inputs):
    _, plain = plan_scene(make_spec(inputs, "4:5", None))
    _, with_media = plan_scene(make_spec(inputs, "4:5", None, shots=[Shot(0.0, inputs["first"], "image")]))

    assert (plain.name, with_media.name) == ("presenter", "product")


@pytest.mark.parametrize(
    ("layout", "with_media", "end_card"),
    [
        ("product", False, END_CARD),  # nothing to show
        ("card", True, END_CARD),  # media it would not show
        ("mosaic", False, END_CARD),
        (None, False, EndCard("Buy", seconds=-1.0)),
    ],
    ids=["product-without-media", "card-with-media", "unknown-layout", "negative-end-card"],
)
def test_a_layout_that_cannot_be_used_fails_with_invalid_spec(inputs, tmp_path, layout, with_media, end_card):
    shots = [Shot(0.0, inputs["first"], "image")] if with_media else []

    with pytest.raises(RenderError) as failure:
        render_video(make_spec(inputs, "9:16", layout, shots=shots, end_card=end_card), tmp_path)

    assert failure.value.code == "invalid_spec"


def test_missing_media_fails_with_media_missing(inputs, tmp_path):
    spec = make_spec(inputs, "9:16", "product", shots=[Shot(0.0, tmp_path / "gone.png", "image")])

    with pytest.raises(RenderError) as failure:
        render_video(spec, tmp_path / "out")

    assert failure.value.code == "media_missing"


# --- scenes from the spoken words -----------------------------------------------------------


def words(*spans: tuple[str, float, float]) -> list[WordTiming]:
    return [WordTiming(*span) for span in spans]


def test_each_scene_starts_on_its_first_word_counted_as_the_speech_package_counts_them():
    spoken = words(
        ("Meet", 0.1, 0.3), ("Rocket —", 0.35, 0.8), ("fast. ...", 0.9, 1.2), ("Buy", 1.5, 1.7), ("now!", 1.8, 2.0)
    )  # fmt: skip
    # "—" and "..." are not spoken on their own: they belong to the words around them.
    scenes = [SceneMedia("Meet Rocket —", Path("a.png"), "image"), SceneMedia("fast. ... Buy", Path("b.mp4"), "video"),
              SceneMedia("now!", Path("c.png"), "image")]  # fmt: skip

    shots = scene_shots(scenes, spoken)

    assert [(shot.start, shot.media_path.name, shot.kind) for shot in shots] == [
        (0.0, "a.png", "image"), (0.9, "b.mp4", "video"), (1.8, "c.png", "image"),
    ]  # fmt: skip


def test_scenes_whose_words_are_not_the_speechs_fail_with_scenes_mismatch():
    with pytest.raises(GenerationError) as failure:
        scene_shots([SceneMedia("Three words here", Path("a.png"), "image")], words(("Two", 0, 1), ("words", 1, 2)))

    assert failure.value.code == "scenes_mismatch"


def test_a_shot_no_frame_would_show_is_left_out():
    shots = [Shot(0.0, Path("a.png"), "image"), Shot(1.0, Path("b.png"), "image"), Shot(1.01, Path("c.png"), "image")]

    assert [(shot.media_path.name, frames) for shot, frames in shot_frames(shots, FPS, 60)] == [
        ("a.png", 30), ("c.png", 30),
    ]  # fmt: skip


def test_the_pipeline_cuts_each_scene_on_its_first_spoken_word(inputs, tmp_path):
    scenes = [
        SceneMedia("Meet the lightest running shoe we ever made.", inputs["first"], "image"),
        SceneMedia("Get yours today.", inputs["second"], "image"),
    ]
    request = GenerationRequest(
        script=" ".join(scene.text for scene in scenes), voice_id="en_US-joe-medium", portrait_path=inputs["portrait"],
        aspect_ratio="16:9", resolution="720p", scenes=scenes, headline="New", end_card=EndCard("Shop now", 1.0),
    )  # fmt: skip

    result = run_pipeline(request, workdir=tmp_path / "work", speech_provider=get_provider("local"),
                          store=DirectoryArtifactStore(tmp_path / "out"), key_prefix="scenes")  # fmt: skip

    cut = round(result.speech.words[8].start * FPS)  # "Get"
    before, at = decode_frames(result.render.video_path, result.render.width, result.render.height, [cut - 1, cut])
    assert checker_share(before, "first") > 0.6 and checker_share(at, "second") > 0.6
    assert probe(result.render.video_path)["frames"] == math.ceil(result.speech.duration * FPS) + FPS


def decode_frames(video: Path, width: int, height: int, numbers: list[int]) -> np.ndarray:
    """Frames ``numbers`` of ``video`` (in order) as RGB pixels."""
    select = "+".join(f"eq(n\\,{number})" for number in numbers)
    raw = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-i", str(video), "-vf", f"select={select}", "-fps_mode", "passthrough",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3)
