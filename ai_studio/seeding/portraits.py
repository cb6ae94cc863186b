"""Illustrated avatar portraits, drawn with Pillow (the starter catalog cannot download photos).

Every portrait shares one face geometry, so the renderer knows where to animate the mouth:
its centre is at the renderer's own ``DEFAULT_MOUTH_CENTER`` (fractions of the portrait's width
and height) and the closed mouth is ``MOUTH_WIDTH`` of the portrait's width wide. What varies is
what makes people distinct: skin tone, hair style and colour, eyes, clothing, accessories and the
background.

:func:`draw_rig` draws the same portrait as a lip-sync rig: the base plus a sprite per mouth
shape (``visemes.SHAPES``) and per eyelid state, each cut from the portrait redrawn with that
face, so a sprite laid on the base is indistinguishable from a portrait drawn that way.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from ai_studio.generation.mouth_flap import DEFAULT_MOUTH_CENTER
from ai_studio.generation.rig import EYE_SHAPES, Rig, rig_zip_bytes, sprite_box
from ai_studio.generation.visemes import SHAPES

MOUTH_WIDTH = 0.15  # within the renderer's own 0.17, so the animated mouth covers the drawn one
PORTRAIT_SIZE = (600, 800)

HAIR_STYLES = ("short", "buzz", "side_part", "long", "bob", "bun", "curly", "ponytail")
CLOTHING_STYLES = ("crew", "vneck", "collar", "hoodie", "blazer")

# Geometry on a 600x800 canvas (scaled for other sizes); the mouth lands on DEFAULT_MOUTH_CENTER.
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


def draw_portrait(
    style: PortraitStyle, size: tuple[int, int] = PORTRAIT_SIZE, *, mouth: str = "rest", eyes: str = "open"
) -> Image.Image:
    """The portrait as an RGB image of ``size`` (drawn supersampled, then reduced for smooth edges).

    ``mouth`` is a shape of ``visemes.SHAPES`` and ``eyes`` "open" or one of ``rig.EYE_SHAPES``: the
    faces the rig's sprites are cut from.
    """
    canvas = _Canvas.blank(size)
    _underlay(canvas, style)
    _features(canvas, style, mouth=mouth, eyes=eyes)
    return canvas.image.resize(size, Image.Resampling.LANCZOS)


# Sprite boxes in base coordinates, centred on the anchors: room for the widest and the tallest shape
# plus a feathered edge that fades to nothing before the corners.
_MOUTH_SPRITE = (132, 128)
_EYES_SPRITE = (188, 64)
_FEATHER = 3  # base pixels of soft edge around what a sprite changes


def rig_zip(style: PortraitStyle) -> bytes:
    """The portrait as a rig ZIP (``generation.rig`` format), at the standard portrait size."""
    return rig_zip_bytes(draw_rig(style))


def draw_rig(style: PortraitStyle, size: tuple[int, int] = PORTRAIT_SIZE) -> Rig:
    """The portrait as a lip-sync rig: the base of :func:`draw_portrait` plus a sprite per mouth shape and lid state.

    Each sprite is the portrait redrawn with that face, cut to its box, opaque where it differs from
    the base for any shape (so laid on the base it gives exactly that face) and fading out around it.
    """
    underlay = _Canvas.blank(size)
    _underlay(underlay, style)  # the slow layers (gradients, blurs), shared by every face
    canvas = underlay.copy()
    _features(canvas, style, mouth="rest", eyes="open")
    base = canvas.image.resize(size, Image.Resampling.LANCZOS).convert("RGBA")

    mouth_anchor = _pixel((DEFAULT_MOUTH_CENTER[0] * _BASE_WIDTH, DEFAULT_MOUTH_CENTER[1] * _BASE_HEIGHT), size)
    mouth_box = _sprite_box(mouth_anchor, _MOUTH_SPRITE, size)
    mouths = {shape: _face_crop(underlay, style, mouth_box, mouth=shape) for shape in SHAPES}
    eyes_anchor = _pixel((sum(_EYE_X) / 2, _EYE_Y), size)
    eyes_box = _sprite_box(eyes_anchor, _EYES_SPRITE, size)
    eyes = {state: _face_crop(underlay, style, eyes_box, eyes=state) for state in EYE_SHAPES}
    feather = max(1.0, _FEATHER * size[0] / _BASE_WIDTH)
    return Rig(
        base=base,
        mouths=_sprites(base, mouths, mouth_box, feather),
        mouth_anchor=mouth_anchor,
        eyes=_sprites(base, eyes, eyes_box, feather),
        eyes_anchor=eyes_anchor,
    )


def _pixel(point: tuple[float, float], size: tuple[int, int]) -> tuple[int, int]:
    return round(point[0] * size[0] / _BASE_WIDTH), round(point[1] * size[1] / _BASE_HEIGHT)


def _sprite_box(
    anchor: tuple[int, int], base_size: tuple[int, int], size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) in pixels of a sprite centred on ``anchor`` the way ``rig`` places it."""
    width = 2 * max(1, round(base_size[0] * size[0] / _BASE_WIDTH / 2))  # even, so the anchor is its exact centre
    height = 2 * max(1, round(base_size[1] * size[1] / _BASE_HEIGHT / 2))
    left, top, _, _ = sprite_box(anchor, (width, height))
    return left, top, left + width, top + height


_RESAMPLE_MARGIN = 8  # supersampled pixels: more than LANCZOS reaches when halving (3 output = 6 input pixels)


def _face_crop(
    underlay: _Canvas, style: PortraitStyle, box: tuple[int, int, int, int], *, mouth: str = "rest", eyes: str = "open"
) -> Image.Image:
    """The pixels of ``draw_portrait(style, mouth=..., eyes=...)`` in ``box``, without reducing the whole picture.

    Reducing a crop aligned on the supersampling grid, with margin for the filter, gives the very pixels
    reducing the whole would.
    """
    canvas = underlay.copy()
    _features(canvas, style, mouth=mouth, eyes=eyes)
    left, top, right, bottom = (value * _SUPERSAMPLING for value in box)
    margin_left, margin_top = min(left, _RESAMPLE_MARGIN), min(top, _RESAMPLE_MARGIN)
    margin_right = min(canvas.image.width - right, _RESAMPLE_MARGIN)
    margin_bottom = min(canvas.image.height - bottom, _RESAMPLE_MARGIN)
    area = canvas.image.crop((left - margin_left, top - margin_top, right + margin_right, bottom + margin_bottom))
    reduced = area.resize((area.width // _SUPERSAMPLING, area.height // _SUPERSAMPLING), Image.Resampling.LANCZOS)
    x, y = margin_left // _SUPERSAMPLING, margin_top // _SUPERSAMPLING
    return reduced.crop((x, y, x + (box[2] - box[0]), y + (box[3] - box[1])))


def _sprites(base: Image.Image, faces: dict[str, Image.Image], box, feather: float) -> dict[str, Image.Image]:
    """The faces as RGBA sprites sharing one alpha mask: solid wherever any face differs from the base."""
    under = base.crop(box).convert("RGB")
    changed = Image.new("L", under.size, 0)
    for face in faces.values():
        for channel in ImageChops.difference(face, under).split():
            changed = ImageChops.lighter(changed, channel)
    changed = changed.point(lambda level: 255 if level else 0)
    reach = 2 * math.ceil(feather) + 1
    solid = changed.filter(ImageFilter.MaxFilter(reach))  # closes gaps between strokes too
    alpha = ImageChops.lighter(
        solid, solid.filter(ImageFilter.MaxFilter(reach)).filter(ImageFilter.GaussianBlur(feather))
    )
    sprites = {}
    for name, face in faces.items():
        sprite = face.convert("RGBA")
        sprite.putalpha(alpha)
        sprites[name] = sprite
    return sprites


def _underlay(canvas: _Canvas, style: PortraitStyle) -> None:
    """Everything but the face's features: the same for every mouth shape and eyelid state."""
    _background(canvas, style)
    _hair_behind(canvas, style)
    _body(canvas, style)
    _head(canvas, style)
    _hair_front(canvas, style)
    _light(canvas)


def _features(canvas: _Canvas, style: PortraitStyle, *, mouth: str, eyes: str) -> None:
    _face(canvas, style, mouth=mouth, eyes=eyes)
    if style.glasses:
        _glasses(canvas)


class _Canvas:
    """Draws in the 600x800 base coordinates, whatever the real size.

    A canvas may hold only a region of the picture (:meth:`region`): ``origin`` is where its image
    sits in the whole, in pixels, so the same base coordinates land on the same pixels.
    """

    def __init__(self, image: Image.Image, scale: tuple[float, float], origin: tuple[int, int] = (0, 0)):
        self.image = image
        self.draw = ImageDraw.Draw(image, "RGBA" if image.mode == "RGB" else None)  # RGBA fills blend over RGB
        self.sx, self.sy = scale
        self.origin = origin

    @classmethod
    def blank(cls, size: tuple[int, int]) -> _Canvas:
        width, height = size[0] * _SUPERSAMPLING, size[1] * _SUPERSAMPLING
        return cls(Image.new("RGB", (width, height)), (width / _BASE_WIDTH, height / _BASE_HEIGHT))

    def copy(self) -> _Canvas:
        return _Canvas(self.image.copy(), (self.sx, self.sy), self.origin)

    def region(self, box) -> _Canvas:
        """A canvas on a copy of the pixels under ``box`` (base coordinates), to paste back with :meth:`paste`."""
        x0, y0, x1, y1 = self.box(box)
        left, top = max(0, math.floor(x0)), max(0, math.floor(y0))
        right, bottom = min(self.image.width, math.ceil(x1)), min(self.image.height, math.ceil(y1))
        origin = (self.origin[0] + left, self.origin[1] + top)
        return _Canvas(self.image.crop((left, top, right, bottom)), (self.sx, self.sy), origin)

    def mask(self) -> _Canvas:
        """An empty mask ("L", 0 everywhere) over the same pixels: draw on it with fill=255."""
        return _Canvas(Image.new("L", self.image.size, 0), (self.sx, self.sy), self.origin)

    def paste(self, region: _Canvas, mask: _Canvas) -> None:
        offset = (region.origin[0] - self.origin[0], region.origin[1] - self.origin[1])
        self.image.paste(region.image, offset, mask.image)

    def box(self, box):
        x0, y0, x1, y1 = box
        ox, oy = self.origin
        return (x0 * self.sx - ox, y0 * self.sy - oy, x1 * self.sx - ox, y1 * self.sy - oy)

    def points(self, points):
        ox, oy = self.origin
        return [(x * self.sx - ox, y * self.sy - oy) for x, y in points]

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
        canvas.polygon(
            [(168, 400), (180, 300), (300, 276), (420, 300), (432, 400), (380, 326), (300, 336), (230, 330)], fill=hair
        )
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
        canvas.polygon([(196, 352), (214, 300), (280, 276), (360, 290), (410, 330), (318, 316), (250, 322)], fill=hair)
        canvas.line([(246, 276), (226, 318)], fill=shine, width=5)
    elif kind == "short":
        canvas.polygon([(230, 330), (262, 300), (330, 298), (372, 326), (300, 312)], fill=hair)
    if kind != "buzz":
        canvas.arc((210, 250, 390, 380), 200, 250, fill=shine, width=7)


def _light(canvas: _Canvas) -> None:
    """Soft light on the forehead and cheekbones, soft shade along the jaw (inside the face only)."""
    face = (198, 300, 402, 640)
    _soft(canvas, lambda draw: draw.ellipse(canvas.box((215, 330, 385, 520)), fill=55), "#FFFFFF", blur=30, clip=face)
    _soft(
        canvas,
        lambda draw: draw.chord(canvas.box((150, 420, 450, 700)), 20, 160, fill=70),
        "#000000",
        blur=18,
        clip=_HEAD,
    )


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


def _face(canvas: _Canvas, style: PortraitStyle, *, mouth: str = "rest", eyes: str = "open") -> None:
    skin = style.skin
    brow = _shade(style.hair, 0.85)
    # Lids are the skin that was there before the eyes were drawn (light and shade included).
    bare_skin = canvas.region(_EYES_AREA) if eyes != "open" else None
    # Eyebrows.
    for x in _EYE_X:
        canvas.arc((x - 34, _EYE_Y - 52, x + 34, _EYE_Y - 10), 205, 335, fill=brow, width=9)
    # Eyes: whites, iris, pupil, a catch-light, and the upper lid line.
    for x in _EYE_X:
        canvas.ellipse((x - 27, _EYE_Y - 14, x + 27, _EYE_Y + 15), fill=(252, 252, 250, 255))
        canvas.ellipse((x - 13, _EYE_Y - 13, x + 13, _EYE_Y + 13), fill=(*_rgb(style.eyes), 255))
        canvas.ellipse((x - 6, _EYE_Y - 6, x + 6, _EYE_Y + 6), fill=(15, 12, 12, 255))
        canvas.ellipse((x + 2, _EYE_Y - 8, x + 8, _EYE_Y - 2), fill=(255, 255, 255, 230))
        canvas.arc((x - 28, _EYE_Y - 16, x + 28, _EYE_Y + 18), 190, 350, fill=_LASH, width=5)
    if bare_skin is not None:
        _eyelids(canvas, style, bare_skin, eyes)
    # Nose: a soft side shadow and the nostril line.
    canvas.line([(306, 470), (312, 516), (300, 530)], fill=_shade(skin, 0.8), width=5)
    canvas.arc((282, 512, 318, 538), 20, 160, fill=_shade(skin, 0.78), width=4)
    # Cheeks.
    for x in (224, 376):
        canvas.ellipse((x - 30, 515, x + 30, 550), fill=(235, 110, 110, 45))
    if mouth == "rest":
        _mouth(canvas, style)
    elif mouth in _MOUTH_SHAPES:
        _open_mouth(canvas, style, _MOUTH_SHAPES[mouth])
    else:
        raise ValueError(f"mouth must be one of {SHAPES}")


# --- eyelids --------------------------------------------------------------------------------------
_LASH = (40, 28, 24, 255)
_EYES_AREA = (_EYE_X[0] - 40, _EYE_Y - 30, _EYE_X[1] + 40, _EYE_Y + 30)  # both eyes, lids and all
_LID_HALF_WIDTH, _LID_TOP, _LID_BOTTOM = 30, 19, 18  # the lid covers the eye white and its lid line
# The lid's edge (the lash line), below _EYE_Y: where it meets the eye corners, and how far it sags in the middle.
_LID_EDGE = {"half": (-3.0, 4.0), "closed": (3.0, 7.0)}


def _eyelids(canvas: _Canvas, style: PortraitStyle, bare_skin: _Canvas, eyes: str) -> None:
    """Upper lids lowered to mid-iris ("half") or shut ("closed"): skin down to a lash line."""
    if eyes not in _LID_EDGE:
        raise ValueError(f"eyes must be 'open' or one of {EYE_SHAPES}")
    corner, sag = _LID_EDGE[eyes]
    lid_mask = bare_skin.mask()
    edges = []
    for x in _EYE_X:
        edge = [
            (x + dx, _EYE_Y + corner + sag * (1 - (dx / _LID_HALF_WIDTH) ** 2))
            for dx in range(-_LID_HALF_WIDTH, _LID_HALF_WIDTH + 1, 2)
        ]
        lid_mask.ellipse((x - _LID_HALF_WIDTH, _EYE_Y - _LID_TOP, x + _LID_HALF_WIDTH, _EYE_Y + _LID_BOTTOM), fill=255)
        if eyes == "half":  # the lower half of the eye still shows
            lid_mask.polygon(edge + [(x + _LID_HALF_WIDTH, _EYE_Y + 30), (x - _LID_HALF_WIDTH, _EYE_Y + 30)], fill=0)
        edges.append(edge)
    canvas.paste(bare_skin, lid_mask)
    for x, edge in zip(_EYE_X, edges, strict=True):
        # The lid's soft shade and the crease it folds into, then the lash line along its edge.
        upper_lid = _curve(x, _EYE_Y, _LID_HALF_WIDTH - 2, -_LID_TOP + 3, 1.0)
        canvas.polygon(upper_lid + edge[::-1], fill=_shade(style.skin, 0.7, alpha=30))
        canvas.arc((x - 28, _EYE_Y - 20, x + 28, _EYE_Y + 10), 205, 335, fill=_shade(style.skin, 0.8), width=3)
        canvas.polygon(_tapered(edge, 5.5), fill=_LASH)
        if eyes == "closed":  # a few lashes at the outer corner
            outer = 1 if x > sum(_EYE_X) / 2 else -1
            for dx, dy in ((20, 7), (26, 4)):
                root = (x + outer * dx, _EYE_Y + corner + sag * (1 - (dx / _LID_HALF_WIDTH) ** 2))
                canvas.line([root, (root[0] + outer * 6, root[1] + dy)], fill=_LASH, width=2.5)


def _tapered(line: list[tuple[float, float]], thickness: float) -> list[tuple[float, float]]:
    """A brush stroke along ``line``: ``thickness`` in the middle, thin at both ends."""
    last = len(line) - 1
    half = [thickness / 2 * (0.25 + 0.75 * math.sin(math.pi * index / last)) for index in range(last + 1)]
    upper = [(x, y - h) for (x, y), h in zip(line, half, strict=True)]
    lower = [(x, y + h) for (x, y), h in zip(line, half, strict=True)]
    return upper + lower[::-1]


# --- mouths ---------------------------------------------------------------------------------------
MOUTH_INSIDE = (32, 9, 14)  # the dark inside of an open mouth
_TEETH = (247, 245, 238, 255)
_TEETH_SHADE = (214, 208, 200, 255)
_TONGUE = (206, 96, 108, 255)
_SEAM = (70, 30, 30, 255)  # where closed lips meet
_LIP_LINE = DEFAULT_MOUTH_CENTER[1] * _BASE_HEIGHT + 1  # where the lips meet; an open mouth opens around it


@dataclass(frozen=True)
class _MouthShape:
    """A mouth other than the resting one, in base pixels around (DEFAULT_MOUTH_CENTER x, _LIP_LINE)."""

    width: float  # half the opening's width
    up: float  # how far the opening reaches above the lip line (0 and down 0: lips pressed together)
    down: float  # and below it (the jaw)
    upper_lip: float  # lip thickness above the opening
    lower_lip: float
    corner: float = 6  # how far the lips reach beyond the opening's corners
    roundness: float = 1.0  # 1: oval; lower: squarer, as spread lips
    upper_teeth: float = 0  # visible height of the teeth
    lower_teeth: float = 0
    tongue: str | None = None  # "low" (resting), "tip_out" (between the teeth), "tip_up" (behind the upper teeth)
    teeth_on_lip: bool = False  # f/v: the upper teeth rest on the lower lip


# Rest is 90 wide (lips included) and closed; these are measured against it.
_MOUTH_SHAPES = {
    "mbp": _MouthShape(width=47, up=0, down=0, upper_lip=6, lower_lip=8, corner=3, roundness=0.9),
    "fv": _MouthShape(
        width=36, up=6, down=1, upper_lip=7, lower_lip=10, roundness=0.7, upper_teeth=11, teeth_on_lip=True
    ),
    "th": _MouthShape(
        width=36, up=4, down=16, upper_lip=7, lower_lip=10, roundness=0.75, upper_teeth=7, tongue="tip_out"
    ),
    "cdgknst": _MouthShape(
        width=38, up=4, down=12, upper_lip=7, lower_lip=10, roundness=0.7, upper_teeth=7, lower_teeth=5
    ),
    "shr": _MouthShape(
        width=26, up=9, down=15, upper_lip=10, lower_lip=12, corner=8, roundness=0.85, upper_teeth=9, lower_teeth=6
    ),
    "l": _MouthShape(
        width=34, up=7, down=28, upper_lip=7, lower_lip=11, roundness=0.85, upper_teeth=8, tongue="tip_up"
    ),
    "a": _MouthShape(width=36, up=9, down=42, upper_lip=7, lower_lip=11, roundness=0.9, upper_teeth=9, tongue="low"),
    "e": _MouthShape(
        width=42, up=6, down=22, upper_lip=7, lower_lip=10, roundness=0.7, upper_teeth=9, lower_teeth=5, tongue="low"
    ),
    "i": _MouthShape(width=46, up=4, down=9, upper_lip=6, lower_lip=9, roundness=0.55, upper_teeth=7, lower_teeth=6),
    "o": _MouthShape(width=24, up=14, down=28, upper_lip=9, lower_lip=11, corner=7, upper_teeth=5, tongue="low"),
    "uw": _MouthShape(width=11, up=7, down=10, upper_lip=10, lower_lip=11, corner=9),
}


def _mouth(canvas: _Canvas, style: PortraitStyle) -> None:
    """A closed, gently smiling mouth centred on DEFAULT_MOUTH_CENTER, MOUTH_WIDTH wide."""
    cx, cy = DEFAULT_MOUTH_CENTER[0] * _BASE_WIDTH, DEFAULT_MOUTH_CENTER[1] * _BASE_HEIGHT
    half = MOUTH_WIDTH * _BASE_WIDTH / 2
    lips = _lip_color(style)
    canvas.chord((cx - half * 0.8, cy - 12, cx + half * 0.8, cy + 14), 0, 180, fill=lips)  # lower lip
    canvas.polygon(
        [(cx - half, cy), (cx - half * 0.45, cy - 9), (cx, cy - 5), (cx + half * 0.45, cy - 9), (cx + half, cy)],
        fill=_shade_rgba(lips, 0.9),
    )  # upper lip
    canvas.arc((cx - half, cy - 14, cx + half, cy + 6), 15, 165, fill=_SEAM, width=4)  # the seam


def _open_mouth(canvas: _Canvas, style: PortraitStyle, shape: _MouthShape) -> None:
    cx, y = DEFAULT_MOUTH_CENTER[0] * _BASE_WIDTH, _LIP_LINE
    lips = _lip_color(style)
    outer_width = shape.width + shape.corner
    outer_top = _curve(cx, y, outer_width, -(shape.up + shape.upper_lip), shape.roundness, bow=2.5)
    outer_bottom = _curve(cx, y, outer_width, shape.down + shape.lower_lip, shape.roundness)
    opening_top = _curve(cx, y, shape.width, -shape.up, shape.roundness)
    opening_bottom = _curve(cx, y, shape.width, shape.down, shape.roundness)
    canvas.polygon(outer_top + outer_bottom[::-1], fill=lips)
    canvas.polygon(outer_top + opening_top[::-1], fill=_shade_rgba(lips, 0.9))  # the upper lip, in its shade
    if not shape.up and not shape.down:  # pressed together: only the line where they meet
        canvas.polygon(_tapered(opening_top, 3), fill=_SEAM)
        return
    _mouth_inside(canvas, shape, opening_top, opening_bottom)
    if shape.tongue == "tip_out":  # over the lower lip, under the upper teeth
        tip_top = y - shape.up + shape.upper_teeth - 2
        tip_bottom = y + shape.down + shape.lower_lip * 0.55
        canvas.ellipse((cx - shape.width * 0.5, tip_top, cx + shape.width * 0.5, tip_bottom), fill=_TONGUE)
        canvas.line([(cx, tip_top + 4), (cx, y + shape.down)], fill=_shade_rgba(_TONGUE, 0.85), width=2)
    if shape.teeth_on_lip:  # biting the lower lip: a row of teeth tapering into the mouth's corners
        rim = _curve(cx, y, shape.width, shape.upper_teeth - shape.up, 0.5)
        shadow = [(x, rim_y + 2.5) for x, rim_y in rim]  # cast on the lower lip, so the teeth read as resting on it
        canvas.polygon(opening_top + shadow[::-1], fill=_shade_rgba(lips, 0.7))
        _teeth(canvas, opening_top, rim)


def _mouth_inside(canvas: _Canvas, shape: _MouthShape, opening_top, opening_bottom) -> None:
    """The dark inside with tongue and teeth, drawn on a copy of the area and pasted back through the opening."""
    cx, y = DEFAULT_MOUTH_CENTER[0] * _BASE_WIDTH, _LIP_LINE
    opening = opening_top + opening_bottom[::-1]
    inside = canvas.region(_bounds(opening, margin=2))
    inside.image.paste(MOUTH_INSIDE, (0, 0, *inside.image.size))
    if shape.tongue in ("low", "tip_up"):
        depth = shape.up + shape.down
        tongue_top, tongue_bottom = y + shape.down - depth * 0.35, y + shape.down + depth * 0.4
        inside.ellipse((cx - shape.width * 0.75, tongue_top, cx + shape.width * 0.75, tongue_bottom), fill=_TONGUE)
    if shape.tongue == "tip_up":  # raised to the back of the upper teeth
        tip_top = y - shape.up + shape.upper_teeth - 3
        inside.ellipse((cx - shape.width * 0.38, tip_top, cx + shape.width * 0.38, y + shape.down), fill=_TONGUE)
    if shape.upper_teeth and not shape.teeth_on_lip:
        _teeth(inside, opening_top, [(x, edge_y + shape.upper_teeth) for x, edge_y in opening_top])
    if shape.lower_teeth:
        _teeth(inside, opening_bottom, [(x, edge_y - shape.lower_teeth) for x, edge_y in opening_bottom])
    opening_mask = inside.mask()
    opening_mask.polygon(opening, fill=255)
    canvas.paste(inside, opening_mask)


def _teeth(canvas: _Canvas, gum_edge: list[tuple[float, float]], biting_edge: list[tuple[float, float]]) -> None:
    """A row of teeth between the lip it grows from and its biting edge (both left to right), with a centre gap."""
    canvas.polygon(gum_edge + biting_edge[::-1], fill=_TEETH)
    canvas.line(biting_edge, fill=_TEETH_SHADE, width=1.5)
    middle = len(gum_edge) // 2
    canvas.line([gum_edge[middle], biting_edge[middle]], fill=_TEETH_SHADE, width=1.5)


def _curve(cx: float, y: float, half_width: float, height: float, roundness: float, bow: float = 0):
    """One side of an opening or lip line, left corner to right corner, ``height`` from ``y`` (negative: upward).

    ``roundness`` below 1 squares it off (a superellipse); ``bow`` dents the middle, as the upper lip's cupid's bow.
    """
    points = []
    steps = 24
    for step in range(steps + 1):
        t = math.pi * step / steps
        c, s = -math.cos(t), math.sin(t)
        x = cx + half_width * math.copysign(abs(c) ** roundness, c)
        offset = height * s**roundness
        if bow:
            offset += bow * math.exp(-(((x - cx) / (0.25 * half_width)) ** 2))
        points.append((x, y + offset))
    return points


def _bounds(points, margin: float) -> tuple[float, float, float, float]:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs) - margin, min(ys) - margin, max(xs) + margin, max(ys) + margin


def _shade_rgba(color: tuple[int, int, int, int], factor: float) -> tuple[int, int, int, int]:
    r, g, b, a = color
    return int(r * factor), int(g * factor), int(b * factor), a


def _glasses(canvas: _Canvas) -> None:
    frame = (30, 30, 34, 255)
    for x in _EYE_X:
        canvas.draw.rounded_rectangle(
            canvas.box((x - 44, _EYE_Y - 30, x + 44, _EYE_Y + 30)),
            radius=18 * canvas.sx,
            outline=frame,
            width=round(6 * canvas.sx),
            fill=(255, 255, 255, 28),
        )
    canvas.arc((_EYE_X[0] + 38, _EYE_Y - 20, _EYE_X[1] - 38, _EYE_Y + 10), 200, 340, fill=frame, width=6)
    canvas.line([(_EYE_X[0] - 44, _EYE_Y - 10), (168, _EYE_Y - 16)], fill=frame, width=6)
    canvas.line([(_EYE_X[1] + 44, _EYE_Y - 10), (432, _EYE_Y - 16)], fill=frame, width=6)
