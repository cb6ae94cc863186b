"""The talking mouth for a portrait without a rig: it opens with the voice's loudness.

The portrait is a single picture, so the mouth is drawn here: at each openness level, lips, the
dark inside, upper teeth and a tongue over the region around the mouth, stacked into a sprite
sheet. The mouth is assumed at ``DEFAULT_MOUTH_CENTER`` of the portrait (the admin tells staff
how to frame one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from .layout import Box, even
from .scene import Layer
from .stills import SUPERSAMPLING

MOUTH_LEVELS = 5  # closed + four openings
# Where the mouth is in the portrait, as fractions of its width and height.
DEFAULT_MOUTH_CENTER = (0.5, 0.72)

# Mouth geometry, as fractions of the portrait's width.
MOUTH_WIDTH = 0.17
MOUTH_MAX_OPENING = 0.08
LIP_COLOR_FACTORS = (0.72, 0.42, 0.45)  # the skin around the mouth, darker and redder
MOUTH_INSIDE_COLOR = (40, 10, 14)
TEETH_COLOR = (236, 232, 222)
TONGUE_COLOR = (168, 62, 72)

THUMBNAIL_AT = 1 / 3  # of the duration


@dataclass(frozen=True)
class Mouth:
    """Where the mouth is drawn, in frame pixels."""

    box: Box  # the region the sprites replace: the widest mouth plus room for smooth edges
    center_x: float
    lip_line: float  # y of the closed mouth; an opening mouth grows mostly below it (the jaw drops)
    width: float
    max_opening: float


def loudness_avatar(
    picture: Image.Image,
    portrait: Box,
    levels: np.ndarray,
    mouth_center: tuple[float, float] = DEFAULT_MOUTH_CENTER,
    name: str = "still",
) -> tuple[Layer, int]:
    """``picture`` (RGB) with a mouth that opens to ``levels[frame]`` (0 closed .. MOUTH_LEVELS - 1),
    the portrait lying at ``portrait`` in it, as a layer at (0, 0) the caller may move; and the
    frame that best shows it talking."""
    mouth = place_mouth(portrait, mouth_center, picture.size)
    box = mouth.box
    mouth_layer = Layer(
        name="mouth",
        image=mouth_sprite_sheet(picture, mouth),
        position=(box.x, box.y),
        size=box.size,
        windows=[(0, int(level) * box.height) for level in levels],
    )
    return Layer(name=name, image=picture, position=(0, 0), layers=[mouth_layer]), _thumbnail_frame(levels)


def _thumbnail_frame(levels: np.ndarray) -> int:
    """A frame about a third of the way in, mid-word: the first one from there on with the
    mouth half open (talking, not gaping), else simply the frame at a third."""
    target = int(len(levels) * THUMBNAIL_AT)
    talking = np.flatnonzero(levels[target:] == MOUTH_LEVELS // 2)
    return target + int(talking[0]) if len(talking) else target


def place_mouth(portrait: Box, center: tuple[float, float], frame_size: tuple[int, int]) -> Mouth:
    width, height = frame_size
    mouth_width = MOUTH_WIDTH * portrait.width
    max_opening = MOUTH_MAX_OPENING * portrait.width
    cx = portrait.x + center[0] * portrait.width
    lip_line = portrait.y + center[1] * portrait.height
    # Margins hold the widest mouth with its lips (see _draw_open_mouth) and a few pixels more.
    left = max(0, even(cx - 0.65 * mouth_width))
    right = min(width, even(cx + 0.65 * mouth_width))
    top = max(0, even(lip_line - 0.45 * max_opening))
    bottom = min(height, even(lip_line + 1.2 * max_opening))
    box = Box(left, top, max(2, right - left), max(2, bottom - top))
    return Mouth(box, cx, lip_line, mouth_width, max_opening)


def mouth_sprite_sheet(still: Image.Image, mouth: Mouth) -> Image.Image:
    """The mouth region at each openness level, stacked top (closed) to bottom (widest).

    Level 0 is the untouched region, so a closed mouth looks exactly like the portrait.
    """
    box = mouth.box
    closed = still.crop(box.corners)
    sheet = Image.new("RGB", (box.width, box.height * MOUTH_LEVELS))
    lip_color = _lip_color(closed)
    for level in range(MOUTH_LEVELS):
        tile = closed.copy()
        if level:
            _draw_open_mouth(tile, mouth, level / (MOUTH_LEVELS - 1), lip_color)
        sheet.paste(tile, (0, level * box.height))
    return sheet


def _lip_color(region: Image.Image) -> tuple[int, int, int]:
    mean = np.asarray(region, dtype=np.float32).reshape(-1, 3).mean(axis=0)
    return tuple(int(channel * factor) for channel, factor in zip(mean, LIP_COLOR_FACTORS, strict=True))


def _draw_open_mouth(tile: Image.Image, mouth: Mouth, openness: float, lip_color: tuple[int, int, int]) -> None:
    """Draw lips, the dark inside, upper teeth and a tongue, sized by ``openness`` in (0, 1]."""
    s = SUPERSAMPLING
    layer = Image.new("RGBA", (tile.width * s, tile.height * s), (0, 0, 0, 0))
    cx = (mouth.center_x - mouth.box.x) * s
    # Opening, the mouth also stretches a little wider and the upper lip lifts a little.
    half_width = mouth.width * (0.85 + 0.15 * openness) * s / 2
    opening = mouth.max_opening * openness * s
    top = (mouth.lip_line - mouth.box.y) * s - 0.15 * opening
    bottom = top + opening
    lip = 0.035 * mouth.width * s + 0.12 * opening
    cavity = (cx - half_width, top, cx + half_width, bottom)
    draw = ImageDraw.Draw(layer)
    draw.ellipse((cx - half_width - lip, top - lip, cx + half_width + lip, bottom + lip), fill=(*lip_color, 255))
    draw.ellipse(cavity, fill=(*MOUTH_INSIDE_COLOR, 255))
    if openness >= 0.5:  # narrower openings are too small to show teeth
        layer.alpha_composite(_teeth_and_tongue(layer.size, cavity, openness))
    small = layer.resize(tile.size, Image.Resampling.LANCZOS)
    tile.paste(small, (0, 0), small)


def _teeth_and_tongue(size: tuple[int, int], cavity: tuple[float, float, float, float], openness: float) -> Image.Image:
    """Upper teeth and the tongue, clipped to the mouth opening."""
    left, top, right, bottom = cavity
    height, cx = bottom - top, (left + right) / 2
    tongue_half_width = (right - left) * 0.275
    inside = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(inside)
    draw.rectangle((left, top, right, top + 0.22 * height), fill=(*TEETH_COLOR, 255))
    draw.ellipse(
        (cx - tongue_half_width, bottom - 0.45 * openness * height, cx + tongue_half_width, bottom + 0.3 * height),
        fill=(*TONGUE_COLOR, 255),
    )
    opening = Image.new("L", size, 0)
    ImageDraw.Draw(opening).ellipse(cavity, fill=255)
    inside.putalpha(ImageChops.multiply(inside.getchannel("A"), opening))
    return inside
