"""Benchmark of the generation engine on a ~30 s 1080x1920 reel, run by hand:

    .venv/bin/python bench/render.py [--preset veryfast] [--crf 23] [--resolution 1080p]

Speaks a fixed ~75-word marketing script with the local voice, builds the captions, renders the
video, and prints wall seconds per stage, the real-time factor (video seconds per wall second:
above 1 is faster than real time) and peak memory. No Django: the engine is plain Python.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable from anywhere

from ai_studio.generation.captions import build_cues  # noqa: E402
from ai_studio.generation.render import render_video  # noqa: E402
from ai_studio.generation.speech import get_provider  # noqa: E402
from ai_studio.generation.types import RenderResult, RenderSpec, frame_size  # noqa: E402

SCRIPT = (
    "Tired of spending hours editing videos? Meet ReelMate, the fastest way to turn a few lines "
    "of text into a scroll-stopping reel. Pick an avatar, paste your script, and choose your "
    "brand colours. ReelMate writes the captions, gives your avatar a natural voice, and renders "
    "a polished vertical video in seconds. No camera, no studio, no editing skills needed. Post "
    "more often, test more ideas, and grow your audience faster. Try ReelMate free today and "
    "publish your first reel before your coffee gets cold."
)
TARGET_REAL_TIME_FACTOR = 4.0  # the whole job, upload included, at 1080p


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        workdir = Path(tmp)
        portrait = _draw_portrait(workdir / "portrait.png")
        timings: dict[str, float] = {}

        with _stage(timings, "speech"):
            speech = get_provider("local").synthesize(SCRIPT, "en_US-joe-medium", workdir)
        with _stage(timings, "captions"):
            cues = build_cues(speech.words)
        width, height = frame_size("9:16", args.resolution)
        spec = RenderSpec(
            portrait_path=portrait, audio_path=speech.audio_path,
            audio_duration=speech.duration, width=width, height=height,
            accent_color="#FF5A36", cues=cues,
        )
        with _stage(timings, "render"):
            result = render_video(spec, workdir / "render", preset=args.preset, crf=args.crf)
        with _stage(timings, "upload"):
            upload(result)

        _report(timings, result, speech.duration, len(SCRIPT.split()), args)


def upload(result: RenderResult) -> None:
    """Hook for the upload stage (the artifact store is wired in by the pipeline's owner)."""


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="veryfast", help="x264 preset")
    parser.add_argument("--crf", type=int, default=23)
    parser.add_argument("--resolution", default="1080p", choices=("720p", "1080p"))
    return parser.parse_args()


@contextmanager
def _stage(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start


def _draw_portrait(path: Path, size: tuple[int, int] = (1024, 1024)) -> Path:
    """A simple face with its mouth where the renderer expects it (72% down)."""
    width, height = size
    image = Image.new("RGB", size, (196, 206, 222))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0.25 * width, 0.18 * height, 0.75 * width, 0.92 * height), fill=(226, 184, 152))
    for eye_x in (0.40, 0.60):
        draw.ellipse(((eye_x - 0.03) * width, 0.46 * height, (eye_x + 0.03) * width,
                      0.51 * height), fill=(45, 40, 40))
    draw.line((0.45 * width, 0.72 * height, 0.55 * width, 0.72 * height), fill=(150, 70, 70),
              width=8)
    image.save(path)
    return path


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports kilobytes


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _report(
    timings: dict[str, float], result: RenderResult, audio_seconds: float, words: int,
    args: argparse.Namespace,
) -> None:
    total = sum(timings.values())
    factor = result.duration / total
    print(f"{words} words -> {result.duration:.2f} s of video ({audio_seconds:.2f} s of audio), "
          f"{result.width}x{result.height} @ {result.fps} fps, {result.video_codec}/"
          f"{result.audio_codec}, {result.size_bytes / 1e6:.2f} MB, "
          f"preset {args.preset}, crf {args.crf}")
    for name, seconds in timings.items():
        print(f"  {name:<9} {seconds:7.2f} s")
    print(f"  {'total':<9} {total:7.2f} s")
    verdict = "meets" if factor >= TARGET_REAL_TIME_FACTOR else "MISSES"
    print(f"real-time factor {factor:.1f}x ({verdict} the {TARGET_REAL_TIME_FACTOR:.0f}x target)")
    print(f"peak RSS: this process {_peak_rss_mb(resource.RUSAGE_SELF):.0f} MB, "
          f"largest child (ffmpeg) {_peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    # This machine is shared: CPU seconds and the load say whether wall times were contended.
    print(f"CPU: this process {_cpu_seconds(resource.RUSAGE_SELF):.2f} s, children "
          f"{_cpu_seconds(resource.RUSAGE_CHILDREN):.2f} s; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
