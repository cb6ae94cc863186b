"""Each layout's scene: the pictures of ``stills`` and ``lettering``, the talking avatar of
``lipsync`` (a rig) or ``mouth_flap`` (a plain portrait) and the media of ``media``, put
together as layers (``scene``) as ``layout`` planned them.

What never moves is baked into one still: on the card and a plain presenter, the logo and a
headline shown for the whole reel. Over a picture that moves (a rigged presenter sways as a
whole; the product's media pans), the logo and the headline are overlays; a headline shown only
for the opening seconds is always one (switched off by time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .layout import HOOK_SECONDS, Box, Layout
from .lettering import boxed_text, end_card_picture
from .lipsync import lipsync_head
from .media import media_track
from .mouth_flap import loudness_avatar
from .render_spec import RenderSpec
from .rig import Rig
from .scene import Layer, Scene
from .stills import (
    accent_of,
    brand_backdrop,
    card_backdrop,
    card_still,
    disc_mask,
    paste_logo,
    presenter_stage,
    rgb,
    ring,
    scrims,
    shade_of,
)
from .visemes import Viseme

# Product: the scrims behind the headline (from the top to a little below its area) and behind
# the captions and the bubble (from this share of the height down); the bubble's ring, white,
# stands out on any picture.
BOTTOM_SCRIM_FROM = 0.52
RING_COLOR = (255, 255, 255)


@dataclass
class Talker:
    """The avatar and what it says on each frame: mouth shapes for a rig, openness levels for a
    plain portrait (with its mouth at ``mouth_center``)."""

    rig: Rig | None
    portrait: Image.Image | None  # RGBA, when there is no rig
    visemes: list[Viseme]
    levels: np.ndarray
    mouth_center: tuple[float, float]

    @property
    def frame_count(self) -> int:
        return len(self.visemes) if self.rig is not None else len(self.levels)


def build_look(spec: RenderSpec, layout: Layout, talker: Talker, logo: Image.Image | None) -> Scene:
    """The scene of ``spec`` laid out as ``layout``, with its end card after the speech."""
    builder = {"card": _card, "presenter": _presenter, "product": _product}[layout.name]
    scene = builder(spec, layout, talker, logo)
    if spec.end_card is not None and spec.end_card.seconds > 0:
        scene.tail = Layer(name="end_card", image=_end_card(spec, logo), position=(0, 0))
        scene.tail_frames = max(1, round(spec.end_card.seconds * spec.fps))
    return scene


def backdrop_of(spec: RenderSpec, layout: Layout) -> Image.Image:
    """What the layout shows where nothing is laid on it (RGBA, the whole frame): the card's
    gradient, or the brand backdrop (glowing behind the presenter; under the product's media)."""
    size = (spec.width, spec.height)
    if layout.name == "card":
        return card_backdrop(size, spec.background_color, spec.accent_color, layout.portrait)
    box = layout.portrait
    focus = ((box.x + box.width / 2) / spec.width, (box.y + 0.5 * box.height) / spec.height)
    return brand_backdrop(size, spec.background_color, focus)


def _card(spec: RenderSpec, layout: Layout, talker: Talker, logo: Image.Image | None) -> Scene:
    backdrop = backdrop_of(spec, layout)
    paste_logo(backdrop, logo, layout.logo)
    headline = _headline(spec, layout, talker.frame_count)
    if talker.rig is not None:
        head, thumbnail = lipsync_head(talker.rig, layout, backdrop, talker.visemes, spec.fps, seed=spec.motion_seed)
        background = Layer(name="background", image=backdrop.convert("RGB"), position=(0, 0), layers=[head])
    else:
        still = card_still(backdrop, layout, talker.portrait)
        background, thumbnail = loudness_avatar(still, layout.portrait, talker.levels, talker.mouth_center)
    return Scene(background, talker.frame_count, thumbnail, overlays=[headline] if headline else [])


def _presenter(spec: RenderSpec, layout: Layout, talker: Talker, logo: Image.Image | None) -> Scene:
    size, box = (spec.width, spec.height), layout.portrait
    backdrop = backdrop_of(spec, layout)
    shade = shade_of(spec.background_color)
    headline = _headline(spec, layout, talker.frame_count)
    if talker.rig is not None:
        background, thumbnail = lipsync_head(
            talker.rig, layout, backdrop, talker.visemes, spec.fps, seed=spec.motion_seed, shade=shade
        )
        overlays = [layer for layer in (_logo_layer(logo, layout), headline) if layer is not None]
        return Scene(background, talker.frame_count, thumbnail, overlays=overlays)
    portrait = talker.portrait.resize(box.size, Image.Resampling.LANCZOS)
    still = presenter_stage(backdrop, portrait, box, Box(0, 0, *size), shade).convert("RGBA")
    paste_logo(still, logo, layout.logo)
    if headline is not None and headline.shown is None:
        still.alpha_composite(headline.image, headline.position)
        headline = None
    background, thumbnail = loudness_avatar(still.convert("RGB"), box, talker.levels, talker.mouth_center)
    return Scene(background, talker.frame_count, thumbnail, overlays=[headline] if headline else [])


def _product(spec: RenderSpec, layout: Layout, talker: Talker, logo: Image.Image | None) -> Scene:
    size = (spec.width, spec.height)
    shade = shade_of(spec.background_color)
    top = Box(0, 0, spec.width, min(spec.height, layout.headline.bottom + layout.headline.height // 3))
    bottom_from = round(BOTTOM_SCRIM_FROM * spec.height)
    shades = scrims(size, shade, top, Box(0, bottom_from, spec.width, spec.height - bottom_from))
    bubble = layout.avatar
    # Media shown whole goes between the headline and the bubble, and right of the bubble.
    focus = ((bubble.right + spec.width) / 2 / spec.width, (layout.headline.bottom + bubble.y) / 2 / spec.height)
    if spec.width <= spec.height:
        focus = (0.5, focus[1])
    track = media_track(spec.shots, size, spec.fps, talker.frame_count, shades, focus)
    if talker.rig is not None:
        head, thumbnail = lipsync_head(
            talker.rig, layout, backdrop_of(spec, layout), talker.visemes, spec.fps, seed=spec.motion_seed
        )
    else:
        portrait = talker.portrait.resize(layout.portrait.size, Image.Resampling.LANCZOS)
        picture = Image.new("RGBA", bubble.size, (*rgb(spec.background_color), 255))
        picture.alpha_composite(portrait, (layout.portrait.x - bubble.x, layout.portrait.y - bubble.y))
        in_bubble = Box(layout.portrait.x - bubble.x, layout.portrait.y - bubble.y, *layout.portrait.size)
        head, thumbnail = loudness_avatar(
            picture.convert("RGB"), in_bubble, talker.levels, talker.mouth_center, name="bubble"
        )
        head.position = (bubble.x, bubble.y)
    head.fixed = [Layer(name="ring", image=ring(bubble.width, RING_COLOR), position=(0, 0), transparent=True)]
    head.mask = disc_mask(bubble.width)
    track.layers.append(head)
    overlays = [layer for layer in (_logo_layer(logo, layout), _headline(spec, layout, talker.frame_count)) if layer]
    return Scene(track, talker.frame_count, thumbnail, overlays=overlays)


def _headline(spec: RenderSpec, layout: Layout, frame_count: int) -> Layer | None:
    """The headline as an overlay: for the whole reel, or for the opening HOOK_SECONDS."""
    if not spec.headline.strip():
        return None
    color = accent_of(spec.background_color, spec.accent_color)
    picture, position = boxed_text(spec.headline, layout.headline, min(spec.width, spec.height), color)
    shown = None if layout.headline_whole_reel else (0, min(frame_count, math.ceil(HOOK_SECONDS * spec.fps)))
    return Layer(name="headline", image=picture, position=position, transparent=True, shown=shown)


def _logo_layer(logo: Image.Image | None, layout: Layout) -> Layer | None:
    if logo is None or layout.logo is None:
        return None
    picture = logo.resize(layout.logo.size, Image.Resampling.LANCZOS)
    return Layer(name="logo", image=picture, position=(layout.logo.x, layout.logo.y), transparent=True)


def _end_card(spec: RenderSpec, logo: Image.Image | None) -> Image.Image:
    return end_card_picture(
        (spec.width, spec.height),
        spec.background_color,
        accent_of(spec.background_color, spec.accent_color),
        spec.end_card.text,
        logo,
    )
