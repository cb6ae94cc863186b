"""A rigged avatar that speaks: mouth shapes on the phonemes, blinks, and a gently moving head.

The rig's base portrait is scaled onto a picture a little larger than the avatar's window (the
card, the presenter's whole frame, or the bubble); the head moves by moving that window over it
(a ``crop`` whose position ``sendcmd`` changes), so the motion costs no extra full-frame
blending. The mouth and eyelid sprites are laid on the base, scaled exactly as the portrait is,
and stacked into two small sprite sheets; per frame a window over each sheet picks the shape.
On a card, two transparent strips of background keep its rounded corners in place while the
portrait moves under them.

Blinks and head motion are drawn from a seeded generator: a job re-rendered after a retry
looks the same.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np
from PIL import Image

from .layout import Box, Layout, even
from .rig import Rig
from .scene import Layer
from .stills import card_mask, corner_radius, presenter_stage
from .visemes import SHAPES, Viseme

HEAD_MOTION = 0.012  # how far the head drifts from the centre, as a fraction of the card's width
# Two slow sways per axis with unrelated periods (seconds): the motion never visibly repeats.
HEAD_PERIODS = ((9.1, 3.7), (6.3, 2.9))
HEAD_VERTICAL_SHARE = 0.6  # the slow vertical drift is smaller than the sway
# A small nod as each phrase begins (speech after at least PHRASE_PAUSE of silence), as speakers
# do: the head dips by NOD_SHARE of the drift margin and comes back within NOD_SECONDS.
PHRASE_PAUSE = 0.25
NOD_SHARE = 0.4
NOD_SECONDS = 0.45

# Blinks: eyes half shut, shut, half shut again (seconds per state), every 1.5 to ~8 s, now and
# then twice in a row, as people do.
BLINK_STATES = ((1, 0.04), (2, 0.09), (1, 0.05))  # (eyelid state index, seconds)
BLINK_FIRST = (0.4, 1.8)
BLINK_GAP_MIN = 1.5
BLINK_GAP_MEAN = 2.5  # exponential, added to the minimum
BLINK_GAP_MAX = 8.0
DOUBLE_BLINK_CHANCE = 0.15
DOUBLE_BLINK_GAP = 0.25
EYE_STATES = ("open", "half", "closed")

THUMBNAIL_AT = 1 / 3  # of the duration
_TALKING = frozenset({Viseme.A, Viseme.E})


def lipsync_head(
    rig: Rig,
    layout: Layout,
    backdrop: Image.Image,
    visemes: Sequence[Viseme],
    fps: int,
    seed: int = 0,
    shade: tuple[int, int, int] = (0, 0, 0),
) -> tuple[Layer, int]:
    """The rigged avatar saying ``visemes[frame]`` on each of ``len(visemes)`` frames, as the layer
    "head" placed in the frame; and the frame that best shows it (talking, eyes open).

    ``backdrop`` (RGBA, the whole frame) is what lies behind the avatar. The head's window is the
    layout's avatar box: the card (its rounded corners stay put over the moving portrait), the
    whole frame for the presenter (the picture sways as a whole, the portrait fading into the
    backdrop and running on, darkening to ``shade``, below it), or the bubble's square (the
    caller cuts it round).
    """
    frame_count = len(visemes)
    window = layout.avatar
    margin = max(2, even(HEAD_MOTION * window.width))
    size = (window.width + 2 * margin, window.height + 2 * margin)
    behind = backdrop.getpixel((window.x + window.width // 2, window.y + window.height // 2))
    if layout.shape == "card":
        portrait = _PlacedPortrait.covering(rig, size, behind)
        picture = portrait.picture()
    else:
        # The portrait as planned, relative to the picture (the window and its margins).
        box = layout.portrait
        origin = (box.x - window.x + margin, box.y - window.y + margin)
        portrait = _PlacedPortrait(rig, origin, box.size, behind, size)
        if layout.shape == "open":
            frame = Box(margin, margin, window.width, window.height)
            picture = presenter_stage(_padded(backdrop, margin), portrait.scaled(), portrait.box, frame, shade)
        else:
            picture = portrait.picture()

    mouth_sheet, mouth_position, mouth_size = portrait.sprite_sheet(
        [rig.mouths[shape] for shape in SHAPES], rig.mouth_box()
    )
    shape_index = {shape: index for index, shape in enumerate(SHAPES)}
    head_layers = [
        Layer(
            name="mouth",
            image=mouth_sheet,
            position=mouth_position,
            size=mouth_size,
            windows=[(0, shape_index[viseme] * mouth_size[1]) for viseme in visemes],
        )
    ]
    eyes_box = rig.eyes_box()
    blinks = blink_states(frame_count, fps, seed) if eyes_box is not None else []
    if eyes_box is not None:
        eye_sprites = [None, rig.eyes.get("half", rig.eyes["closed"]), rig.eyes["closed"]]
        eyes_sheet, eyes_position, eyes_size = portrait.sprite_sheet(eye_sprites, eyes_box)
        head_layers.insert(  # under the mouth: the tiles' margins may touch, the mouth must win
            0,
            Layer(
                name="eyes",
                image=eyes_sheet,
                position=eyes_position,
                size=eyes_size,
                windows=[(0, state * eyes_size[1]) for state in blinks],
            ),
        )
    head = Layer(
        name="head",
        image=picture,
        position=(window.x, window.y),
        size=window.size,
        windows=[
            (margin + dx, margin + dy)
            for dx, dy in head_offsets(frame_count, fps, margin, seed, nods=phrase_starts(visemes, fps))
        ],
        layers=head_layers,
        fixed=_corner_patches(layout, backdrop) if layout.shape == "card" else [],
    )
    return head, _thumbnail_frame(visemes, blinks)


class _PlacedPortrait:
    """The rig's base scaled and placed on a picture of ``size`` (its top-left corner at
    ``origin``, scaled to ``scaled_size``; it may reach past the picture), and sprite sheets
    scaled exactly the same way, so that a sprite tile lines up with the picture pixel for pixel.

    A base with transparent parts is flattened over ``behind`` first, so it blends in instead of
    showing black.
    """

    def __init__(
        self,
        rig: Rig,
        origin: tuple[float, float],
        scaled_size: tuple[float, float],
        behind: tuple[int, ...],
        size: tuple[int, int],
    ):
        self.base = Image.new("RGBA", rig.base.size, behind)
        self.base.alpha_composite(rig.base)
        base_width, base_height = rig.base.size
        self.origin = origin
        self.scale = (scaled_size[0] / base_width, scaled_size[1] / base_height)
        self.size = size
        # Whole pixels the base covers.
        left, top = math.ceil(origin[0] - 1e-6), math.ceil(origin[1] - 1e-6)
        right = math.floor(origin[0] + scaled_size[0] + 1e-6)
        bottom = math.floor(origin[1] + scaled_size[1] + 1e-6)
        self.box = Box(left, top, right - left, bottom - top)

    @classmethod
    def covering(cls, rig: Rig, size: tuple[int, int], behind: tuple[int, ...]) -> _PlacedPortrait:
        """The base scaled to cover ``size``, centred, the excess cropped."""
        base_width, base_height = rig.base.size
        scale = max(size[0] / base_width, size[1] / base_height)
        scaled = (base_width * scale, base_height * scale)
        return cls(rig, ((size[0] - scaled[0]) / 2, (size[1] - scaled[1]) / 2), scaled, behind, size)

    def _source(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """The base region that scales to ``box`` (left, top, right, bottom) of the picture."""
        (ox, oy), (sx, sy) = self.origin, self.scale
        left, top, right, bottom = box
        return (left - ox) / sx, (top - oy) / sy, (right - ox) / sx, (bottom - oy) / sy

    def scaled(self) -> Image.Image:
        """The base as it lies on the picture, over ``self.box`` (RGBA)."""
        source = [min(max(0.0, v), limit) for v, limit in zip(self._source(self.box.corners), self.base.size * 2)]
        return self.base.resize(self.box.size, Image.Resampling.LANCZOS, box=tuple(source))

    def picture(self) -> Image.Image:
        """The picture the portrait covers (``size``), RGB: only for a portrait placed to cover it."""
        canvas = Image.new("RGB", self.size)
        canvas.paste(self.scaled().convert("RGB"), (self.box.x, self.box.y))
        return canvas

    def sprite_sheet(
        self, sprites: Sequence[Image.Image | None], sprite_box: tuple[int, int, int, int]
    ) -> tuple[Image.Image, tuple[int, int], tuple[int, int]]:
        """Tiles of the picture around ``sprite_box`` (base pixels), one per sprite laid on the
        base (None: the base as it is), stacked top to bottom; with the tiles' position on the
        picture and their size."""
        (ox, oy), (sx, sy) = self.origin, self.scale
        left, top, width, height = sprite_box
        # The tile: the sprite's box on the picture, widened to even pixels and a little margin,
        # inside the pixels the base covers.
        x0 = max(self.box.x, _floor_even(ox + left * sx) - 2)
        y0 = max(self.box.y, _floor_even(oy + top * sy) - 2)
        x1 = min(self.box.right, _ceil_even(ox + (left + width) * sx) + 2)
        y1 = min(self.box.bottom, _ceil_even(oy + (top + height) * sy) + 2)
        tile_size = (x1 - x0, y1 - y0)
        source = self._source((x0, y0, x1, y1))
        # Resample from a piece of the base with room for the filter's reach on every side, so
        # each tile pixel comes out exactly as the same pixel of the whole picture does.
        reach = math.ceil(3 * max(1.0, 1 / min(sx, sy))) + 2
        piece_box = (
            max(0, math.floor(source[0]) - reach),
            max(0, math.floor(source[1]) - reach),
            min(self.base.width, math.ceil(source[2]) + reach),
            min(self.base.height, math.ceil(source[3]) + reach),
        )
        piece = self.base.crop(piece_box)
        relative = (
            source[0] - piece_box[0],
            source[1] - piece_box[1],
            source[2] - piece_box[0],
            source[3] - piece_box[1],
        )
        sheet = Image.new("RGB", (tile_size[0], tile_size[1] * len(sprites)))
        for index, sprite in enumerate(sprites):
            face = piece.copy()
            if sprite is not None:
                face.alpha_composite(sprite, (left - piece_box[0], top - piece_box[1]))
            tile = face.resize(tile_size, Image.Resampling.LANCZOS, box=relative)
            sheet.paste(tile.convert("RGB"), (0, index * tile_size[1]))
        return sheet, (x0, y0), tile_size


def _floor_even(value: float) -> int:
    return math.floor(value / 2) * 2


def _ceil_even(value: float) -> int:
    return math.ceil(value / 2) * 2


def _padded(picture: Image.Image, margin: int) -> Image.Image:
    """``picture`` with ``margin`` more pixels on every side, its edge pixels run on."""
    pixels = np.pad(np.asarray(picture), ((margin, margin), (margin, margin), (0, 0)), mode="edge")
    return Image.fromarray(pixels, picture.mode)


def _corner_patches(layout: Layout, backdrop: Image.Image) -> list[Layer]:
    """Backdrop pixels outside the card's rounded corners, transparent elsewhere, placed on the
    card's window: the portrait moves under them, the corners stay. One strip along the top edge
    and one along the bottom (one blend each, cheaper than four small ones)."""
    card = layout.avatar
    radius = min(corner_radius(card.width), card.height // 2)
    outside = Image.eval(card_mask(card.size, layout.rounded_bottom), lambda value: 255 - value)
    strips = {"corners_top": 0}
    if layout.rounded_bottom:
        strips["corners_bottom"] = card.height - radius
    patches = []
    for name, y in strips.items():
        strip = backdrop.crop((card.x, card.y + y, card.x + card.width, card.y + y + radius))
        strip.putalpha(outside.crop((0, y, card.width, y + radius)))
        patches.append(Layer(name=name, image=strip, position=(0, y), transparent=True))
    return patches


def phrase_starts(visemes: Sequence[Viseme], fps: int) -> list[int]:
    """Frames on which the mouth starts moving after at least PHRASE_PAUSE of rest."""
    starts, resting = [], PHRASE_PAUSE * fps  # the video's start counts as a pause
    for frame, viseme in enumerate(visemes):
        if viseme == Viseme.REST:
            resting += 1
            continue
        if resting >= PHRASE_PAUSE * fps:
            starts.append(frame)
        resting = 0
    return starts


def head_offsets(
    frame_count: int, fps: int, margin: int, seed: int = 0, nods: Sequence[int] = ()
) -> list[tuple[int, int]]:
    """The head's (dx, dy) on each frame, within ±``margin`` pixels, even (yuv420p crops): a slow
    drift, and a nod starting on each frame in ``nods``. The offsets move the window over the
    portrait, so the face moves the other way (a nod is a negative dy)."""
    nod_depth = [0.0] * frame_count
    nod_frames = max(1, round(NOD_SECONDS * fps))
    for start in nods:
        for step in range(min(nod_frames, frame_count - start)):
            nod_depth[start + step] = max(nod_depth[start + step], math.sin(math.pi * step / nod_frames))
    rng = random.Random(seed)
    phases = [rng.uniform(0, 2 * math.pi) for _ in range(4)]
    (x_slow, x_fast), (y_slow, y_fast) = HEAD_PERIODS
    offsets = []
    for frame in range(frame_count):
        t = frame / fps
        sway = 0.65 * math.sin(2 * math.pi * t / x_slow + phases[0]) + 0.35 * math.sin(
            2 * math.pi * t / x_fast + phases[1]
        )
        drift = 0.65 * math.sin(2 * math.pi * t / y_slow + phases[2]) + 0.35 * math.sin(
            2 * math.pi * t / y_fast + phases[3]
        )
        dy = margin * (HEAD_VERTICAL_SHARE * drift - NOD_SHARE * nod_depth[frame])
        offsets.append((_clamped_even(margin * sway, margin), _clamped_even(dy, margin)))
    return offsets


def _clamped_even(value: float, limit: int) -> int:
    return max(-limit, min(limit, even(value)))


def blink_states(frame_count: int, fps: int, seed: int = 0) -> list[int]:
    """The eyelids on each frame: 0 open, 1 half shut, 2 shut (indexes into EYE_STATES)."""
    rng = random.Random(seed + 1)  # not the head's sequence
    states = [0] * frame_count
    t = rng.uniform(*BLINK_FIRST)
    while True:
        frame = round(t * fps)
        for state, seconds in BLINK_STATES:
            for _ in range(max(1, round(seconds * fps))):
                if frame >= frame_count:
                    return states
                states[frame] = state
                frame += 1
        t = frame / fps
        if rng.random() < DOUBLE_BLINK_CHANCE:
            t += DOUBLE_BLINK_GAP
        else:
            t += min(BLINK_GAP_MAX, BLINK_GAP_MIN + rng.expovariate(1 / BLINK_GAP_MEAN))


def _thumbnail_frame(visemes: Sequence[Viseme], blinks: Sequence[int]) -> int:
    """About a third of the way in: the first frame from there mid-word with the eyes open."""
    target = int(len(visemes) * THUMBNAIL_AT)
    for frame in range(target, len(visemes)):
        if visemes[frame] in _TALKING and (not blinks or blinks[frame] == 0):
            return frame
    return min(target, max(0, len(visemes) - 1))
