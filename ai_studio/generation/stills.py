"""The pictures that do not move, composed once with Pillow: backdrops, the card, the presenter's
stage, the bubble's ring and mask, scrims and the logo.

Smooth pictures (gradients, glows, soft shapes) are computed at 1/BACKGROUND_DOWNSCALE of their
size with numpy and scaled up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError

from .ffmpeg import RenderError
from .layout import Box, Layout, even

BACKGROUND_DOWNSCALE = 8
SUPERSAMPLING = 4  # masks are drawn this much larger and scaled down: smooth edges

# The card look: a vertical gradient with a soft accent glow behind the card.
CORNER_RADIUS = 0.05  # of the card's width
GLOW_RADIUS = 1.0  # of the card's larger side
GLOW_STRENGTH = 0.45  # accent colour's share at the glow's centre

# The brand backdrop, in tints and shades of the brand colour alone (the accent colour is for what
# stands out: boxes, rings): lighter at the top, darker at the bottom, a glow behind the avatar, a
# few large soft discs and darker corners. Shares of the colours mixed in.
BACKDROP_TOP_LIGHT = 0.24  # white mixed into the brand colour at the top
BACKDROP_BOTTOM_SHADE = 0.45  # the brand colour's brightness at the bottom
BACKDROP_GLOW = 0.5
BACKDROP_GLOW_RADIUS = 0.85  # of the frame's larger side
# (centre x, centre y, radius as a share of the short side, strength).
BACKDROP_DISCS = ((0.88, 0.10, 0.34, 0.16), (0.06, 0.52, 0.26, 0.12), (0.80, 0.90, 0.42, 0.14))
DISC_SOFTNESS = 0.18  # of a disc's radius: its edge fades over this much
VIGNETTE = 0.35  # darkening in the far corners

# Presenter: how the portrait's edges fade into the backdrop, as shares of the portrait's size,
# and how dark the picture runs below it.
FEATHER = 0.16
EXTENSION_SHADE = 0.72  # of the brand colour's darkest shade mixed in at the frame's bottom
EXTENSION_BLUR = 0.012  # of the width

# Bubble: a ring round the avatar, as a share of the bubble's diameter.
RING_WIDTH = 0.035


def rgb(color: str) -> tuple[int, int, int]:
    try:
        return ImageColor.getrgb(color)[:3]
    except ValueError as exc:
        raise RenderError("invalid_spec", f"not a colour: {color!r}") from exc


def lighter(color: tuple[int, int, int], share: float = 0.35) -> tuple[int, int, int]:
    return tuple(int(v + share * (255 - v)) for v in color)


def accent_of(background: str, accent: str | None) -> tuple[int, int, int]:
    """The accent colour, or (none given) a lighter tint of the background."""
    return rgb(accent) if accent else lighter(rgb(background))


def open_image(path: Path, code: str, long_side: int) -> Image.Image:
    """Decode an image upright (phone photos carry their rotation in EXIF) as RGBA."""
    try:
        with Image.open(path) as image:
            # A JPEG can decode at 1/2, 1/4 or 1/8 scale, still covering long_side x long_side
            # in any orientation: several times faster for large photos.
            image.draft(None, (long_side, long_side))
            return ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as exc:
        raise RenderError(code, f"cannot read image {path}: {exc}") from exc


def paste_logo(frame: Image.Image, logo: Image.Image | None, box: Box | None) -> None:
    if logo is not None and box is not None:
        frame.alpha_composite(logo.resize(box.size, Image.Resampling.LANCZOS), (box.x, box.y))


def cover(image: Image.Image, size: tuple[int, int], center: tuple[float, float] = (0.5, 0.5)) -> Image.Image:
    """``image`` scaled to cover ``size`` and cropped around ``center`` (fractions of the image)."""
    scale = max(size[0] / image.width, size[1] / image.height)
    width, height = size[0] / scale, size[1] / scale
    left = min(max(0.0, center[0] * image.width - width / 2), image.width - width)
    top = min(max(0.0, center[1] * image.height - height / 2), image.height - height)
    return image.resize(size, Image.Resampling.LANCZOS, box=(left, top, left + width, top + height))


# --- the card look ------------------------------------------------------------------------


def card_backdrop(size: tuple[int, int], background: str, accent: str | None, card: Box) -> Image.Image:
    """A vertical gradient of the background colour with a soft accent glow behind the card, RGBA."""
    width, height = _small(size)
    scale_x, scale_y = width / size[0], height / size[1]
    base = np.array(rgb(background), dtype=np.float32)
    glow_color = np.array(accent_of(background, accent), dtype=np.float32)
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    # Top slightly lighter, bottom slightly darker: depth without drawing attention.
    gradient = base * (1.12 - 0.3 * rows)
    ys, xs = np.ogrid[:height, :width]
    cx = (card.x + card.width / 2) * scale_x
    cy = (card.y + card.height / 2) * scale_y
    radius = GLOW_RADIUS * max(card.width * scale_x, card.height * scale_y)
    distance = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2, dtype=np.float32) / radius
    glow = (GLOW_STRENGTH * np.clip(1.0 - distance, 0.0, 1.0) ** 1.5)[:, :, None]
    return _upscaled(gradient * (1.0 - glow) + glow_color * glow, size)


def card_still(backdrop: Image.Image, layout: Layout, portrait: Image.Image) -> Image.Image:
    """``backdrop`` (RGBA) with the portrait on its card, as an RGB image."""
    frame = backdrop.copy()
    card = portrait.resize(layout.portrait.size, Image.Resampling.LANCZOS)
    card.putalpha(ImageChops.multiply(card.getchannel("A"), card_mask(layout.portrait.size, layout.rounded_bottom)))
    frame.alpha_composite(card, (layout.portrait.x, layout.portrait.y))
    return frame.convert("RGB")


def card_mask(size: tuple[int, int], rounded_bottom: bool = True) -> Image.Image:
    """The card's shape as an "L" mask: rounded corners (not the bottom ones when it stands on
    the frame's edge)."""
    s = SUPERSAMPLING
    width, height = size
    mask = Image.new("L", (width * s, height * s), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, width * s - 1, height * s - 1),
        radius=CORNER_RADIUS * width * s,
        fill=255,
        corners=(True, True, rounded_bottom, rounded_bottom),
    )
    return mask.resize(size, Image.Resampling.BOX)


def corner_radius(width: int) -> int:
    """The rounded corners' size in pixels for a card ``width`` wide, rounded up to even."""
    return even(CORNER_RADIUS * width + 1)


# --- presenter and product ----------------------------------------------------------------


def brand_backdrop(size: tuple[int, int], background: str, focus: tuple[float, float] = (0.5, 0.4)) -> Image.Image:
    """The brand colour with depth, RGBA: lighter at the top and darker below, a glow around
    ``focus`` (fractions of the size), soft lighter discs, darker corners."""
    width, height = _small(size)
    base = np.array(rgb(background), dtype=np.float32)
    tint = np.array(lighter(rgb(background), 0.45), dtype=np.float32)
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    slope = 0.8 * ys + 0.2 * xs  # mostly top to bottom, a little left to right
    top = base + BACKDROP_TOP_LIGHT * (255 - base)
    pixels = top * (1 - slope) + base * BACKDROP_BOTTOM_SHADE * slope
    short = min(width, height)
    px, py = xs * (width - 1), ys * (height - 1)
    distance = np.sqrt((px - focus[0] * width) ** 2 + (py - focus[1] * height) ** 2) / (
        BACKDROP_GLOW_RADIUS * max(width, height)
    )
    pixels = _mix(pixels, tint, BACKDROP_GLOW * np.clip(1.0 - distance, 0.0, 1.0) ** 2)
    for cx, cy, radius, strength in BACKDROP_DISCS:
        distance = np.sqrt((px - cx * width) ** 2 + (py - cy * height) ** 2) / (radius * short)
        edge = np.clip((1.0 - distance) / DISC_SOFTNESS, 0.0, 1.0)
        pixels = _mix(pixels, tint, strength * edge)
    corner = ((xs - 0.5) ** 2 + (ys - 0.5) ** 2) * 2  # 0 at the centre, 1 in the corners
    pixels = pixels * (1 - VIGNETTE * corner)
    return _upscaled(pixels, size)


def presenter_stage(
    backdrop: Image.Image, portrait: Image.Image, box: Box, frame: Box, shade: tuple[int, int, int]
) -> Image.Image:
    """The presenter's stage, RGB: ``backdrop`` with ``portrait`` (scaled to ``box``, which may
    reach past the picture) fading into it at its edges inside ``frame`` (the part of the
    picture that is the video's frame; the rest is room for the picture to sway). Edges on or
    past the frame's run on to the picture's edge; below a portrait ending above the frame's
    bottom, its last row runs on, darkening to ``shade``."""
    stage = backdrop.copy()
    visible = _clipped(box, stage.size)
    picture = portrait.crop((visible.x - box.x, visible.y - box.y, visible.right - box.x, visible.bottom - box.y))
    # Full-frame pictures: a caller's temporaries (a padded backdrop, a scaled portrait) are freed
    # as soon as they are copied, not held through the blend (the worker's peak memory).
    del backdrop, portrait
    picture.putalpha(ImageChops.multiply(picture.getchannel("A"), _feather(box, visible, frame)))
    stage.alpha_composite(picture, (visible.x, visible.y))
    del picture
    pixels = np.asarray(stage.convert("RGB")).copy()
    rows = slice(visible.y, visible.bottom)
    if box.x <= frame.x:
        pixels[rows, : visible.x] = pixels[rows, visible.x : visible.x + 1]
    if box.right >= frame.right:
        pixels[rows, visible.right :] = pixels[rows, visible.right - 1 : visible.right]
    if box.y <= frame.y:
        pixels[: visible.y] = pixels[visible.y : visible.y + 1]
    if visible.bottom < stage.height:
        # The last row, blurred sideways so that small details do not run on as stripes.
        last = Image.fromarray(pixels[visible.bottom - 1 : visible.bottom]).filter(
            ImageFilter.BoxBlur(max(1, round(EXTENSION_BLUR * stage.width)))
        )
        pixels[visible.bottom :] = _extension(np.asarray(last)[0], visible.bottom, frame, stage.height, shade)
    return Image.fromarray(pixels, "RGB")


def _feather(box: Box, visible: Box, frame: Box) -> Image.Image:
    """The portrait's alpha over its visible part: 255 inside, fading to 0 towards each of its
    edges that lies inside ``frame`` (an edge on or past the frame's stays sharp)."""
    ramp_x = max(2, round(FEATHER * box.width))
    ramp_y = max(2, round(FEATHER * box.height))
    xs = np.arange(visible.x, visible.right, dtype=np.float32)
    ys = np.arange(visible.y, visible.bottom, dtype=np.float32)
    alpha_x = np.ones_like(xs)
    alpha_y = np.ones_like(ys)
    if box.x > frame.x:
        alpha_x = np.minimum(alpha_x, (xs - box.x + 0.5) / ramp_x)
    if box.right < frame.right:
        alpha_x = np.minimum(alpha_x, (box.right - xs - 0.5) / ramp_x)
    if box.y > frame.y:
        alpha_y = np.minimum(alpha_y, (ys - box.y + 0.5) / ramp_y)
    alpha = np.clip(alpha_y[:, None], 0, 1) * np.clip(alpha_x[None, :], 0, 1)
    # In place: the portrait's size in float32, not five copies of it.
    alpha = _smoothstep(alpha, out=alpha)
    alpha *= 255
    return Image.fromarray(np.round(alpha, out=alpha).astype(np.uint8), "L")


def _extension(row: np.ndarray, top: int, frame: Box, bottom: int, shade: tuple[int, int, int]) -> np.ndarray:
    """Rows ``top`` to ``bottom`` - 1: ``row`` run on, darkening to ``shade`` by the frame's bottom."""
    ys = np.arange(top, bottom, dtype=np.float32)
    reach = frame.bottom - top
    share = np.clip((ys - top + 1) / reach, 0.0, 1.0) ** 0.8 if reach > 0 else np.zeros_like(ys)
    share = (EXTENSION_SHADE * share)[:, None, None]
    run = row[None, :, :].astype(np.float32) * (1 - share) + np.array(shade, dtype=np.float32) * share
    return run.round().astype(np.uint8)


def shade_of(background: str) -> tuple[int, int, int]:
    """The brand colour's darkest shade, as the backdrop's bottom has it."""
    return tuple(int(v * BACKDROP_BOTTOM_SHADE * (1 - VIGNETTE / 2)) for v in rgb(background))


def disc_mask(diameter: int) -> Image.Image:
    """A disc filling a ``diameter`` square, smooth-edged, as an "L" mask."""
    s = SUPERSAMPLING
    mask = Image.new("L", (diameter * s, diameter * s), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, diameter * s - 1, diameter * s - 1), fill=255)
    return mask.resize((diameter, diameter), Image.Resampling.BOX)


def ring(diameter: int, color: tuple[int, int, int]) -> Image.Image:
    """The bubble's ring: ``color`` along the disc's edge, transparent elsewhere (RGBA)."""
    s = SUPERSAMPLING
    width = max(2, round(RING_WIDTH * diameter)) * s
    mask = Image.new("L", (diameter * s, diameter * s), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, diameter * s - 1, diameter * s - 1), outline=255, width=width)
    picture = Image.new("RGBA", (diameter, diameter), (*color, 0))
    picture.putalpha(mask.resize((diameter, diameter), Image.Resampling.BOX))
    return picture


def scrims(size: tuple[int, int], color: tuple[int, int, int], top: Box | None, bottom: Box | None) -> Image.Image:
    """Shades of ``color`` over a picture of ``size``, RGBA: fading out downwards over ``top`` and
    in downwards over ``bottom`` (rows of the picture), so text over them reads."""
    alpha = np.zeros(size[1], dtype=np.float32)
    for box, strength, downwards in ((top, 0.62, False), (bottom, 0.78, True)):
        if box is None:
            continue
        ramp = np.linspace(0.0, 1.0, box.height, dtype=np.float32)
        shade = strength * _smoothstep(ramp if downwards else 1 - ramp)
        alpha[box.y : box.bottom] = np.maximum(alpha[box.y : box.bottom], shade)
    column = np.zeros((size[1], 1, 4), dtype=np.uint8)
    column[:, 0, :3] = color
    column[:, 0, 3] = (alpha * 255).round().astype(np.uint8)
    return Image.fromarray(column, "RGBA").resize(size, Image.Resampling.NEAREST)


# --- helpers ------------------------------------------------------------------------------


def _small(size: tuple[int, int]) -> tuple[int, int]:
    return max(1, size[0] // BACKGROUND_DOWNSCALE), max(1, size[1] // BACKGROUND_DOWNSCALE)


def _upscaled(pixels: np.ndarray, size: tuple[int, int]) -> Image.Image:
    small = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    return small.resize(size, Image.Resampling.BILINEAR).convert("RGBA")


def _mix(pixels: np.ndarray, color, share: np.ndarray) -> np.ndarray:
    share = share if share.ndim == 3 else share[:, :, None]
    return pixels * (1 - share) + np.asarray(color, dtype=np.float32) * share


def _smoothstep(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """3v² - 2v³ of ``values`` clipped to [0, 1], into ``out`` if given (it may be ``values``)."""
    values = np.clip(values, 0.0, 1.0, out=out)
    squared = values * values
    values *= -2  # 3 - 2v, then times v², computed as the expression v * v * (3 - 2 * v) is
    values += 3
    values *= squared
    return values


def _clipped(box: Box, size: tuple[int, int]) -> Box:
    left, top = max(0, box.x), max(0, box.y)
    right, bottom = min(size[0], box.right), min(size[1], box.bottom)
    return Box(left, top, max(0, right - left), max(0, bottom - top))
