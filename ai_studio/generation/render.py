"""Portrait + voice + captions (+ the scenes' media) -> a talking-avatar MP4 (H.264/AAC) and a
JPEG thumbnail.

Everything that does not move is composed once with Pillow; ffmpeg then repeats those pictures
and animates windows over them (see ``scene.py``), laid out as the spec's layout says
(``layout.py``, ``looks.py``): presenter, product or card, a headline, an end card held after
the speech (the audio is padded with silence to the video's length). Two kinds of avatar:

- with a rig (``spec.rig``): mouth shapes follow the spoken phonemes, the eyes blink and the
  head moves gently (``lipsync.py``);
- a plain portrait: the mouth opens with the voice's loudness (``mouth_flap.py``).

The thumbnail is the scene's best frame composed with Pillow (captions left out), which costs
milliseconds instead of a second decode.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import wave
from pathlib import Path

import numpy as np
from PIL import Image

from .captions import FONT_DIR, ass_event_times, caption_height, to_ass
from .ffmpeg import RenderError, probe, run_ffmpeg
from .layout import Box, Layout, even, layout_name, plan_layout
from .looks import Talker, build_look
from .loudness import mouth_levels_for_wav
from .media import MEDIA_KINDS
from .memory import release_freed_memory
from .mouth_flap import DEFAULT_MOUTH_CENTER, MOUTH_LEVELS
from .render_spec import RenderSpec
from .scene import Input, Layer, Scene, compose_frame, filter_graph, write_inputs
from .stills import open_image, rgb
from .types import RenderResult
from .visemes import frame_visemes

# RenderError is re-exported: callers of render_video catch it from here.
__all__ = ["RenderError", "render_video"]

VIDEO_NAME = "video.mp4"
THUMBNAIL_NAME = "thumbnail.jpg"

# Most of the picture is still or moves by whole pixels: subpixel motion search finds little
# (subme=0: ~15% less CPU for a ~3% larger file) and the smallest search pattern finds the rest
# (me=dia: ~6% less). The 8x8 transform buys nothing on flat drawings and static backgrounds
# (8x8dct=0: ~9% less CPU, same PSNR, a 2% smaller file). No B-frames, no lookahead (so no
# mb-tree): ~20% less CPU on 2 cores for files ~30% larger, 1.5-4 MB for 30 s at 1080p. With no
# lookahead there is nothing for a threaded lookahead's frame buffer to hold ahead
# (sync-lookahead=0: the same bytes, ~7 MB less memory at 1080p).
X264_PARAMS = "subme=0:me=dia:8x8dct=0:bframes=0:rc-lookahead=0:mbtree=0:sync-lookahead=0"
# x264 keeps both cores busy; the filter graph's slice threads only add per-thread buffers (the
# same bytes, ~6 MB less memory at 1080p, no more CPU).
FILTER_THREADS = ["-filter_complex_threads", "1"]
# Up to 720p, frames are small enough that x264's frame threads mostly wait on each other:
# slices of one frame in parallel finish ~8% sooner there (and ~15% later at 1080p).
SLICED_THREADS_UP_TO_PIXELS = 1280 * 720
AUDIO_BITRATE = "128k"
# The default "twoloop" coder spends ~0.37 s on 30 s of voice, ~15% of a 720p render; "fast"
# takes 0.26 s, and at 128 kb/s for one voice nobody hears the difference.
AAC_CODER = "fast"
# What social platforms expect (the soundtrack already is).
AUDIO_SAMPLE_RATE = "48000"
AUDIO_ENCODING = ["-c:a", "aac", "-aac_coder", AAC_CODER, "-b:a", AUDIO_BITRATE, "-ar", AUDIO_SAMPLE_RATE]

CAPTIONS = "captions.ass"
FILTER_GRAPH = "graph.txt"

# Generous: a normal render takes ~0.2 s per second of video; a hung ffmpeg must not block a
# worker forever.
FFMPEG_TIMEOUT_BASE = 60.0
FFMPEG_TIMEOUT_PER_SECOND = 4.0

THUMBNAIL_QUALITY = 90
MAX_END_CARD_SECONDS = 10.0


def render_video(
    spec: RenderSpec,
    workdir: Path,
    preset: str = "veryfast",
    crf: int = 23,
    *,
    mouth_center: tuple[float, float] = DEFAULT_MOUTH_CENTER,
    threads: int = 0,
) -> RenderResult:
    """Render ``spec`` to ``workdir/video.mp4`` and ``workdir/thumbnail.jpg``.

    ``mouth_center`` is where the mouth is in a portrait without a rig, as fractions of its size.
    ``threads``: x264's threads (0: its own choice, see ``encode_args``).
    Raises RenderError with a stable ``code`` for bad inputs and ffmpeg failures.
    """
    _check_spec(spec)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    video_path, thumbnail_path = workdir / VIDEO_NAME, workdir / THUMBNAIL_NAME
    scratch = Path(tempfile.mkdtemp(prefix="render-", dir=workdir))
    try:
        scene, layout = plan_scene(spec, mouth_center)
        compose_frame(scene, scene.thumbnail_frame).save(thumbnail_path, "JPEG", quality=THUMBNAIL_QUALITY)
        if spec.cues:
            scene.overlays.append(_captions(spec, layout, scratch, scene.frame_count))
        write_inputs(scene, scratch, spec.fps)
        inputs, graph = filter_graph(scene, spec.fps)
        (scratch / FILTER_GRAPH).write_text(graph)
        args = encode_args(spec, inputs, scene.total_frames, video_path, preset, crf, threads)
        # Relative input names inside the graph need no escaping: run in the scratch folder.
        timeout = FFMPEG_TIMEOUT_BASE + FFMPEG_TIMEOUT_PER_SECOND * scene.total_frames / spec.fps
        # The pictures are in files now: the worker holds none of them while ffmpeg renders.
        del scene, layout
        release_freed_memory()
        run_ffmpeg(args, cwd=scratch, timeout=timeout)
        return _result(video_path, thumbnail_path)
    except BaseException:
        video_path.unlink(missing_ok=True)
        thumbnail_path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def frame_count(spec: RenderSpec) -> int:
    """How many frames the speech shows on: every frame that starts before the voice ends."""
    return max(1, math.ceil(spec.audio_duration * spec.fps - 1e-6))


def build_scene(spec: RenderSpec, mouth_center: tuple[float, float] = DEFAULT_MOUTH_CENTER) -> Scene:
    """What ffmpeg will compose for ``spec``: pictures, layers and their per-frame windows."""
    return plan_scene(spec, mouth_center)[0]


def plan_scene(spec: RenderSpec, mouth_center: tuple[float, float] = DEFAULT_MOUTH_CENTER) -> tuple[Scene, Layout]:
    """The scene (see ``build_scene``) and where its layout put things."""
    long_side = max(spec.width, spec.height)
    logo = open_image(Path(spec.logo_path), "logo_unreadable", long_side) if spec.logo_path else None
    logo_size = logo.size if logo else None
    frames = frame_count(spec)
    if spec.rig is not None:
        base_width, base_height = spec.rig.base.size
        mouth = (spec.rig.mouth_anchor[0] / base_width, spec.rig.mouth_anchor[1] / base_height)
        layout = plan_layout(spec, spec.rig.base.size, logo_size, mouth)
        talker = Talker(spec.rig, None, frame_visemes(spec.visemes, spec.fps, frames), np.zeros(0), mouth)
    else:
        portrait = open_image(Path(spec.portrait_path), "portrait_unreadable", long_side)
        layout = plan_layout(spec, portrait.size, logo_size, mouth_center)
        talker = Talker(None, portrait, [], _mouth_levels(spec, frames), mouth_center)
    return build_look(spec, layout, talker, logo), layout


def _check_spec(spec: RenderSpec) -> None:
    if spec.rig is None and not Path(spec.portrait_path).is_file():
        raise RenderError("portrait_missing", f"portrait not found: {spec.portrait_path}")
    if not Path(spec.audio_path).is_file():
        raise RenderError("audio_missing", f"audio not found: {spec.audio_path}")
    if spec.logo_path is not None and not Path(spec.logo_path).is_file():
        raise RenderError("logo_missing", f"logo not found: {spec.logo_path}")
    if spec.width <= 0 or spec.height <= 0 or spec.width % 2 or spec.height % 2:
        raise RenderError("invalid_spec", f"frame size must be even: {spec.width}x{spec.height}")
    if spec.fps <= 0 or not spec.audio_duration > 0:
        raise RenderError("invalid_spec", f"fps {spec.fps}, duration {spec.audio_duration}")
    if spec.framing not in ("center", "bottom"):
        raise RenderError("invalid_spec", f"unknown framing: {spec.framing!r}")
    for color in (spec.background_color, spec.accent_color):
        if color is not None:
            rgb(color)
    if spec.end_card is not None and not 0 <= spec.end_card.seconds <= MAX_END_CARD_SECONDS:
        raise RenderError("invalid_spec", f"end card of {spec.end_card.seconds} s")
    for shot in spec.shots:
        if shot.kind not in MEDIA_KINDS:
            raise RenderError("invalid_spec", f"unknown media kind: {shot.kind!r}")
        if not Path(shot.media_path).is_file():
            raise RenderError("media_missing", f"media not found: {shot.media_path}")
    layout_name(spec)


def _mouth_levels(spec: RenderSpec, frames: int) -> np.ndarray:
    """The mouth's openness on each of the speech's ``frames``, from the voice alone (music in the
    soundtrack must not move it; the WAV may run on in silence)."""
    voice = Path(spec.voice_path or spec.audio_path)
    try:
        levels = mouth_levels_for_wav(voice, spec.fps, MOUTH_LEVELS)
    except (wave.Error, EOFError, ValueError) as exc:
        raise RenderError("audio_unreadable", f"not a PCM WAV: {voice}: {exc}") from exc
    return np.pad(levels[:frames], (0, max(0, frames - len(levels))))


def _captions(spec: RenderSpec, layout: Layout, scratch: Path, frame_count: int) -> Layer:
    """The cues as a layer over the layout's caption box: libass draws them (an ASS script in the
    box's coordinates, written to ``scratch``) on the frames where they change."""
    box = layout.captions
    scale = min(spec.width, spec.height) / 1080
    # Overlaid on every frame: no taller than the cues need (the blend costs by the pixel).
    height = min(box.height, even(caption_height(spec.cues, spec.caption_style, box.width, scale) + 1))
    top = {"top": box.y, "center": box.y + (box.height - height) // 2 // 2 * 2}.get(
        spec.caption_style.position, box.bottom - height
    )
    box = Box(box.x, top, box.width, height)
    script = to_ass(spec.cues, spec.caption_style, box.width, box.height, (0, 0, box.width, box.height), scale)
    (scratch / CAPTIONS).write_text(script, "utf-8")
    changes = {first_frame_at(round(t * 1000), spec.fps) for t in ass_event_times(script)}
    return Layer(
        name="captions",
        image=Image.new("RGBA", box.size, (0, 0, 0, 0)),
        position=(box.x, box.y),
        transparent=True,
        drawn_by=f"ass=filename={CAPTIONS}:alpha=1:fontsdir={escape_filter_value(str(Path(FONT_DIR)))}",
        redrawn_on=sorted(frame for frame in changes if frame < frame_count),
    )


def libass_ms(frame: int, fps: int) -> int:
    """The time libass is asked to draw ``frame`` at: ffmpeg's ``ass`` filter passes the frame's
    time in milliseconds as pts * time base * 1000 in doubles, cut to a whole number."""
    return int(frame * (1 / fps) * 1000)


def first_frame_at(ms: int, fps: int) -> int:
    """The first frame libass draws at ``ms`` or later (an event shows from its start's ms)."""
    frame = max(0, ms * fps // 1000 - 1)
    while libass_ms(frame, fps) < ms:
        frame += 1
    return frame


def escape_filter_value(value: str) -> str:
    """Escape an option value for a filter graph: once for the option, once for the graph."""
    option_level = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", option_level)


def encode_args(
    spec: RenderSpec, inputs: list[Input], frames: int, video_path: Path, preset: str, crf: int, threads: int = 0
) -> list[str]:
    """ffmpeg's arguments encoding ``frames`` frames of the graph in FILTER_GRAPH with the
    spec's audio (the benchmark encodes its bare baseline with them too).

    ``threads`` > 0 caps x264's threads; 0 lets it choose (1.5 frame threads per core). On 2 cores
    one thread took ~5% less CPU and ~30 MB (of ~180) less memory for a 1080p reel, and ~1.8x the
    time when the machine is otherwise idle: for as many workers as cores (``RENDER_THREADS``)."""
    audio = str(Path(spec.audio_path).resolve())
    duration = f"{frames / spec.fps:.6f}"
    # fmt: off
    return [
        "-y", "-loglevel", "warning", *FILTER_THREADS,
        *(arg for item in inputs for arg in item.arguments()), "-i", audio,
        "-/filter_complex", FILTER_GRAPH,
        "-map", "[video]", "-map", f"{len(inputs)}:a",
        # The looped stills never end: the video is bounded by its frame count (-shortest
        # overshoots and buffers), and -r makes the frame rate exact. The audio is padded with
        # silence (an end card) or cut to the same length.
        "-frames:v", str(frames), "-r", str(spec.fps),
        "-af", f"apad=whole_dur={duration},atrim=end={duration}",
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-x264-params", _x264_params(spec, threads),
        "-pix_fmt", "yuv420p",
        *AUDIO_ENCODING,
        "-movflags", "+faststart",
        str(video_path.resolve()),
    ]
    # fmt: on


def _x264_params(spec: RenderSpec, threads: int = 0) -> str:
    params = X264_PARAMS if threads <= 0 else f"{X264_PARAMS}:threads={threads}"
    if threads != 1 and spec.width * spec.height <= SLICED_THREADS_UP_TO_PIXELS:
        return f"{params}:sliced-threads=1"
    return params


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
