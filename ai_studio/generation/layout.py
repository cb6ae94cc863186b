"""Where things go in the frame: the layouts a reel can have, the platforms' safe zones, and each
layout's plan (the avatar, the logo, and the boxes the headline and the captions may fill).

Layouts (``LAYOUTS``, listed by the API):

- ``presenter``: the avatar large, filling the frame's width (9:16, 4:5) or height (1:1, 16:9)
  over a brand-coloured backdrop with depth; a headline stays at the top for the whole reel.
- ``product``: the campaign's media fills the frame (a slow pan over a still, or the clip), the
  avatar talks from a round bubble in the bottom-left corner, captions beside it; a headline
  for the opening seconds.
- ``card``: the first look: the avatar on a rounded card over a gradient.

Text (headline, captions, the end card's text) stays inside the safe zone of the frame's aspect
ratio (``SAFE_ZONES``): clear of what the apps draw over a reel. At 9:16 that is the status and
tab bar at the top (8%), the caption, account and music lines at the bottom (20%) and the
column of action buttons on the right (16% wide, from 35% to 90% of the height). Sizes and
offsets are even: yuv420p planes need them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ffmpeg import RenderError
from .render_spec import RenderSpec
from .types import ASPECT_RATIOS


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
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def corners(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom), as Pillow's crop wants it."""
        return self.x, self.y, self.right, self.bottom

    def contains(self, other: Box) -> bool:
        return self.x <= other.x and self.y <= other.y and other.right <= self.right and other.bottom <= self.bottom


def even(value: float) -> int:
    """Nearest even integer: yuv420p planes need even sizes and offsets."""
    return round(value / 2) * 2


# --- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutInfo:
    name: str
    title: str
    description: str
    aspect_ratios: tuple[str, ...]
    needs_media: bool  # shows the campaign's media: a job with this layout must have some


ALL_ASPECT_RATIOS = tuple(ASPECT_RATIOS)
LAYOUTS: dict[str, LayoutInfo] = {
    info.name: info
    for info in (
        LayoutInfo(
            "presenter",
            "Presenter",
            "The avatar large, filling the frame, over a backdrop in the brand's colours; the headline "
            "stays at the top.",
            ALL_ASPECT_RATIOS,
            needs_media=False,
        ),
        LayoutInfo(
            "product",
            "Product",
            "The campaign's pictures or clips fill the frame, one per scene, with a slow pan; the avatar "
            "talks from a round bubble in the corner.",
            ALL_ASPECT_RATIOS,
            needs_media=True,
        ),
        LayoutInfo(
            "card",
            "Card",
            "The avatar on a rounded card over a gradient of the brand colour.",
            ALL_ASPECT_RATIOS,
            needs_media=False,
        ),
    )
}
# Per aspect ratio: the layout of a reel without media, and with media.
DEFAULT_LAYOUTS = {aspect: ("presenter", "product") for aspect in ALL_ASPECT_RATIOS}


def default_layout(aspect_ratio: str, has_media: bool) -> str:
    without_media, with_media = DEFAULT_LAYOUTS[aspect_ratio]
    return with_media if has_media else without_media


def aspect_ratio_of(width: int, height: int) -> str:
    """The aspect ratio in ``ASPECT_RATIOS`` nearest to a frame's."""
    return min(ASPECT_RATIOS, key=lambda name: abs(ASPECT_RATIOS[name][0] / ASPECT_RATIOS[name][1] - width / height))


def layout_name(spec: RenderSpec) -> str:
    """The spec's layout, or the default for its aspect ratio; RenderError if it cannot be used."""
    name = spec.layout or default_layout(aspect_ratio_of(spec.width, spec.height), bool(spec.shots))
    if name not in LAYOUTS:
        raise RenderError("invalid_spec", f"unknown layout: {name!r}")
    if LAYOUTS[name].needs_media and not spec.shots:
        raise RenderError("invalid_spec", f"the {name} layout needs media")
    if spec.shots and not LAYOUTS[name].needs_media:
        raise RenderError("invalid_spec", f"the {name} layout does not show media: use product")
    return name


# --- safe zones -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafeZone:
    """Margins kept free of text, as fractions of the frame's width (left, right) and height (top,
    bottom); ``column`` is an area on the right kept free too: (left edge, top, bottom)."""

    left: float
    top: float
    right: float
    bottom: float
    column: tuple[float, float, float] | None = None


SAFE_ZONES = {
    # Reels, TikTok, Shorts: status and tabs at the top, caption/account/music lines at the bottom,
    # the like/comment/share column on the right.
    "9:16": SafeZone(left=0.06, top=0.08, right=0.06, bottom=0.20, column=(0.84, 0.35, 0.90)),
    # Feed posts: the picture is shown whole; a margin keeps text off the rounded/cropped edges.
    "4:5": SafeZone(left=0.06, top=0.06, right=0.06, bottom=0.10),
    "1:1": SafeZone(left=0.06, top=0.06, right=0.06, bottom=0.08),
    # Players: title at the top, progress bar and controls at the bottom.
    "16:9": SafeZone(left=0.05, top=0.07, right=0.05, bottom=0.12),
}


def text_area(width: int, height: int, top: int, bottom: int) -> Box:
    """The widest box of the safe zone between rows ``top`` and ``bottom`` (clamped to the zone)."""
    zone = SAFE_ZONES[aspect_ratio_of(width, height)]
    top = max(top, even(zone.top * height))
    bottom = min(bottom, even((1 - zone.bottom) * height))
    left, right = even(zone.left * width), even((1 - zone.right) * width)
    if zone.column is not None:
        column_left, column_top, column_bottom = zone.column
        if top < column_bottom * height and bottom > column_top * height:
            right = min(right, even(column_left * width))
    return Box(left, top, right - left, max(0, bottom - top))


def safe_box(width: int, height: int) -> Box:
    """The safe zone's outer box (the action column, if any, is not cut out of it)."""
    zone = SAFE_ZONES[aspect_ratio_of(width, height)]
    left, top = even(zone.left * width), even(zone.top * height)
    return Box(left, top, even((1 - zone.right) * width) - left, even((1 - zone.bottom) * height) - top)


# --- plans ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    name: str
    portrait: Box  # where the whole scaled portrait lies, in frame pixels (card: the card itself)
    avatar: Box  # the window the avatar is seen through: the card, the whole frame, the bubble
    logo: Box | None
    headline: Box  # the area a headline may fill, inside the safe zone
    captions: Box  # the area captions fill from its bottom up, inside the safe zone
    headline_whole_reel: bool  # else only for the opening HOOK_SECONDS
    rounded_bottom: bool = True  # card: False when it stands on the frame's bottom edge

    @property
    def shape(self) -> str:
        """How the avatar's window is cut: "card" (rounded rectangle), "open" or "bubble" (circle)."""
        return {"card": "card", "presenter": "open", "product": "bubble"}[self.name]


HOOK_SECONDS = 3.0  # how long a headline shows when it is not there for the whole reel
MARGIN = 0.04  # of the frame's short side: the logo's distance from the edges

# Card: with the card at most 70% of the height and centred (or on the bottom edge), the logo
# (margin + at most 8%) never reaches the card.
PORTRAIT_MAX_WIDTH = 0.78
PORTRAIT_MAX_HEIGHT = 0.70
LOGO_MAX_WIDTH = 0.16
LOGO_MAX_HEIGHT = 0.08
# Presenter and product: a smaller corner mark, the headline below it.
MARK_MAX_WIDTH = 0.2
MARK_MAX_HEIGHT = 0.06

# The headline's area, from the top of the safe zone, as a share of the frame's height.
HEADLINE_HEIGHT = {"9:16": 0.15, "4:5": 0.16, "1:1": 0.17, "16:9": 0.19}
# Captions grow upwards from the bottom of the safe zone, at most this share of the height.
CAPTIONS_HEIGHT = 0.16


@dataclass(frozen=True)
class PresenterFit:
    """How large the presenter is: the portrait covers ``width`` of the frame's width and
    ``height`` of its height (the larger scale wins); its mouth on ``mouth_line`` (a share of the
    frame's height), or (None) its bottom on the frame's bottom edge. ``side`` "right": the
    presenter stands on the right edge, headline and captions beside it on the left."""

    width: float
    height: float
    mouth_line: float | None
    side: str = "center"


PRESENTER_FIT = {
    # The mouth well above the captions, which sit over the chest; the shoulders run into a
    # darkening extension of the picture down to the bottom edge.
    "9:16": PresenterFit(width=1.0, height=0.75, mouth_line=0.60),
    "4:5": PresenterFit(width=1.0, height=1.0, mouth_line=None),
    "1:1": PresenterFit(width=0.0, height=0.92, mouth_line=0.62),
    "16:9": PresenterFit(width=0.0, height=1.0, mouth_line=None, side="right"),
}
# Above the presenter at most this share of the height shows only the backdrop.
PRESENTER_TOP_GAP = 0.08
# Beside a presenter on the right: text may reach this share of its width into its picture (its
# own background, fading into the backdrop), and the headline fills up to this share of the height.
SIDE_TEXT_OVERLAP = 0.12
SIDE_HEADLINE_HEIGHT = 0.36
SIDE_CAPTIONS_BOTTOM = 0.7  # bottom-position captions sit on this line, under the headline

# Product: the bubble's diameter as a share of the frame's short side; it shows this share of
# the portrait's width, centred this far above the mouth (a share of the portrait's height).
BUBBLE_DIAMETER = {"9:16": 0.30, "4:5": 0.28, "1:1": 0.28, "16:9": 0.32}
BUBBLE_PORTRAIT_SHARE = 0.72
BUBBLE_CENTER_ABOVE_MOUTH = 0.12
BUBBLE_GAP = 0.025  # of the short side, between the bubble and the captions


def plan_layout(
    spec: RenderSpec,
    portrait_size: tuple[int, int],
    logo_size: tuple[int, int] | None,
    mouth: tuple[float, float] = (0.5, 0.72),
) -> Layout:
    """Where everything goes in a ``spec.width`` x ``spec.height`` frame for the spec's layout.

    ``mouth`` is where the mouth is in the portrait, as fractions of its width and height.
    """
    name = layout_name(spec)
    width, height = spec.width, spec.height
    aspect = aspect_ratio_of(width, height)
    margin = even(MARGIN * min(width, height))
    if name == "card":
        portrait = _card_box(spec, portrait_size)
        logo = _logo_box(spec, logo_size, LOGO_MAX_WIDTH, LOGO_MAX_HEIGHT, margin)
        avatar, rounded_bottom = portrait, spec.framing != "bottom"
    elif name == "presenter":
        fit = PRESENTER_FIT[aspect]
        portrait = _presenter_box(spec, portrait_size, mouth[1], fit)
        logo = _logo_box(spec, logo_size, MARK_MAX_WIDTH, MARK_MAX_HEIGHT, margin)
        avatar, rounded_bottom = Box(0, 0, width, height), True
    else:
        avatar = _bubble_box(width, height, BUBBLE_DIAMETER[aspect])
        portrait = _portrait_in_bubble(avatar, portrait_size, mouth)
        logo = _logo_box(spec, logo_size, MARK_MAX_WIDTH, MARK_MAX_HEIGHT, margin)
        rounded_bottom = True
    top = max(logo.bottom + margin // 2 if logo is not None else 0, safe_box(width, height).y)
    headline = text_area(width, height, top, top + even(HEADLINE_HEIGHT[aspect] * height))
    captions = _captions_box(spec, headline, avatar if name == "product" else None)
    if name == "presenter" and fit.side == "right":
        column_right = portrait.x + even(SIDE_TEXT_OVERLAP * portrait.width)
        headline = text_area(width, height, safe_box(width, height).y, even(SIDE_HEADLINE_HEIGHT * height))
        if spec.caption_style.position == "bottom":
            bottom = even(SIDE_CAPTIONS_BOTTOM * height)
            captions = text_area(width, height, bottom - captions.height, bottom)
        headline, captions = (_narrowed(box, column_right) for box in (headline, captions))
    return Layout(
        name=name,
        portrait=portrait,
        avatar=avatar,
        logo=logo,
        headline=headline,
        captions=captions,
        headline_whole_reel=name == "presenter",
        rounded_bottom=rounded_bottom,
    )


def _fit(size: tuple[int, int], max_width: float, max_height: float) -> tuple[int, int]:
    scale = min(max_width / size[0], max_height / size[1])
    return max(2, even(size[0] * scale)), max(2, even(size[1] * scale))


def _card_box(spec: RenderSpec, portrait_size: tuple[int, int]) -> Box:
    width, height = spec.width, spec.height
    pw, ph = _fit(portrait_size, PORTRAIT_MAX_WIDTH * width, PORTRAIT_MAX_HEIGHT * height)
    py = height - ph if spec.framing == "bottom" else even((height - ph) / 2)
    return Box(even((width - pw) / 2), py, pw, ph)


def _logo_box(
    spec: RenderSpec, logo_size: tuple[int, int] | None, max_width: float, max_height: float, margin: int
) -> Box | None:
    if not logo_size:
        return None
    lw, lh = _fit(logo_size, max_width * spec.width, max_height * spec.height)
    return Box(spec.width - margin - lw, margin, lw, lh)


def _presenter_box(spec: RenderSpec, portrait_size: tuple[int, int], mouth_y: float, fit: PresenterFit) -> Box:
    width, height = spec.width, spec.height
    scale = max(fit.width * width / portrait_size[0], fit.height * height / portrait_size[1])
    pw, ph = max(2, even(portrait_size[0] * scale)), max(2, even(portrait_size[1] * scale))
    y = height - ph if fit.mouth_line is None else fit.mouth_line * height - mouth_y * ph
    y = min(y, PRESENTER_TOP_GAP * height)
    if ph >= height:  # tall enough: no gap at the bottom
        y = max(y, height - ph)
    x = width - pw if fit.side == "right" else even((width - pw) / 2)
    return Box(x, even(y), pw, ph)


def _narrowed(box: Box, right: int) -> Box:
    return Box(box.x, box.y, max(2, min(box.right, right) - box.x), box.height)


def _bubble_box(width: int, height: int, diameter_share: float) -> Box:
    diameter = even(diameter_share * min(width, height))
    zone = text_area(width, height, 0, height)
    return Box(zone.x, zone.bottom - diameter, diameter, diameter)


def _portrait_in_bubble(bubble: Box, portrait_size: tuple[int, int], mouth: tuple[float, float]) -> Box:
    """The portrait scaled so that the bubble shows its face: BUBBLE_PORTRAIT_SHARE of its width,
    centred a little above the mouth."""
    pw = even(bubble.width / BUBBLE_PORTRAIT_SHARE)
    ph = even(pw * portrait_size[1] / portrait_size[0])
    cx, cy = bubble.x + bubble.width / 2, bubble.y + bubble.height / 2
    return Box(even(cx - mouth[0] * pw), even(cy - (mouth[1] - BUBBLE_CENTER_ABOVE_MOUTH) * ph), pw, ph)


def _captions_box(spec: RenderSpec, headline: Box, bubble: Box | None) -> Box:
    """Where captions go for the style's position: the bottom of the safe zone (beside the
    bubble, if any), its middle, or just below the headline's area."""
    width, height = spec.width, spec.height
    zone = safe_box(width, height)
    band = even(CAPTIONS_HEIGHT * height)
    position = spec.caption_style.position
    if position == "top":
        return text_area(width, height, headline.bottom, headline.bottom + band)
    if position == "center":
        return text_area(width, height, even((height - band) / 2), even((height + band) / 2))
    area = text_area(width, height, zone.bottom - band, zone.bottom)
    if bubble is not None:
        left = bubble.right + even(BUBBLE_GAP * min(width, height))
        area = Box(left, area.y, max(2, area.right - left), area.height)
    return area
