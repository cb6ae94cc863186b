"""Portrait + voice + captions -> a talking-avatar MP4 (H.264/AAC) and a JPEG thumbnail.

Everything that does not move (background, accent glow, the portrait card, the logo) is
composed once with Pillow into a single still. The only moving part is the mouth: a small
sprite sheet holds the mouth region at each openness level, and ``sendcmd`` moves a ``crop``
window over it frame by frame, driven by the voice's loudness. Both stills are decoded once
and repeated with the ``loop`` filter, so ffmpeg's per-frame work is one small overlay, the
captions and the encode. The thumbnail is composed from the same still and sprites with
Pillow (captions left out), which costs milliseconds instead of a second decode.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import (
    Image,
    ImageChops,
    ImageColor,
    ImageDraw,
    ImageOps,
    UnidentifiedImageError,
)

from .captions import FONT_DIR, to_ass
from .ffmpeg import RenderError, probe, run_ffmpeg
from .loudness import mouth_levels_for_wav
from .types import RenderResult, RenderSpec

# RenderError is re-exported: callers of render_video catch it from here.
__all__ = ["RenderError", "render_video"]

VIDEO_NAME = "video.mp4"
THUMBNAIL_NAME = "thumbnail.jpg"
MOUTH_LEVELS = 5  # closed + four openings
# Where the mouth is in the portrait, as fractions of its width and height.
DEFAULT_MOUTH_CENTER = (0.5, 0.72)

# Layout, as fractions of the frame.
PORTRAIT_MAX_WIDTH = 0.78
PORTRAIT_MAX_HEIGHT = 0.70
LOGO_MAX_WIDTH = 0.16
LOGO_MAX_HEIGHT = 0.08
MARGIN = 0.04  # of the frame's short side
CORNER_RADIUS = 0.05  # of the portrait's width
GLOW_RADIUS = 1.0  # of the portrait's larger side
GLOW_STRENGTH = 0.45  # accent colour's share at the glow's centre
BACKGROUND_DOWNSCALE = 8

# Mouth geometry, as fractions of the portrait's width.
MOUTH_WIDTH = 0.17
MOUTH_MAX_OPENING = 0.08
SUPERSAMPLING = 4  # shapes are drawn this much larger and scaled down: smooth edges
LIP_COLOR_FACTORS = (0.72, 0.42, 0.45)  # the skin around the mouth, darker and redder
MOUTH_INSIDE_COLOR = (40, 10, 14)
TEETH_COLOR = (236, 232, 222)
TONGUE_COLOR = (168, 62, 72)

# Everything but the mouth and the captions is still, so subpixel motion search finds nothing;
# turning it off saves ~15% of the encode's CPU at any preset for a ~3% larger file.
X264_PARAMS = "subme=0"
AUDIO_BITRATE = "128k"
# What social platforms expect; the voice is often 22.05 kHz.
AUDIO_SAMPLE_RATE = "48000"

# Names inside the scratch folder. BMP: read back once a moment later, so not worth compressing.
STILL = "still.bmp"
MOUTH_SPRITES = "mouths.bmp"
MOUTH_COMMANDS = "mouths.cmd"
CAPTIONS = "captions.ass"
FILTER_GRAPH = "graph.txt"

# Generous: a normal render takes ~0.2 s per second of video; a hung ffmpeg must not block a
# worker forever.
FFMPEG_TIMEOUT_BASE = 60.0
FFMPEG_TIMEOUT_PER_SECOND = 4.0

THUMBNAIL_AT = 1 / 3  # of the duration
THUMBNAIL_QUALITY = 90


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


@dataclass(frozen=True)
class Mouth:
    """Where the mouth is drawn, in frame pixels."""

    box: Box  # the region the sprites replace: the widest mouth plus room for smooth edges
    center_x: float
    lip_line: float  # y of the closed mouth; an opening mouth grows mostly below it (the jaw drops)
    width: float
    max_opening: float


@dataclass(frozen=True)
class Layout:
    portrait: Box  # where the scaled portrait sits in the frame
    mouth: Mouth
    logo: Box | None


def render_video(
    spec: RenderSpec,
    workdir: Path,
    preset: str = "veryfast",
    crf: int = 23,
    *,
    mouth_center: tuple[float, float] = DEFAULT_MOUTH_CENTER,
) -> RenderResult:
    """Render ``spec`` to ``workdir/video.mp4`` and ``workdir/thumbnail.jpg``.

    ``mouth_center`` is where the mouth is in the portrait, as fractions of its size.
    Raises RenderError with a stable ``code`` for bad inputs and ffmpeg failures.
    """
    _check_spec(spec)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    video_path, thumbnail_path = workdir / VIDEO_NAME, workdir / THUMBNAIL_NAME
    scratch = Path(tempfile.mkdtemp(prefix="render-", dir=workdir))
    try:
        levels = _mouth_levels(spec)
        inputs = _prepare_inputs(spec, scratch, levels, mouth_center, thumbnail_path)
        (scratch / FILTER_GRAPH).write_text(_filter_graph(spec, inputs))
        args = _ffmpeg_args(spec, video_path, preset, crf)
        # Relative input names inside the graph need no escaping: run in the scratch folder.
        timeout = FFMPEG_TIMEOUT_BASE + FFMPEG_TIMEOUT_PER_SECOND * spec.audio_duration
        run_ffmpeg(args, cwd=scratch, timeout=timeout)
        return _result(video_path, thumbnail_path)
    except BaseException:
        video_path.unlink(missing_ok=True)
        thumbnail_path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedInputs:
    """What ``_prepare_inputs`` wrote to the scratch folder, as the filter graph needs it."""

    layout: Layout
    first_crop_y: int  # the sprite shown on the first frame
    mouth_moves: bool  # False when the mouth never changes (a silent clip): no sendcmd
    fonts_dir: Path | None  # set when there are captions to burn in


def _check_spec(spec: RenderSpec) -> None:
    if not Path(spec.portrait_path).is_file():
        raise RenderError(
            "portrait_missing", f"portrait not found: {spec.portrait_path}"
        )
    if not Path(spec.audio_path).is_file():
        raise RenderError("audio_missing", f"audio not found: {spec.audio_path}")
    if spec.logo_path is not None and not Path(spec.logo_path).is_file():
        raise RenderError("logo_missing", f"logo not found: {spec.logo_path}")
    if spec.width <= 0 or spec.height <= 0 or spec.width % 2 or spec.height % 2:
        raise RenderError(
            "invalid_spec", f"frame size must be even: {spec.width}x{spec.height}"
        )
    if spec.fps <= 0 or not spec.audio_duration > 0:
        raise RenderError(
            "invalid_spec", f"fps {spec.fps}, duration {spec.audio_duration}"
        )
    if spec.framing not in ("center", "bottom"):
        raise RenderError("invalid_spec", f"unknown framing: {spec.framing!r}")
    for color in (spec.background_color, spec.accent_color):
        if color is not None:
            _rgb(color)


def _rgb(color: str) -> tuple[int, int, int]:
    try:
        return ImageColor.getrgb(color)[:3]
    except ValueError as exc:
        raise RenderError("invalid_spec", f"not a colour: {color!r}") from exc


def _open_image(path: Path, code: str, long_side: int) -> Image.Image:
    """Decode an image upright (phone photos carry their rotation in EXIF) as RGBA."""
    try:
        with Image.open(path) as image:
            # A JPEG can decode at 1/2, 1/4 or 1/8 scale, still covering long_side x long_side
            # in any orientation: several times faster for large photos.
            image.draft(None, (long_side, long_side))
            return ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as exc:
        raise RenderError(code, f"cannot read image {path}: {exc}") from exc


def _mouth_levels(spec: RenderSpec) -> np.ndarray:
    try:
        return mouth_levels_for_wav(Path(spec.audio_path), spec.fps, MOUTH_LEVELS)
    except (wave.Error, EOFError, ValueError) as exc:
        raise RenderError(
            "audio_unreadable", f"not a PCM WAV: {spec.audio_path}: {exc}"
        ) from exc


def _prepare_inputs(
    spec: RenderSpec,
    scratch: Path,
    levels: np.ndarray,
    mouth_center: tuple[float, float],
    thumbnail_path: Path,
) -> PreparedInputs:
    """Write the still, the mouth sprite sheet, the mouth commands, the captions and the
    thumbnail."""
    long_side = max(spec.width, spec.height)
    portrait = _open_image(Path(spec.portrait_path), "portrait_unreadable", long_side)
    logo = (
        _open_image(Path(spec.logo_path), "logo_unreadable", long_side)
        if spec.logo_path
        else None
    )
    layout = plan_layout(spec, portrait.size, logo.size if logo else None, mouth_center)
    still = compose_still(spec, layout, portrait, logo)
    still.save(scratch / STILL)
    sprites = mouth_sprite_sheet(still, layout.mouth)
    sprites.save(scratch / MOUTH_SPRITES)
    thumbnail = compose_frame(
        still, sprites, layout.mouth.box, int(levels[_thumbnail_frame(levels)])
    )
    thumbnail.save(thumbnail_path, "JPEG", quality=THUMBNAIL_QUALITY)
    commands = mouth_commands(levels, layout.mouth.box.height, spec.fps)
    (scratch / MOUTH_COMMANDS).write_text(commands)
    fonts_dir = _write_captions(spec, scratch / CAPTIONS) if spec.cues else None
    return PreparedInputs(
        layout=layout,
        first_crop_y=int(levels[0]) * layout.mouth.box.height,
        mouth_moves=bool(commands.strip()),
        fonts_dir=fonts_dir,
    )


def _write_captions(spec: RenderSpec, path: Path) -> Path:
    """Write the cues as ASS subtitles; return the folder holding the fonts they use."""
    path.write_text(
        to_ass(spec.cues, spec.caption_style, spec.width, spec.height), "utf-8"
    )
    return Path(FONT_DIR)


# --- layout and stills --------------------------------------------------------------------


def _even(value: float) -> int:
    """Nearest even integer: yuv420p planes need even sizes and offsets."""
    return round(value / 2) * 2


def _fit(size: tuple[int, int], max_width: float, max_height: float) -> tuple[int, int]:
    scale = min(max_width / size[0], max_height / size[1])
    return max(2, _even(size[0] * scale)), max(2, _even(size[1] * scale))


def plan_layout(
    spec: RenderSpec,
    portrait_size: tuple[int, int],
    logo_size: tuple[int, int] | None,
    mouth_center: tuple[float, float] = DEFAULT_MOUTH_CENTER,
) -> Layout:
    """Where the portrait, its mouth and the logo go in a ``spec.width`` x ``spec.height`` frame."""
    width, height = spec.width, spec.height
    margin = _even(MARGIN * min(width, height))
    pw, ph = _fit(
        portrait_size, PORTRAIT_MAX_WIDTH * width, PORTRAIT_MAX_HEIGHT * height
    )
    px = _even((width - pw) / 2)
    py = height - ph if spec.framing == "bottom" else _even((height - ph) / 2)
    portrait = Box(px, py, pw, ph)

    logo = None
    if logo_size:
        lw, lh = _fit(logo_size, LOGO_MAX_WIDTH * width, LOGO_MAX_HEIGHT * height)
        logo = Box(width - margin - lw, margin, lw, lh)
    return Layout(portrait, _place_mouth(portrait, mouth_center, width, height), logo)


def _place_mouth(
    portrait: Box, center: tuple[float, float], width: int, height: int
) -> Mouth:
    mouth_width = MOUTH_WIDTH * portrait.width
    max_opening = MOUTH_MAX_OPENING * portrait.width
    cx = portrait.x + center[0] * portrait.width
    lip_line = portrait.y + center[1] * portrait.height
    # Margins hold the widest mouth with its lips (see _draw_open_mouth) and a few pixels more.
    left = max(0, _even(cx - 0.65 * mouth_width))
    right = min(width, _even(cx + 0.65 * mouth_width))
    top = max(0, _even(lip_line - 0.45 * max_opening))
    bottom = min(height, _even(lip_line + 1.2 * max_opening))
    box = Box(left, top, max(2, right - left), max(2, bottom - top))
    return Mouth(box, cx, lip_line, mouth_width, max_opening)


def compose_still(
    spec: RenderSpec, layout: Layout, portrait: Image.Image, logo: Image.Image | None
) -> Image.Image:
    """The frame without captions and with the mouth closed, as an RGB image."""
    frame = _background(spec, layout)
    card = portrait.resize(layout.portrait.size, Image.Resampling.LANCZOS)
    _round_corners(card, bottom=spec.framing != "bottom")
    frame.alpha_composite(card, (layout.portrait.x, layout.portrait.y))
    if logo is not None and layout.logo is not None:
        mark = logo.resize(layout.logo.size, Image.Resampling.LANCZOS)
        frame.alpha_composite(mark, (layout.logo.x, layout.logo.y))
    return frame.convert("RGB")


def _round_corners(card: Image.Image, bottom: bool) -> None:
    """Round the card's corners (not the bottom ones when it stands on the frame's edge)."""
    s = SUPERSAMPLING
    width, height = card.size
    mask = Image.new("L", (width * s, height * s), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, width * s - 1, height * s - 1),
        radius=CORNER_RADIUS * width * s,
        fill=255,
        corners=(True, True, bottom, bottom),
    )
    mask = mask.resize(card.size, Image.Resampling.BOX)
    card.putalpha(ImageChops.multiply(card.getchannel("A"), mask))


def _background(spec: RenderSpec, layout: Layout) -> Image.Image:
    """A vertical gradient of the background colour with a soft accent glow behind the portrait.

    Both are smooth, so they are computed at 1/BACKGROUND_DOWNSCALE of the size and scaled up.
    """
    width = max(1, spec.width // BACKGROUND_DOWNSCALE)
    height = max(1, spec.height // BACKGROUND_DOWNSCALE)
    scale_x, scale_y = width / spec.width, height / spec.height
    base = np.array(_rgb(spec.background_color), dtype=np.float32)
    accent = np.array(
        _rgb(spec.accent_color) if spec.accent_color else _lighter(base),
        dtype=np.float32,
    )
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    # Top slightly lighter, bottom slightly darker: depth without drawing attention.
    gradient = base * (1.12 - 0.3 * rows)
    ys, xs = np.ogrid[:height, :width]
    cx = (layout.portrait.x + layout.portrait.width / 2) * scale_x
    cy = (layout.portrait.y + layout.portrait.height / 2) * scale_y
    radius = GLOW_RADIUS * max(
        layout.portrait.width * scale_x, layout.portrait.height * scale_y
    )
    distance = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2, dtype=np.float32) / radius
    glow = (GLOW_STRENGTH * np.clip(1.0 - distance, 0.0, 1.0) ** 1.5)[:, :, None]
    pixels = np.clip(gradient * (1.0 - glow) + accent * glow, 0, 255).astype(np.uint8)
    small = Image.fromarray(pixels, "RGB")
    return small.resize((spec.width, spec.height), Image.Resampling.BILINEAR).convert(
        "RGBA"
    )


def _lighter(rgb: np.ndarray) -> tuple[int, int, int]:
    return tuple(int(v) for v in np.clip(rgb + 0.35 * (255 - rgb), 0, 255))


# --- the talking mouth --------------------------------------------------------------------


def mouth_sprite_sheet(still: Image.Image, mouth: Mouth) -> Image.Image:
    """The mouth region at each openness level, stacked top (closed) to bottom (widest).

    Level 0 is the untouched region, so a closed mouth looks exactly like the portrait.
    """
    box = mouth.box
    closed = still.crop((box.x, box.y, box.x + box.width, box.y + box.height))
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
    return tuple(
        int(channel * factor)
        for channel, factor in zip(mean, LIP_COLOR_FACTORS, strict=True)
    )


def _draw_open_mouth(
    tile: Image.Image, mouth: Mouth, openness: float, lip_color: tuple[int, int, int]
) -> None:
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
    draw.ellipse(
        (cx - half_width - lip, top - lip, cx + half_width + lip, bottom + lip),
        fill=(*lip_color, 255),
    )
    draw.ellipse(cavity, fill=(*MOUTH_INSIDE_COLOR, 255))
    if openness >= 0.5:  # narrower openings are too small to show teeth
        layer.alpha_composite(_teeth_and_tongue(layer.size, cavity, openness))
    small = layer.resize(tile.size, Image.Resampling.LANCZOS)
    tile.paste(small, (0, 0), small)


def _teeth_and_tongue(
    size: tuple[int, int], cavity: tuple[float, float, float, float], openness: float
) -> Image.Image:
    """Upper teeth and the tongue, clipped to the mouth opening."""
    left, top, right, bottom = cavity
    height, cx = bottom - top, (left + right) / 2
    tongue_half_width = (right - left) * 0.275
    inside = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(inside)
    draw.rectangle((left, top, right, top + 0.22 * height), fill=(*TEETH_COLOR, 255))
    draw.ellipse(
        (
            cx - tongue_half_width,
            bottom - 0.45 * openness * height,
            cx + tongue_half_width,
            bottom + 0.3 * height,
        ),
        fill=(*TONGUE_COLOR, 255),
    )
    opening = Image.new("L", size, 0)
    ImageDraw.Draw(opening).ellipse(cavity, fill=255)
    inside.putalpha(ImageChops.multiply(inside.getchannel("A"), opening))
    return inside


def mouth_commands(levels: np.ndarray, tile_height: int, fps: int) -> str:
    """``sendcmd`` script moving the sprite crop window whenever the mouth level changes.

    A change for frame n is scheduled at (n - 0.5) / fps, half a frame early, so timestamp
    rounding can never shift it onto the neighbouring frame.
    """
    lines = [
        f"{(frame - 0.5) / fps:.4f} crop@mouth y {int(levels[frame]) * tile_height};"
        for frame in range(1, len(levels))
        if levels[frame] != levels[frame - 1]
    ]
    return "\n".join(lines) + "\n"


def _thumbnail_frame(levels: np.ndarray) -> int:
    """A frame about a third of the way in, mid-word: the first one from there on with the
    mouth half open (talking, not gaping), else simply the frame at a third."""
    target = int(len(levels) * THUMBNAIL_AT)
    talking = np.flatnonzero(levels[target:] == MOUTH_LEVELS // 2)
    return target + int(talking[0]) if len(talking) else target


def compose_frame(
    still: Image.Image, sprites: Image.Image, mouth: Box, level: int
) -> Image.Image:
    """The video frame, captions aside, with the mouth at ``level``."""
    frame = still.copy()
    top = level * mouth.height
    frame.paste(
        sprites.crop((0, top, mouth.width, top + mouth.height)), (mouth.x, mouth.y)
    )
    return frame


# --- ffmpeg -------------------------------------------------------------------------------


def _filter_graph(spec: RenderSpec, inputs: PreparedInputs) -> str:
    """Still + moving mouth -> captions -> the video."""
    repeat = f"loop=loop=-1:size=1:start=0,settb=1/{spec.fps},setpts=N"
    sendcmd = f"sendcmd=filename={MOUTH_COMMANDS}," if inputs.mouth_moves else ""
    mouth = inputs.layout.mouth.box
    captions = (
        f",ass=filename={CAPTIONS}:fontsdir={escape_filter_value(str(inputs.fonts_dir))}"
        if inputs.fonts_dir
        else ""
    )
    chains = [
        # Convert before looping: the conversion then happens once, not once per frame.
        f"[0:v]format=yuv420p,{repeat}[still]",
        (
            f"[1:v]format=yuv420p,{repeat},{sendcmd}"
            f"crop@mouth=w={mouth.width}:h={mouth.height}:x=0:y={inputs.first_crop_y}[mouth]"
        ),
        f"[still][mouth]overlay=x={mouth.x}:y={mouth.y}{captions}[video]",
    ]
    return ";\n".join(chains) + "\n"


def escape_filter_value(value: str) -> str:
    """Escape an option value for a filter graph: once for the option, once for the graph."""
    option_level = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", option_level)


def _ffmpeg_args(
    spec: RenderSpec, video_path: Path, preset: str, crf: int
) -> list[str]:
    audio = str(Path(spec.audio_path).resolve())
    # fmt: off
    return [
        "-y", "-loglevel", "warning",
        "-i", STILL, "-i", MOUTH_SPRITES, "-i", audio,
        "-/filter_complex", FILTER_GRAPH,
        "-map", "[video]", "-map", "2:a",
        # The looped stills never end: -t bounds the video to the voice (-shortest overshoots
        # and buffers), and -r makes the frame rate exact.
        "-t", f"{spec.audio_duration:.3f}", "-r", str(spec.fps),
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-x264-params", X264_PARAMS,
        "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", AUDIO_SAMPLE_RATE,
        "-movflags", "+faststart",
        str(video_path.resolve()),
    ]
    # fmt: on


def _result(video_path: Path, thumbnail_path: Path) -> RenderResult:
    info = probe(video_path)
    return RenderResult(
        video_path=video_path,
        thumbnail_path=thumbnail_path,
        duration=info["duration"] or 0.0,
        width=info["width"] or 0,
        height=info["height"] or 0,
        fps=round(info["fps"] or 0),
        video_codec=info["video_codec"] or "",
        audio_codec=info["audio_codec"] or "",
        size_bytes=video_path.stat().st_size,
    )
