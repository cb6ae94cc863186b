"""The starter avatars as lip-sync rigs: readable, seamless on the base, and a distinct face per sound."""

from __future__ import annotations

import functools
import io
import itertools

import numpy as np
import pytest
from PIL import Image

from ai_studio.generation.rig import EYE_SHAPES, Rig, compose, read_rig, rig_zip_bytes
from ai_studio.generation.visemes import SHAPES
from ai_studio.seeding.portraits import MOUTH_INSIDE, PORTRAIT_SIZE, PortraitStyle, draw_portrait, draw_rig, rig_zip
from ai_studio.seeding.starter_catalog import AVATARS

STYLES = {avatar["slug"]: avatar["portrait"] for avatar in AVATARS}
VISIBLE = 24  # levels (on any channel) a change needs to be seen at a glance


@functools.cache
def rig_of(slug: str) -> Rig:
    """The avatar's rig as the worker gets it: zipped, then read back and validated."""
    return read_rig(io.BytesIO(rig_zip(STYLES[slug])))


def pixels(image: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """RGB values under ``box`` (left, top, width, height), as ints."""
    left, top, width, height = box
    return np.asarray(image.convert("RGB").crop((left, top, left + width, top + height))).astype(int)


def mouth_area(rig: Rig) -> np.ndarray:
    """Where the mouth sprites are opaque: the part of the box a mouth shape may change."""
    return np.asarray(rig.mouths["rest"].getchannel("A")) >= 128


def inside_pixels(rig: Rig, shape: str) -> int:
    """How many pixels of the open mouth's dark inside show with ``shape``."""
    frame = pixels(compose(rig, shape), rig.mouth_box())[mouth_area(rig)]
    return int((np.abs(frame - np.array(MOUTH_INSIDE)).max(axis=1) <= 10).sum())


def test_the_catalog_has_avatars_to_rig():
    assert len(STYLES) == len(AVATARS) >= 8
    assert all(isinstance(style, PortraitStyle) for style in STYLES.values())


@pytest.mark.parametrize("slug", STYLES)
def test_the_base_is_the_portrait_and_every_sprite_is_transparent_at_the_corners(slug):
    rig = rig_of(slug)
    assert rig.base.mode == "RGBA"
    assert np.array_equal(
        pixels(rig.base, (0, 0, *rig.base.size)), pixels(draw_portrait(STYLES[slug]), (0, 0, *PORTRAIT_SIZE))
    )
    assert set(rig.mouths) == set(SHAPES) and set(rig.eyes) == set(EYE_SHAPES) and rig.blinks
    for name, sprite in [*rig.mouths.items(), *rig.eyes.items()]:
        assert sprite.mode == "RGBA", name
        width, height = sprite.size
        corners = [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]
        assert [sprite.getpixel(corner)[3] for corner in corners] == [0, 0, 0, 0], name


@pytest.mark.parametrize("slug", STYLES)
def test_the_rest_mouth_and_open_eyes_are_the_base(slug):
    rig = rig_of(slug)
    whole = (0, 0, *rig.base.size)
    assert np.abs(pixels(compose(rig, "rest"), whole) - pixels(rig.base, whole)).max() <= 2


@pytest.mark.parametrize("slug", ["maya", "marcus"])  # marcus wears glasses, which stay on top of the lids
def test_a_sprite_on_the_base_is_the_portrait_drawn_with_that_face(slug):
    """Nothing a shape changes lies outside its sprite's opaque part: no ghost of the resting mouth."""
    rig, style = rig_of(slug), STYLES[slug]
    whole = (0, 0, *rig.base.size)
    for shape in SHAPES:
        expected = pixels(draw_portrait(style, mouth=shape), whole)
        assert np.abs(pixels(compose(rig, shape), whole) - expected).max() <= 2, shape
    for state in EYE_SHAPES:
        expected = pixels(draw_portrait(style, eyes=state), whole)
        assert np.abs(pixels(compose(rig, "rest", state), whole) - expected).max() <= 2, state


@pytest.mark.parametrize("slug", STYLES)
def test_every_mouth_shape_looks_different_from_every_other(slug):
    rig = rig_of(slug)
    area = mouth_area(rig)
    faces = {shape: pixels(compose(rig, shape), rig.mouth_box())[area] for shape in SHAPES}
    _, _, width, height = rig.mouth_box()
    for first, second in itertools.combinations(SHAPES, 2):
        visibly_changed = (np.abs(faces[first] - faces[second]).max(axis=1) > VISIBLE).sum()
        # Even on the darkest skin, where lips are close to the skin's colour, 2% of the box changes.
        assert visibly_changed >= 0.02 * width * height, (first, second, visibly_changed)


@pytest.mark.parametrize("slug", STYLES)
def test_closed_lips_show_no_inside_and_the_open_jaw_shows_the_most(slug):
    rig = rig_of(slug)
    inside = {shape: inside_pixels(rig, shape) for shape in SHAPES}
    widest = inside["a"]
    assert widest > 1000  # at 600x800: a big dark opening
    for closed in ("rest", "mbp", "fv"):
        assert inside[closed] <= 0.01 * widest, (closed, inside)
    assert all(count < widest for shape, count in inside.items() if shape != "a"), inside
    # Rounded lips: "uw" a small hole, "o" a bigger one; the open vowels show more than the near-closed consonants.
    assert 0 < inside["uw"] < inside["o"] / 2
    assert inside["e"] > inside["cdgknst"] and inside["o"] > inside["shr"]


@pytest.mark.parametrize("slug", STYLES)
def test_eyelids_cover_the_eye_whites(slug):
    rig = rig_of(slug)
    eyes_box = rig.eyes_box()
    open_eyes = pixels(rig.base, eyes_box)
    whites = open_eyes.min(axis=-1) > 235
    assert whites.sum() > 600  # at 600x800: both eye whites (and catch-lights)

    # The skin just below the eyes, lit (and behind the lenses) as the lids are.
    rows, columns = np.nonzero(whites)
    skin = np.median(open_eyes[rows.max() + 5, np.unique(columns)], axis=0)

    closed = pixels(compose(rig, "rest", "closed"), eyes_box)
    assert not (closed[whites].min(axis=-1) > 235).any()  # no white left
    # Above the eyes' middle there is only lid (the lash line runs lower): skin, shaded a little.
    upper_whites = whites & (np.arange(whites.shape[0])[:, None] < (rows.min() + rows.max()) // 2)
    skin_coloured = np.abs(closed[upper_whites] - skin).max(axis=-1) <= 24
    assert skin_coloured.mean() > 0.97, skin_coloured.mean()

    half = pixels(compose(rig, "rest", "half"), eyes_box)[whites]
    still_white = (half.min(axis=-1) > 235).mean()
    assert 0.25 < still_white < 0.75  # the upper lid covers the top of the eye, down to mid-iris


@pytest.mark.parametrize("size", [(300, 400), (301, 403)])
def test_rigs_at_other_sizes_place_the_sprites_on_the_same_features(size):
    style = STYLES["ethan"]
    rig = read_rig(io.BytesIO(rig_zip_bytes(draw_rig(style, size))))
    width, height = size
    assert rig.base.size == size
    assert rig.mouth_anchor == (round(width / 2), round(height * 0.72))
    assert rig.eyes_anchor == (round(width / 2), round(height * 446 / 800))
    whole = (0, 0, *size)
    assert np.array_equal(pixels(rig.base, whole), pixels(draw_portrait(style, size), whole))
    assert np.abs(pixels(compose(rig, "rest"), whole) - pixels(rig.base, whole)).max() <= 2
    expected = pixels(draw_portrait(style, size, mouth="a", eyes="closed"), whole)
    assert np.abs(pixels(compose(rig, "a", "closed"), whole) - expected).max() <= 2
