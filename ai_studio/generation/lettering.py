"""Text drawn into pictures with Pillow: the headline (the reel's hook) and the end card.

Lines are set in the captions' bold font, each on its own rounded box of the accent colour (the
look of text in the apps' own editors), centred, as large as fits the area given: the font
shrinks until the wrapped text fits in at most MAX_LINES lines.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .captions import FONT_DIR
from .layout import Box, even, safe_box, text_area
from .stills import brand_backdrop, paste_logo

FONT_FILE = "DejaVuSans-Bold.ttf"
MAX_LINES = 4
# Font sizes as shares of the frame's short side: the largest tried, and the smallest allowed.
HEADLINE_FONT = (0.085, 0.042)
END_CARD_FONT = (0.095, 0.045)
SHRINK = 0.92  # each try is this much smaller than the last
PADDING = (0.32, 0.14)  # a line's box around its text: shares of the font size (sides, top and bottom)
LINE_GAP = 0.06  # between two lines' boxes, a share of the font size
CORNER = 0.22  # the boxes' rounded corners, a share of the font size
SHADOW = (0.08, 0.12, 90)  # offset and blur (shares of the font size) and opacity of the boxes' shadow
# End card: the logo's box (shares of the frame) and where its centre is; the text below it.
END_LOGO = (0.56, 0.24)
END_LOGO_CENTER = 0.34
END_TEXT_GAP = 0.05  # between the logo and the text, a share of the frame's height


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / FONT_FILE), size)


def _ink(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """White on a dark box, near-black on a light one."""
    red, green, blue = background
    return (20, 20, 24) if 0.299 * red + 0.587 * green + 0.114 * blue > 160 else (255, 255, 255)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap; a word too long for a line gets one of its own."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _balanced(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """As few lines as a greedy wrap at ``width`` gives, but as even as can be: the narrowest
    width that still needs no more lines."""
    lines = _wrap(text, font, width)
    low, high = max(font.getlength(word) for word in text.split()), width
    while high - low > 1:
        middle = (low + high) / 2
        if len(_wrap(text, font, middle)) <= len(lines):
            high = middle
        else:
            low = middle
    return _wrap(text, font, high)


def _set(text: str, area: Box, short_side: int, sizes: tuple[float, float]) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (within ``sizes``) at which ``text`` fits ``area`` boxed; its lines."""
    size = sizes[0] * short_side
    while True:
        font = _font(max(8, round(size)))
        pad_x = PADDING[0] * font.size
        lines = _balanced(text, font, area.width - 2 * pad_x)
        fits = len(lines) <= MAX_LINES and _block_height(font, len(lines)) <= area.height
        fits = fits and all(font.getlength(line) + 2 * pad_x <= area.width for line in lines)
        if fits or size * SHRINK < sizes[1] * short_side:
            return font, lines[:MAX_LINES]
        size *= SHRINK


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return round(ascent + descent + 2 * PADDING[1] * font.size)


def _block_height(font: ImageFont.FreeTypeFont, lines: int) -> int:
    return lines * _line_height(font) + max(0, lines - 1) * round(LINE_GAP * font.size)


def boxed_text(
    text: str, area: Box, short_side: int, color: tuple[int, int, int], sizes: tuple[float, float] = HEADLINE_FONT
) -> tuple[Image.Image, tuple[int, int]]:
    """``text`` on boxes of ``color``, centred at the top of ``area``, as an RGBA picture and its
    position in the frame (even, and inside ``area``)."""
    font, lines = _set(" ".join(text.split()), area, short_side, sizes)
    pad_x = PADDING[0] * font.size
    line_height, gap = _line_height(font), round(LINE_GAP * font.size)
    width = min(area.width, even(max(font.getlength(line) for line in lines) + 2 * pad_x + 2))
    height = min(area.height, even(_block_height(font, len(lines)) + 2))
    boxes = Image.new("L", (width, height), 0)
    glyphs = Image.new("L", (width, height), 0)
    draw_boxes, draw_glyphs = ImageDraw.Draw(boxes), ImageDraw.Draw(glyphs)
    for index, line in enumerate(lines):
        top = index * (line_height + gap)
        line_width = font.getlength(line) + 2 * pad_x
        left = (width - line_width) / 2
        draw_boxes.rounded_rectangle(
            (left, top, left + line_width, top + line_height - 1), radius=CORNER * font.size, fill=255
        )
        draw_glyphs.text((width / 2, top + line_height / 2), line, font=font, fill=255, anchor="mm")
    picture = _shadow(boxes, font.size)
    picture.paste((*color, 255), (0, 0), boxes)
    picture.paste((*_ink(color), 255), (0, 0), glyphs)
    return picture, (area.x + even((area.width - width) / 2), area.y)


def _shadow(boxes: Image.Image, font_size: int) -> Image.Image:
    """A soft dark shadow of the boxes, a little below them, inside the picture (RGBA)."""
    offset, blur, opacity = round(SHADOW[0] * font_size), SHADOW[1] * font_size, SHADOW[2]
    alpha = Image.new("L", boxes.size, 0)
    alpha.paste(boxes.point(lambda value: value * opacity // 255), (0, offset))
    shadow = Image.new("RGBA", boxes.size, (0, 0, 0, 0))
    shadow.putalpha(alpha.filter(ImageFilter.GaussianBlur(blur)))
    return shadow


def end_card_picture(
    size: tuple[int, int],
    background: str,
    accent_rgb: tuple[int, int, int],
    text: str,
    logo: Image.Image | None,
) -> Image.Image:
    """The end card, RGB: the brand backdrop, the logo large in the upper middle and ``text``
    below it (centred when there is no logo), inside the safe zone."""
    width, height = size
    frame = brand_backdrop(size, background, focus=(0.5, END_LOGO_CENTER))
    safe = safe_box(width, height)
    text_top = safe.y + even((safe.height - 0.3 * height) / 2)
    if logo is not None:
        scale = min(END_LOGO[0] * width / logo.width, END_LOGO[1] * height / logo.height, safe.width / logo.width)
        logo_box = Box(
            even((width - logo.width * scale) / 2),
            even(END_LOGO_CENTER * height - logo.height * scale / 2),
            max(2, even(logo.width * scale)),
            max(2, even(logo.height * scale)),
        )
        paste_logo(frame, logo, logo_box)
        text_top = logo_box.bottom + even(END_TEXT_GAP * height)
    if text.strip():
        area = text_area(width, height, text_top, safe.bottom)
        # Centred on the frame, not on the zone: as wide on the left as the zone allows on the right.
        left = max(area.x, width - area.right)
        area = Box(left, area.y, width - 2 * left, area.height)
        picture, position = boxed_text(text, area, min(size), accent_rgb, END_CARD_FONT)
        frame.alpha_composite(picture, position)
    return frame.convert("RGB")
