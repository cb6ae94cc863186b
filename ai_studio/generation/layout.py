"""Where things go in the frame, and the pictures that do not move: background, card, logo.

The portrait sits on a rounded "card" over a gradient of the background colour with a soft
accent glow behind it; the brand logo, if any, in the top-right corner. Sizes and offsets are
even: yuv420p planes need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageOps, UnidentifiedImageError

from .ffmpeg import RenderError
from .render_spec import RenderSpec

# Layout, as fractions of the frame. With the card at most 70% of the height and centred (or on
# the bottom edge), the logo (margin + at most 8%) never reaches the card.
PORTRAIT_MAX_WIDTH = 0.78
PORTRAIT_MAX_HEIGHT = 0.70
LOGO_MAX_WIDTH = 0.16
LOGO_MAX_HEIGHT = 0.08
MARGIN = 0.04  # of the frame's short side
CORNER_RADIUS = 0.05  # of the portrait's width
GLOW_RADIUS = 1.0  # of the portrait's larger side
GLOW_STRENGTH = 0.45  # accent colour's share at the glow's centre
BACKGROUND_DOWNSCALE = 8
SUPERSAMPLING = 4  # masks are drawn this much larger and scaled down: smooth edges


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def corners(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom), as Pillow's crop wants it."""
        return self.x, self.y, self.x + self.width, self.y + self.height


@dataclass(frozen=True)
class Layout:
    portrait: Box  # where the scaled portrait (the card) sits in the frame
    logo: Box | None
    rounded_bottom: bool  # False when the card stands on the frame's bottom edge


def even(value: float) -> int:
    """Nearest even integer: yuv420p planes need even sizes and offsets."""
    return round(value / 2) * 2


def _fit(size: tuple[int, int], max_width: float, max_height: float) -> tuple[int, int]:
    scale = min(max_width / size[0], max_height / size[1])
    return max(2, even(size[0] * scale)), max(2, even(size[1] * scale))


def plan_layout(spec: RenderSpec, portrait_size: tuple[int, int], logo_size: tuple[int, int] | None) -> Layout:
    """Where the portrait and the logo go in a ``spec.width`` x ``spec.height`` frame."""
    width, height = spec.width, spec.height
    margin = even(MARGIN * min(width, height))
    pw, ph = _fit(portrait_size, PORTRAIT_MAX_WIDTH * width, PORTRAIT_MAX_HEIGHT * height)
    px = even((width - pw) / 2)
    py = height - ph if spec.framing == "bottom" else even((height - ph) / 2)
    logo = None
    if logo_size:
        lw, lh = _fit(logo_size, LOGO_MAX_WIDTH * width, LOGO_MAX_HEIGHT * height)
        logo = Box(width - margin - lw, margin, lw, lh)
    return Layout(Box(px, py, pw, ph), logo, rounded_bottom=spec.framing != "bottom")


def rgb(color: str) -> tuple[int, int, int]:
    try:
        return ImageColor.getrgb(color)[:3]
    except ValueError as exc:
        raise RenderError("invalid_spec", f"not a colour: {color!r}") from exc


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


def compose_background(spec: RenderSpec, layout: Layout, logo: Image.Image | None) -> Image.Image:
    """The frame behind the card: gradient, glow and logo, as RGBA."""
    frame = _background(spec, layout)
    if logo is not None and layout.logo is not None:
        mark = logo.resize(layout.logo.size, Image.Resampling.LANCZOS)
        frame.alpha_composite(mark, (layout.logo.x, layout.logo.y))
    return frame


def compose_still(spec: RenderSpec, layout: Layout, portrait: Image.Image, logo: Image.Image | None) -> Image.Image:
    """The whole frame with the portrait on its card, captions aside, as an RGB image."""
    frame = compose_background(spec, layout, logo)
    card = portrait.resize(layout.portrait.size, Image.Resampling.LANCZOS)
    card.putalpha(ImageChops.multiply(card.getchannel("A"), card_mask(layout)))
    frame.alpha_composite(card, (layout.portrait.x, layout.portrait.y))
    return frame.convert("RGB")


def card_mask(layout: Layout) -> Image.Image:
    """The card's shape as an "L" mask of its size: rounded corners (not the bottom ones when it
    stands on the frame's edge)."""
    s = SUPERSAMPLING
    width, height = layout.portrait.size
    mask = Image.new("L", (width * s, height * s), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, width * s - 1, height * s - 1),
        radius=CORNER_RADIUS * width * s,
        fill=255,
        corners=(True, True, layout.rounded_bottom, layout.rounded_bottom),
    )
    return mask.resize((width, height), Image.Resampling.BOX)


def corner_radius(layout: Layout) -> int:
    """The rounded corners' size in pixels, rounded up to even."""
    return even(CORNER_RADIUS * layout.portrait.width + 1)


def _background(spec: RenderSpec, layout: Layout) -> Image.Image:
    """A vertical gradient of the background colour with a soft accent glow behind the portrait.

    Both are smooth, so they are computed at 1/BACKGROUND_DOWNSCALE of the size and scaled up.
    """
    width = max(1, spec.width // BACKGROUND_DOWNSCALE)
    height = max(1, spec.height // BACKGROUND_DOWNSCALE)
    scale_x, scale_y = width / spec.width, height / spec.height
    base = np.array(rgb(spec.background_color), dtype=np.float32)
    accent = np.array(rgb(spec.accent_color) if spec.accent_color else _lighter(base), dtype=np.float32)
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    # Top slightly lighter, bottom slightly darker: depth without drawing attention.
    gradient = base * (1.12 - 0.3 * rows)
    ys, xs = np.ogrid[:height, :width]
    cx = (layout.portrait.x + layout.portrait.width / 2) * scale_x
    cy = (layout.portrait.y + layout.portrait.height / 2) * scale_y
    radius = GLOW_RADIUS * max(layout.portrait.width * scale_x, layout.portrait.height * scale_y)
    distance = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2, dtype=np.float32) / radius
    glow = (GLOW_STRENGTH * np.clip(1.0 - distance, 0.0, 1.0) ** 1.5)[:, :, None]
    pixels = np.clip(gradient * (1.0 - glow) + accent * glow, 0, 255).astype(np.uint8)
    small = Image.fromarray(pixels, "RGB")
    return small.resize((spec.width, spec.height), Image.Resampling.BILINEAR).convert("RGBA")


def _lighter(color: np.ndarray) -> tuple[int, int, int]:
    return tuple(int(v) for v in np.clip(color + 0.35 * (255 - color), 0, 255))
