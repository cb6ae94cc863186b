"""Illustrated avatar portraits, drawn with Pillow (the starter catalog cannot download photos).

Every portrait shares one face geometry, so the renderer knows where to animate the mouth:
its centre is at ``MOUTH_CENTER`` (fractions of the portrait's width and height) and the closed
mouth is ``MOUTH_WIDTH`` of the portrait's width wide. What varies is what makes people distinct:
skin tone, hair style and colour, eyes, clothing, accessories and the background.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

MOUTH_CENTER = (0.5, 0.72)  # the renderer's DEFAULT_MOUTH_CENTER
MOUTH_WIDTH = 0.15  # within the renderer's own 0.17, so the animated mouth covers the drawn one
PORTRAIT_SIZE = (600, 800)

HAIR_STYLES = ("short", "buzz", "side_part", "long", "bob", "bun", "curly", "ponytail")
CLOTHING_STYLES = ("crew", "vneck", "collar", "hoodie", "blazer")

# Geometry on a 600x800 canvas (scaled for other sizes); the mouth lands on MOUTH_CENTER.
_BASE_WIDTH, _BASE_HEIGHT = 600, 800
_HEAD = (172, 252, 428, 640)
_EYE_Y = 446
_EYE_X = (246, 354)
_SUPERSAMPLING = 2


@dataclass(frozen=True)
class PortraitStyle:
    skin: str
    hair: str
    hair_style: str
    clothing: str
    clothing_style: str
    background: tuple[str, str]  # top and bottom of a vertical gradient
    eyes: str = "#4B3621"
    lips: str | None = None  # None: derived from the skin
    glasses: bool = False
    earrings: str | None = None
    accent: str = "#FFFFFF"  # a decorative shape in the background

    def __post_init__(self):
        if self.hair_style not in HAIR_STYLES:
            raise ValueError(f"hair_style must be one of {HAIR_STYLES}")
        if self.clothing_style not in CLOTHING_STYLES:
            raise ValueError(f"clothing_style must be one of {CLOTHING_STYLES}")


def portrait_png(style: PortraitStyle, size: tuple[int, int] = PORTRAIT_SIZE) -> bytes:
    output = io.BytesIO()
    draw_portrait(style, size).save(output, "PNG", optimize=True)
    return output.getvalue()


def draw_portrait(style: PortraitStyle, size: tuple[int, int] = PORTRAIT_SIZE) -> Image.Image:
    """The portrait as an RGB image of ``size`` (drawn supersampled, then reduced for smooth edges)."""
    width, height = size
    canvas = _Canvas(width * _SUPERSAMPLING, height * _SUPERSAMPLING)
    _background(canvas, style)
    _hair_behind(canvas, style)
    _body(canvas, style)
    _head(canvas, style)
    _hair_front(canvas, style)
    _light(canvas)
    _face(canvas, style)
    if style.glasses:
        _glasses(canvas)
    return canvas.image.resize(size, Image.Resampling.LANCZOS)


class _Canvas:
    """Draws in the 600x800 base coordinates, whatever the real size."""

    def __init__(self, width: int, height: int):
        self.image = Image.new("RGB", (width, height))
        self.draw = ImageDraw.Draw(self.image, "RGBA")  # RGBA fills blend over the RGB picture
        self.sx, self.sy = width / _BASE_WIDTH, height / _BASE_HEIGHT

    def box(self, box):
        x0, y0, x1, y1 = box
        return (x0 * self.sx, y0 * self.sy, x1 * self.sx, y1 * self.sy)

    def points(self, points):
        return [(x * self.sx, y * self.sy) for x, y in points]

    def ellipse(self, box, fill, outline=None, width=0):
        self.draw.ellipse(self.box(box), fill=fill, outline=outline, width=round(width * self.sx))

    def rounded(self, box, radius, fill):
        self.draw.rounded_rectangle(self.box(box), radius=radius * self.sx, fill=fill)

    def polygon(self, points, fill):
        self.draw.polygon(self.points(points), fill=fill)

    def chord(self, box, start, end, fill):
        self.draw.chord(self.box(box), start, end, fill=fill)

    def line(self, points, fill, width):
        self.draw.line(self.points(points), fill=fill, width=max(1, round(width * self.sx)), joint="curve")

    def arc(self, box, start, end, fill, width):
        self.draw.arc(self.box(box), start, end, fill=fill, width=max(1, round(width * self.sx)))


# --- colours --------------------------------------------------------------------------------------
def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _shade(color: str, factor: float, alpha: int = 255) -> tuple[int, int, int, int]:
    """Darker (factor < 1) or lighter (factor > 1, towards white) version of a colour."""
    r, g, b = _rgb(color)
    if factor <= 1:
        return int(r * factor), int(g * factor), int(b * factor), alpha
    t = factor - 1
    return int(r + (255 - r) * t), int(g + (255 - g) * t), int(b + (255 - b) * t), alpha


def _lip_color(style: PortraitStyle) -> tuple[int, int, int, int]:
    if style.lips:
        return (*_rgb(style.lips), 255)
    r, g, b = _rgb(style.skin)
    return int(r * 0.78), int(g * 0.5), int(b * 0.52), 255


# --- layers ---------------------------------------------------------------------------------------
def _background(canvas: _Canvas, style: PortraitStyle) -> None:
    top, bottom = (_rgb(color) for color in style.background)
    width, height = canvas.image.size
    gradient = Image.new("RGBA", (1, height))
    for y in range(height):
        t = y / max(1, height - 1)
        gradient.putpixel((0, y), tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)) + (255,))
    canvas.image.paste(gradient.resize((width, height)).convert("RGB"))
    # A soft disc of light behind the head, and accent shapes, for depth.
    _soft(canvas, lambda draw: draw.ellipse(canvas.box((90, 170, 510, 590)), fill=70), "#FFFFFF", blur=40)
    canvas.ellipse((440, 60, 620, 240), fill=(*_rgb(style.accent), 70))
    canvas.ellipse((-60, 620, 120, 800), fill=(*_rgb(style.accent), 45))


def _body(canvas: _Canvas, style: PortraitStyle) -> None:
    skin, cloth = style.skin, style.clothing
    # Neck, with the shadow the jaw casts.
    canvas.rounded((256, 560, 344, 700), 30, fill=_shade(skin, 1.0))
    canvas.chord((240, 560, 360, 660), 0, 180, fill=_shade(skin, 0.82))
    # Shoulders and chest.
    canvas.ellipse((70, 660, 530, 1040), fill=_shade(cloth, 1.0))
    canvas.ellipse((95, 675, 505, 1040), fill=_shade(cloth, 1.08))
    if style.clothing_style == "vneck":
        canvas.polygon([(248, 668), (352, 668), (300, 760)], fill=_shade(skin, 1.0))
        canvas.line([(248, 668), (300, 760), (352, 668)], fill=_shade(cloth, 0.8), width=6)
    elif style.clothing_style == "crew":
        canvas.chord((246, 640, 354, 708), 0, 180, fill=_shade(skin, 1.0))
        canvas.arc((246, 640, 354, 708), 0, 180, fill=_shade(cloth, 0.78), width=8)
    elif style.clothing_style == "collar":
        canvas.polygon([(256, 668), (344, 668), (300, 720)], fill=_shade(skin, 1.0))
        canvas.polygon([(240, 664), (300, 722), (262, 760), (222, 690)], fill=(250, 250, 250, 255))
        canvas.polygon([(360, 664), (300, 722), (338, 760), (378, 690)], fill=(250, 250, 250, 255))
    elif style.clothing_style == "hoodie":
        canvas.ellipse((180, 630, 420, 740), fill=_shade(cloth, 0.85))
        canvas.chord((240, 640, 360, 712), 0, 180, fill=_shade(skin, 1.0))
        canvas.line([(272, 712), (266, 790)], fill=(245, 245, 245, 255), width=5)
        canvas.line([(328, 712), (334, 790)], fill=(245, 245, 245, 255), width=5)
    elif style.clothing_style == "blazer":
        canvas.polygon([(250, 668), (350, 668), (300, 800)], fill=(245, 245, 245, 255))
        canvas.polygon([(236, 666), (300, 800), (180, 800), (150, 720)], fill=_shade(cloth, 0.78))
        canvas.polygon([(364, 666), (300, 800), (420, 800), (450, 720)], fill=_shade(cloth, 0.78))
        canvas.chord((262, 646, 338, 690), 0, 180, fill=_shade(skin, 1.0))


def _head(canvas: _Canvas, style: PortraitStyle) -> None:
    skin = style.skin
    # Ears, then the face over them.
    for x0 in (154, 404):
        canvas.ellipse((x0, 420, x0 + 42, 505), fill=_shade(skin, 0.93))
        canvas.ellipse((x0 + 10, 436, x0 + 32, 490), fill=_shade(skin, 0.82))
    canvas.ellipse(_HEAD, fill=_shade(skin, 1.0))
    if style.earrings:
        for x in (172, 428):
            canvas.ellipse((x - 8, 500, x + 8, 516), fill=(*_rgb(style.earrings), 255))


def _hair_behind(canvas: _Canvas, style: PortraitStyle) -> None:
    hair = _shade(style.hair, 1.0)
    dark = _shade(style.hair, 0.8)
    if style.hair_style == "long":
        canvas.rounded((140, 220, 460, 780), 150, fill=dark)
        canvas.rounded((150, 230, 450, 770), 140, fill=hair)
    elif style.hair_style == "bob":
        canvas.rounded((146, 226, 454, 610), 130, fill=hair)
    elif style.hair_style == "bun":
        canvas.ellipse((240, 150, 360, 262), fill=hair)
        canvas.ellipse((262, 168, 338, 240), fill=_shade(style.hair, 1.12))
    elif style.hair_style == "ponytail":
        canvas.ellipse((404, 300, 476, 640), fill=hair)
        canvas.ellipse((420, 300, 470, 600), fill=_shade(style.hair, 1.12))
    elif style.hair_style == "curly":
        for angle in range(150, 395, 18):
            radians = math.radians(angle)
            cx, cy = 300 + 150 * math.cos(radians), 420 + 175 * math.sin(radians)
            canvas.ellipse((cx - 48, cy - 48, cx + 48, cy + 48), fill=hair)


def _hair_front(canvas: _Canvas, style: PortraitStyle) -> None:
    hair = _shade(style.hair, 1.0)
    shine = _shade(style.hair, 1.18)
    kind = style.hair_style
    if kind == "curly":
        canvas.chord((166, 236, 434, 470), 180, 360, fill=hair)
        for x in range(186, 420, 34):
            canvas.ellipse((x - 24, 318, x + 24, 366), fill=hair)
        return
    if kind in ("long", "bob"):  # a cap with straight bangs
        canvas.chord((164, 228, 436, 480), 180, 360, fill=hair)
        canvas.polygon([(168, 400), (180, 300), (300, 276), (420, 300), (432, 400), (380, 326), (300, 336),
                        (230, 330)], fill=hair)
        canvas.rounded((150, 330, 190, 560 if kind == "long" else 520), 20, fill=hair)
        canvas.rounded((410, 330, 450, 560 if kind == "long" else 520), 20, fill=hair)
        canvas.arc((210, 250, 390, 380), 200, 250, fill=shine, width=7)
        return
    # Short styles: a cap over the crown, then the forehead carves a rounded hairline into it.
    alpha = 215 if kind == "buzz" else 255
    canvas.chord((164, 226, 436, 520), 180, 360, fill=_shade(style.hair, 1.0, alpha=alpha))
    hairline_top = {"buzz": 300, "short": 318, "side_part": 322, "bun": 306, "ponytail": 306}[kind]
    canvas.ellipse((198, hairline_top, 402, 640), fill=_shade(style.skin, 1.0))
    if kind == "side_part":
        canvas.polygon([(196, 352), (214, 300), (280, 276), (360, 290), (410, 330), (318, 316), (250, 322)],
                       fill=hair)
        canvas.line([(246, 276), (226, 318)], fill=shine, width=5)
    elif kind == "short":
        canvas.polygon([(230, 330), (262, 300), (330, 298), (372, 326), (300, 312)], fill=hair)
    if kind != "buzz":
        canvas.arc((210, 250, 390, 380), 200, 250, fill=shine, width=7)


def _light(canvas: _Canvas) -> None:
    """Soft light on the forehead and cheekbones, soft shade along the jaw (inside the face only)."""
    face = (198, 300, 402, 640)
    _soft(canvas, lambda draw: draw.ellipse(canvas.box((215, 330, 385, 520)), fill=55), "#FFFFFF", blur=30,
          clip=face)
    _soft(canvas, lambda draw: draw.chord(canvas.box((150, 420, 450, 700)), 20, 160, fill=70), "#000000",
          blur=18, clip=_HEAD)


def _soft(canvas: _Canvas, shape, color: str, *, blur: float, clip=None) -> None:
    """Blend ``color`` through a blurred mask drawn by ``shape`` (optionally kept inside ``clip``)."""
    mask = Image.new("L", canvas.image.size, 0)
    shape(ImageDraw.Draw(mask))
    mask = mask.filter(ImageFilter.GaussianBlur(blur * canvas.sx))
    if clip is not None:
        inside = Image.new("L", canvas.image.size, 0)
        ImageDraw.Draw(inside).ellipse(canvas.box(clip), fill=255)
        mask = ImageChops.multiply(mask, inside)
    canvas.image.paste(Image.new("RGB", canvas.image.size, _rgb(color)), mask=mask)


def _face(canvas: _Canvas, style: PortraitStyle) -> None:
    skin = style.skin
    brow = _shade(style.hair, 0.85)
    # Eyebrows.
    for x in _EYE_X:
        canvas.arc((x - 34, _EYE_Y - 52, x + 34, _EYE_Y - 10), 205, 335, fill=brow, width=9)
    # Eyes: whites, iris, pupil, a catch-light, and the upper lid line.
    for x in _EYE_X:
        canvas.ellipse((x - 27, _EYE_Y - 14, x + 27, _EYE_Y + 15), fill=(252, 252, 250, 255))
        canvas.ellipse((x - 13, _EYE_Y - 13, x + 13, _EYE_Y + 13), fill=(*_rgb(style.eyes), 255))
        canvas.ellipse((x - 6, _EYE_Y - 6, x + 6, _EYE_Y + 6), fill=(15, 12, 12, 255))
        canvas.ellipse((x + 2, _EYE_Y - 8, x + 8, _EYE_Y - 2), fill=(255, 255, 255, 230))
        canvas.arc((x - 28, _EYE_Y - 16, x + 28, _EYE_Y + 18), 190, 350, fill=(40, 28, 24, 255), width=5)
    # Nose: a soft side shadow and the nostril line.
    canvas.line([(306, 470), (312, 516), (300, 530)], fill=_shade(skin, 0.8), width=5)
    canvas.arc((282, 512, 318, 538), 20, 160, fill=_shade(skin, 0.78), width=4)
    # Cheeks.
    for x in (224, 376):
        canvas.ellipse((x - 30, 515, x + 30, 550), fill=(235, 110, 110, 45))
    _mouth(canvas, style)


def _mouth(canvas: _Canvas, style: PortraitStyle) -> None:
    """A closed, gently smiling mouth centred on MOUTH_CENTER, MOUTH_WIDTH wide."""
    cx, cy = MOUTH_CENTER[0] * _BASE_WIDTH, MOUTH_CENTER[1] * _BASE_HEIGHT
    half = MOUTH_WIDTH * _BASE_WIDTH / 2
    lips = _lip_color(style)
    canvas.chord((cx - half * 0.8, cy - 12, cx + half * 0.8, cy + 14), 0, 180, fill=lips)  # lower lip
    canvas.polygon([(cx - half, cy), (cx - half * 0.45, cy - 9), (cx, cy - 5), (cx + half * 0.45, cy - 9),
                    (cx + half, cy)], fill=_shade_rgba(lips, 0.9))  # upper lip
    canvas.arc((cx - half, cy - 14, cx + half, cy + 6), 15, 165, fill=(70, 30, 30, 255), width=4)  # the seam


def _shade_rgba(color: tuple[int, int, int, int], factor: float) -> tuple[int, int, int, int]:
    r, g, b, a = color
    return int(r * factor), int(g * factor), int(b * factor), a


def _glasses(canvas: _Canvas) -> None:
    frame = (30, 30, 34, 255)
    for x in _EYE_X:
        canvas.draw.rounded_rectangle(canvas.box((x - 44, _EYE_Y - 30, x + 44, _EYE_Y + 30)), radius=18 * canvas.sx,
                                      outline=frame, width=round(6 * canvas.sx), fill=(255, 255, 255, 28))
    canvas.arc((_EYE_X[0] + 38, _EYE_Y - 20, _EYE_X[1] - 38, _EYE_Y + 10), 200, 340, fill=frame, width=6)
    canvas.line([(_EYE_X[0] - 44, _EYE_Y - 10), (168, _EYE_Y - 16)], fill=frame, width=6)
    canvas.line([(_EYE_X[1] + 44, _EYE_Y - 10), (432, _EYE_Y - 16)], fill=frame, width=6)
