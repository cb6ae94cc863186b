"""A rigged avatar's video, decoded frame by frame: the mouth shows the right shape on every
frame, the eyes blink, the head moves, and the mouth rests while nothing is said; in every
layout (the card, the presenter filling the frame, the product's bubble), at every aspect ratio.

The test rig paints every mouth shape and eyelid state a distinct flat colour, so a frame's
shape can be read back from the decoded pixels whatever the encoder did to them.
"""

import random
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ai_studio.generation.lipsync import EYE_STATES
from ai_studio.generation.render import build_scene, frame_count, render_video
from ai_studio.generation.render_spec import RenderSpec
from ai_studio.generation.rig import Rig
from ai_studio.generation.scene import Layer, compose_frame
from ai_studio.generation.types import Cue, Shot, WordTiming
from ai_studio.generation.visemes import CLOSURES, SHAPES, Viseme, VisemeSpan, frame_visemes
from ai_studio.tests.generation.media_files import decode

FPS = 30
SECONDS = 3.0
SPEECH = (0.4, 2.4)  # silence before and after
SKIN = (205, 160, 130, 255)
MOUTH_COLORS = {
    "rest": (255, 255, 255), "mbp": (255, 0, 0), "fv": (0, 160, 0), "th": (0, 0, 255),
    "cdgknst": (255, 255, 0), "shr": (255, 0, 255), "l": (0, 255, 255), "a": (120, 0, 0),
    "e": (0, 0, 110), "i": (130, 130, 0), "o": (120, 0, 140), "uw": (0, 0, 0),
}  # fmt: skip
EYE_COLORS = {"open": SKIN[:3], "half": (0, 200, 0), "closed": (30, 30, 230)}
FRAME_SIZES = {"9:16": (360, 640), "1:1": (480, 480), "4:5": (432, 540), "16:9": (640, 360)}
LAYOUTS = ("card", "presenter", "product")


def painted_rig() -> Rig:
    base = Image.new("RGBA", (300, 400), SKIN)
    draw = ImageDraw.Draw(base)
    draw.ellipse((40, 40, 260, 380), fill=(225, 185, 150, 255))  # a face, for the motion check
    draw.rectangle((20, 20, 60, 60), fill=(40, 90, 160, 255))
    mouths = {shape: _sprite((84, 52), MOUTH_COLORS[shape]) for shape in SHAPES}
    eyes = {state: _sprite((150, 40), EYE_COLORS[state]) for state in ("half", "closed")}
    return Rig(base=base, mouths=mouths, mouth_anchor=(150, 290), eyes=eyes, eyes_anchor=(150, 170))


def _sprite(size: tuple[int, int], color: tuple[int, int, int]) -> Image.Image:
    sprite = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(sprite).rectangle((3, 3, size[0] - 4, size[1] - 4), fill=(*color, 255))
    return sprite


def known_timeline(seed: int = 4) -> list[VisemeSpan]:
    """Every shape, in shuffled rounds of random lengths (closures sometimes far shorter than a
    frame), between silences."""
    rng = random.Random(seed)
    spans, cursor = [], SPEECH[0]
    while cursor < SPEECH[1]:
        for shape in rng.sample([Viseme(shape) for shape in SHAPES[1:]], len(SHAPES) - 1):
            length = rng.choice([0.012, 0.03, 0.05, 0.1]) if shape in CLOSURES else rng.uniform(0.05, 0.12)
            spans.append(VisemeSpan(shape, cursor, min(SPEECH[1], cursor + length)))
            cursor += length
            if cursor >= SPEECH[1]:
                break
    return spans


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    """A product shot: smooth, so the encoder's error stays small next to the shapes read back."""
    path = tmp_path_factory.mktemp("media") / "product.png"
    image = Image.new("RGB", (800, 600), (90, 140, 170))
    ImageDraw.Draw(image).ellipse((250, 150, 550, 450), fill=(240, 200, 60))
    image.save(path)
    return path


@pytest.fixture(scope="module")
def silence(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "voice.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes(np.zeros(int(SECONDS * 22050), dtype="<i2").tobytes())
    return path


def make_spec(audio: Path, aspect: str, **overrides) -> RenderSpec:
    """The card look unless ``layout`` says otherwise."""
    width, height = FRAME_SIZES[aspect]
    fields = dict(
        layout="card",
        portrait_path=Path("/unused"),
        audio_path=audio,
        audio_duration=SECONDS,
        width=width,
        height=height,
        rig=painted_rig(),
        visemes=known_timeline(),
        motion_seed=11,
        accent_color="#FF5A36",
    )
    return RenderSpec(**{**fields, **overrides})



def read_back(frame: np.ndarray, center: tuple[int, int], palette: dict[str, tuple[int, int, int]]) -> str:
    """The palette entry closest to the mean colour of a small patch at ``center``."""
    x, y = center
    mean = frame[y - 3 : y + 3, x - 3 : x + 3].reshape(-1, 3).mean(axis=0)
    return min(palette, key=lambda name: float(np.sum((mean - np.array(palette[name])) ** 2)))


def sprite_center(scene_layers: dict[str, Layer], name: str, frame: int) -> tuple[int, int]:
    """Where the ``name`` sprite's centre is in the frame, the head's motion included."""
    head, sprite = scene_layers["head"], scene_layers[name]
    window_x, window_y = head.window_at(frame)
    x = head.position[0] + sprite.position[0] - window_x + sprite.size[0] // 2
    y = head.position[1] + sprite.position[1] - window_y + sprite.size[1] // 2
    return x, y


EVERY_LOOK = [pytest.param((aspect, layout), id=f"{layout}-{aspect}") for layout in LAYOUTS for aspect in FRAME_SIZES]
CARDS = [pytest.param((aspect, "card"), id=f"card-{aspect}") for aspect in FRAME_SIZES]


@pytest.fixture(scope="module")
def rendered(request, silence, media, tmp_path_factory):
    aspect, layout = request.param
    # Captions on in portrait, as reels have them: they must not disturb the face.
    cues = [Cue(0.5, 2.3, (WordTiming("Hello", 0.5, 1.2), WordTiming("there", 1.3, 2.3)))] if aspect == "9:16" else []
    shots = [Shot(0.0, media, "image")] if layout == "product" else []
    spec = make_spec(silence, aspect, cues=cues, layout=layout, shots=shots, headline="Hello")
    result = render_video(spec, tmp_path_factory.mktemp(f"{layout}-{aspect.replace(':', 'x')}"))
    scene = build_scene(spec)
    frames = decode(result.video_path, spec.width, spec.height)
    return spec, scene, frames


every_look = pytest.mark.parametrize("rendered", EVERY_LOOK, indirect=True)


@every_look
def test_the_video_has_one_frame_per_thirtieth_of_a_second_of_voice(rendered):
    spec, scene, frames = rendered

    assert len(frames) == frame_count(spec) == scene.frame_count == round(SECONDS * FPS)


@every_look
def test_the_mouth_shows_the_expected_shape_on_every_frame(rendered):
    spec, scene, frames = rendered
    layers = {layer.name: layer for layer in scene.layers()}
    expected = [shape.value for shape in frame_visemes(spec.visemes, FPS, len(frames))]

    seen = [read_back(frame, sprite_center(layers, "mouth", n), MOUTH_COLORS) for n, frame in enumerate(frames)]

    assert seen == expected
    assert set(expected) == set(SHAPES)  # the timeline exercised every shape


@every_look
def test_the_mouth_rests_during_the_silence_at_start_and_end(rendered):
    spec, scene, frames = rendered
    layers = {layer.name: layer for layer in scene.layers()}
    silent = [n for n in range(len(frames)) if (n + 1) / FPS <= SPEECH[0] or n / FPS >= SPEECH[1]]

    assert len(silent) > 20
    assert {read_back(frames[n], sprite_center(layers, "mouth", n), MOUTH_COLORS) for n in silent} == {"rest"}


@every_look
def test_the_eyes_blink_when_the_blink_schedule_says(rendered):
    spec, scene, frames = rendered
    layers = {layer.name: layer for layer in scene.layers()}
    eyes = layers["eyes"]
    expected = [EYE_STATES[eyes.window_at(n)[1] // eyes.size[1]] for n in range(len(frames))]

    seen = [read_back(frame, sprite_center(layers, "eyes", n), EYE_COLORS) for n, frame in enumerate(frames)]

    assert seen == expected
    assert "closed" in seen and "open" in seen


@every_look
def test_the_head_moves_and_every_frame_matches_its_composition(rendered):
    spec, scene, frames = rendered
    head = {layer.name: layer for layer in scene.layers()}["head"]
    offsets = [head.window_at(n) for n in range(len(frames))]
    moved = next(n for n in range(len(frames)) if offsets[n] != offsets[0])

    def difference(frame: np.ndarray, composed: Image.Image) -> float:
        return float(np.abs(frame.astype(np.int16) - np.asarray(composed, dtype=np.int16)).mean())

    assert len(set(offsets)) >= 3
    for n in range(0, len(frames), 9):
        assert difference(frames[n], compose_frame(scene, n)) < 3.0, n
    # The comparison is sharp enough to tell the head's positions apart.
    assert difference(frames[moved], compose_frame(scene, 0)) > difference(frames[moved], compose_frame(scene, moved))


@pytest.mark.parametrize("rendered", CARDS, indirect=True)
def test_the_cards_rounded_corners_stay_put_while_the_head_moves(rendered):
    spec, scene, frames = rendered
    head = {layer.name: layer for layer in scene.layers()}["head"]
    corner = (head.position[0] + 1, head.position[1] + 1)  # outside the rounding: background

    colors = frames[:, corner[1], corner[0]].astype(np.int16)

    assert np.abs(colors - colors[0]).max() <= 6


def test_the_same_seed_gives_the_same_blinks_and_motion_and_another_seed_does_not(silence):
    def schedule(seed: int):
        layers = {layer.name: layer for layer in build_scene(make_spec(silence, "9:16", motion_seed=seed)).layers()}
        return layers["eyes"].windows, layers["head"].windows

    assert schedule(5) == schedule(5)
    assert schedule(5) != schedule(6)


@every_look
def test_the_thumbnail_shows_the_avatar_talking_with_open_eyes(rendered, tmp_path):
    spec, scene, frames = rendered
    layers = {layer.name: layer for layer in scene.layers()}
    thumbnail = np.asarray(compose_frame(scene, scene.thumbnail_frame))

    mouth = read_back(thumbnail, sprite_center(layers, "mouth", scene.thumbnail_frame), MOUTH_COLORS)
    eyes = read_back(thumbnail, sprite_center(layers, "eyes", scene.thumbnail_frame), EYE_COLORS)

    assert mouth in ("a", "e") and eyes == "open"


def test_the_brand_logo_and_colours_frame_a_lip_synced_avatar_too(silence, tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (200, 100), (10, 200, 90, 255)).save(logo)
    spec = make_spec(silence, "9:16", logo_path=logo, background_color="#000000", audio_duration=0.5)
    scene = build_scene(spec)

    result = render_video(spec, tmp_path / "out")

    first = decode(result.video_path, spec.width, spec.height)[0]
    composed = np.asarray(compose_frame(scene, 0))
    logo_pixels = np.all(np.abs(composed.astype(int) - (10, 200, 90)) < 8, axis=2)
    assert logo_pixels.sum() > 500  # the logo is in the picture, in the top-right corner
    ys, xs = np.nonzero(logo_pixels)
    assert xs.min() > spec.width / 2 and ys.max() < spec.height / 4
    assert np.abs(first[logo_pixels].astype(int) - (10, 200, 90)).mean() < 12


def test_a_card_standing_on_the_bottom_edge_keeps_square_bottom_corners_and_lip_syncs(silence, tmp_path):
    spec = make_spec(silence, "16:9", framing="bottom")
    scene = build_scene(spec)
    layers = {layer.name: layer for layer in scene.layers()}

    result = render_video(spec, tmp_path / "out")

    assert "corners_top" in layers and "corners_bottom" not in layers
    assert layers["head"].position[1] + layers["head"].size[1] == spec.height
    frames = decode(result.video_path, spec.width, spec.height)
    expected = [shape.value for shape in frame_visemes(spec.visemes, FPS, len(frames))]
    seen = [read_back(frame, sprite_center(layers, "mouth", n), MOUTH_COLORS) for n, frame in enumerate(frames)]
    assert seen == expected
