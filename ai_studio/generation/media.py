"""The scenes' media: when each scene starts, and the layers that show its picture or clip.

A scene starts on its first word: the words are counted with the speech package's own
splitting, so the n-th word of the script is the n-th timing the speech stage reports. It cuts
in on the frame nearest that word's start.

A still pans slowly sideways: it is scaled once to cover the frame and PAN more of its width,
and a window of the frame's size crosses it (a ``crop`` moved by ``sendcmd`` in whole even
pixels, easing in and out): no per-frame scaling. Scrims darkening the top and bottom for the
text are baked into the still: they only change from top to bottom, so the sideways pan leaves
them in place. A clip plays muted from its start, looped when shorter than its scene, scaled to
cover the frame and cropped centred; the scrims lie on it.

Covering the frame never cuts away more than 1 - KEEP of the media's width or height: media whose
shape is far from the frame's (a landscape product shot in a vertical reel) is scaled only that
far, centred on the layout's ``focus`` (clear of the headline and the avatar), and a blurred,
darkened copy of itself fills the rest of the frame. A clip is then a stacked layer over a still
made from its first frame.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageFilter

from .errors import GenerationError
from .ffmpeg import RenderError, extract_frame, probe
from .layout import even
from .scene import Layer, Segment
from .speech.text import script_words
from .stills import cover, open_image
from .types import SceneMedia, Shot, WordTiming

PAN = 0.12  # the pan's travel, as a share of the frame's width
MEDIA_KINDS = ("image", "video")
KEEP = 0.58  # the least share of the media's width and height the frame shows
BACKING_DARKEN = 0.45  # the blurred copy behind fitted media: this much darker
BACKING_BLUR = 0.02  # of the frame's short side


def scene_shots(scenes: Sequence[SceneMedia], words: Sequence[WordTiming]) -> list[Shot]:
    """Each scene's media from the start of its first word (the first scene from 0).

    ``words`` are the speech's word timings for the script " ".join(scene.text for scene in
    scenes); GenerationError("scenes_mismatch") if they do not hold the scenes' words.
    """
    counts = [len(script_words(scene.text)) for scene in scenes]
    if sum(counts) != len(words):
        raise GenerationError(
            "scenes_mismatch", f"the scenes hold {sum(counts)} words, the speech {len(words)}"
        )
    shots, first_word = [], 0
    for scene, count in zip(scenes, counts, strict=True):
        if scene.kind not in MEDIA_KINDS:
            raise GenerationError("invalid_request", f"unknown media kind: {scene.kind!r}")
        start = words[first_word].start if shots and first_word < len(words) else 0.0
        shots.append(Shot(start, Path(scene.media_path), scene.kind))
        first_word += count
    return shots


def shot_frames(shots: Sequence[Shot], fps: int, frame_count: int) -> list[tuple[Shot, int]]:
    """Each shot with the number of frames it shows: from the frame nearest its start to the
    next shot's. A shot no frame would show is left out."""
    cuts = [0]
    for shot in shots[1:]:
        cuts.append(min(frame_count, max(cuts[-1], round(shot.start * fps))))
    ends = [*cuts[1:], frame_count]
    return [(shot, end - start) for shot, start, end in zip(shots, cuts, ends, strict=True) if end > start]


def media_track(
    shots: Sequence[Shot],
    size: tuple[int, int],
    fps: int,
    frame_count: int,
    scrims: Image.Image | None,
    focus: tuple[float, float] = (0.5, 0.5),
) -> Layer:
    """A layer of ``size`` showing each shot's media in turn for ``frame_count`` frames, with
    ``scrims`` (RGBA, of ``size``, transparent but for top and bottom bands) on top; media shown
    whole is centred on ``focus`` (fractions of the frame)."""
    segments = []
    for index, (shot, frames) in enumerate(shot_frames(shots, fps, frame_count)):
        name = f"shot{index}"
        if shot.kind == "video":
            layer = clip_layer(name, shot.media_path, size, scrims, focus)
        else:
            layer = still_layer(name, shot.media_path, size, frames, scrims, focus, leftwards=index % 2 == 1)
        segments.append(Segment(layer, frames))
    # The picture is the segments': this image only gives the layer its size.
    return Layer(name="media", image=Image.new("RGB", size), position=(0, 0), segments=segments)


def still_layer(
    name: str,
    path: Path,
    size: tuple[int, int],
    frames: int,
    scrims: Image.Image | None,
    focus: tuple[float, float] = (0.5, 0.5),
    leftwards: bool = False,
) -> Layer:
    """A still panning sideways across ``frames`` frames (right to left if ``leftwards``)."""
    width, height = size
    travel = even(PAN * width)
    image = open_image(Path(path), "media_unreadable", max(width + travel, height))
    wide = _shown(image, (width + travel, height), focus)
    if scrims is not None:
        wide.alpha_composite(scrims.resize(wide.size, Image.Resampling.NEAREST))
    offsets = [even(travel * _eased(frame / max(1, frames - 1))) for frame in range(frames)]
    if leftwards:
        offsets = [travel - offset for offset in offsets]
    return Layer(name=name, image=wide.convert("RGB"), position=(0, 0), size=size, windows=[(x, 0) for x in offsets])


def clip_layer(
    name: str, path: Path, size: tuple[int, int], scrims: Image.Image | None, focus: tuple[float, float] = (0.5, 0.5)
) -> Layer:
    """A clip covering ``size`` (its first frame, as shown, is the layer's image), or, too far
    from the frame's shape, over a still of its first frame blurred."""
    path = Path(path)
    if not path.is_file():
        raise RenderError("media_missing", f"media not found: {path}")
    if probe(path)["video_codec"] is None:
        raise RenderError("media_unreadable", f"not a video: {path}")
    with tempfile.TemporaryDirectory(prefix="poster-") as folder:
        poster_path = extract_frame(path, 0.0, Path(folder) / "poster.png")
        first = open_image(poster_path, "media_unreadable", max(size))
    placed = _placed(first.size, size, focus)
    if placed is None:
        poster = cover(first, size).convert("RGB")
        return Layer(name=name, image=poster, position=(0, 0), clip=path, fixed=_scrim_strips(name, scrims))
    backing = _backing(first, size)
    if scrims is not None:
        backing.alpha_composite(scrims)
    x, y, shown = placed
    clip = Layer(name=f"{name}_clip", image=cover(first, shown).convert("RGB"), position=(x, y), clip=path)
    return Layer(name=name, image=backing.convert("RGB"), position=(0, 0), layers=[clip])


def _shown(image: Image.Image, size: tuple[int, int], focus: tuple[float, float]) -> Image.Image:
    """``image`` covering ``size``, or as far as KEEP allows over its blurred backing (RGBA)."""
    placed = _placed(image.size, size, focus)
    if placed is None:
        return cover(image, size).convert("RGBA")
    picture = _backing(image, size)
    x, y, shown = placed
    picture.alpha_composite(cover(image, shown).convert("RGBA"), (x, y))
    return picture


def _placed(
    image_size: tuple[int, int], size: tuple[int, int], focus: tuple[float, float]
) -> tuple[int, int, tuple[int, int]] | None:
    """Where the media's part the frame shows goes when covering would cut away too much: (x,
    y, (width, height)) of that part, centred on ``focus`` but inside the frame; None when
    covering keeps at least KEEP of its width and height."""
    cover_scale = max(size[0] / image_size[0], size[1] / image_size[1])
    scale = min(cover_scale, min(size[0] / image_size[0], size[1] / image_size[1]) / KEEP)
    if scale >= cover_scale * 0.999:
        return None
    width = min(size[0], max(2, even(image_size[0] * scale)))
    height = min(size[1], max(2, even(image_size[1] * scale)))
    x = min(max(0, even(focus[0] * size[0] - width / 2)), size[0] - width)
    y = min(max(0, even(focus[1] * size[1] - height / 2)), size[1] - height)
    return x, y, (width, height)


def _backing(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` covering ``size``, blurred and darkened (RGBA): behind media shown whole."""
    small = cover(image, (max(1, size[0] // 8), max(1, size[1] // 8))).convert("RGB")
    small = small.filter(ImageFilter.GaussianBlur(BACKING_BLUR * min(size) / 8))
    small = small.point(lambda value: round(value * (1 - BACKING_DARKEN)))
    return small.resize(size, Image.Resampling.BILINEAR).convert("RGBA")


def _scrim_strips(name: str, scrims: Image.Image | None) -> list[Layer]:
    """The scrims as patches on a clip: one per band of rows they darken."""
    if scrims is None:
        return []
    alpha = scrims.getchannel("A")
    rows = [y for y in range(scrims.height) if alpha.getpixel((0, y))]
    bands, patches = [], []
    for y in rows:
        if bands and y == bands[-1][1]:
            bands[-1][1] = y + 1
        else:
            bands.append([y, y + 1])
    for index, (top, bottom) in enumerate(bands):
        top, bottom = top - top % 2, min(scrims.height, bottom + bottom % 2)
        strip = scrims.crop((0, top, scrims.width, bottom))
        patches.append(Layer(name=f"{name}_scrim{index}", image=strip, position=(0, top), transparent=True))
    return patches


def _eased(t: float) -> float:
    """0 to 1, starting and ending gently."""
    return 0.5 - 0.5 * math.cos(math.pi * min(max(t, 0.0), 1.0))
