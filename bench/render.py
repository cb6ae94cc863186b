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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import numpy as np
from PIL import Image, ImageDraw

# Runnable from anywhere: the repository root holds the ai_studio package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ai_studio.generation.captions import build_cues
from ai_studio.generation.render import render_video
from ai_studio.generation.speech import get_provider
from ai_studio.generation.types import RenderResult, RenderSpec, frame_size

SCRIPT = (
    "Tired of spending hours editing videos? Meet ReelMate, the fastest way to turn a few lines "
    "of text into a scroll-stopping reel. Pick an avatar, paste your script, and choose your "
    "brand colours. ReelMate writes the captions, gives your avatar a natural voice, and renders "
    "a polished vertical video in seconds. No camera, no studio, no editing skills needed. Post "
    "more often, test more ideas, and grow your audience faster. Try ReelMate free today and "
    "publish your first reel in minutes."
)
TARGET_REAL_TIME_FACTOR = 4.0  # the whole job, upload included, at 1080p


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        workdir = Path(tmp)
        portrait = _draw_portrait(workdir / "portrait.png")
        timings: dict[str, float] = {}

        with _stage(timings, "speech"):
            speech = get_provider("local").synthesize(
                SCRIPT, "en_US-joe-medium", workdir
            )
        with _stage(timings, "captions"):
            cues = build_cues(speech.words)
        width, height = frame_size("9:16", args.resolution)
        spec = RenderSpec(
            portrait_path=portrait,
            audio_path=speech.audio_path,
            audio_duration=speech.duration,
            width=width,
            height=height,
            accent_color="#FF5A36",
            cues=cues,
        )
        with _stage(timings, "render"), ChildMemoryPeak() as ffmpeg_memory:
            result = render_video(
                spec, workdir / "render", preset=args.preset, crf=args.crf
            )
        with _stage(timings, "upload"):
            upload(result)

        _report(timings, result, ffmpeg_memory.peak_kb / 1024, args)


def upload(result: RenderResult) -> None:
    """The upload stage's hook: send ``result``'s files to the artifact store here.

    Still empty (the store is wired in by the pipeline's owner), so until then the reported
    total and real-time factor leave upload out.
    """


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
    """A face with its mouth where the renderer expects it (72% down), with photo-like grain:
    a flat drawing would compress unrealistically well and flatter the encode time."""
    width, height = size
    image = Image.new("RGB", size, (196, 206, 222))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (0.25 * width, 0.18 * height, 0.75 * width, 0.92 * height), fill=(226, 184, 152)
    )
    for eye_x in (0.40, 0.60):
        eye = (
            (eye_x - 0.03) * width,
            0.46 * height,
            (eye_x + 0.03) * width,
            0.51 * height,
        )
        draw.ellipse(eye, fill=(45, 40, 40))
    draw.line(
        (0.45 * width, 0.72 * height, 0.55 * width, 0.72 * height),
        fill=(150, 70, 70),
        width=8,
    )
    grain = np.random.default_rng(seed=7).normal(0.0, 8.0, (height, width, 3))
    pixels = np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


class ChildMemoryPeak:
    """Peak resident memory of any child process (ffmpeg), sampled from /proc while it runs.

    getrusage(RUSAGE_CHILDREN) cannot tell: a child's maxrss starts from the forked parent's size
    (hundreds of MB once the voice model is loaded), not from ffmpeg's own.
    """

    INTERVAL = 0.05  # seconds

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        parent = str(os.getpid())
        while not self._stop.wait(self.INTERVAL):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if stat.read_text().rsplit(")", 1)[1].split()[1] == parent:
                        self.peak_kb = max(
                            self.peak_kb, _high_water_kb(stat.parent / "status")
                        )
                except (OSError, IndexError):
                    continue  # the process ended between listing and reading


def _high_water_kb(status: Path) -> int:
    """VmHWM: the process's peak resident set size since it started (exec'd)."""
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports kilobytes


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _report(
    timings: dict[str, float],
    result: RenderResult,
    ffmpeg_peak_mb: float,
    args: argparse.Namespace,
) -> None:
    total = sum(timings.values())
    factor = result.duration / total
    print(
        f"{len(SCRIPT.split())} words -> {result.duration:.2f} s of video, "
        f"{result.width}x{result.height} @ {result.fps} fps, {result.video_codec}/"
        f"{result.audio_codec}, {result.size_bytes / 1e6:.2f} MB, "
        f"preset {args.preset}, crf {args.crf}"
    )
    for name, seconds in timings.items():
        print(f"  {name:<9} {seconds:7.2f} s")
    print(f"  {'total':<9} {total:7.2f} s")
    verdict = "meets" if factor >= TARGET_REAL_TIME_FACTOR else "MISSES"
    print(
        f"real-time factor {factor:.1f}x ({verdict} the {TARGET_REAL_TIME_FACTOR:.0f}x target)"
    )
    print(
        f"peak RSS: this process {_peak_rss_mb(resource.RUSAGE_SELF):.0f} MB, ffmpeg "
        f"{ffmpeg_peak_mb:.0f} MB (getrusage children: "
        f"{_peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB, inflated by the fork)"
    )
    # This machine is shared: CPU seconds and the load say whether wall times were contended.
    print(
        f"CPU: this process {_cpu_seconds(resource.RUSAGE_SELF):.2f} s, children "
        f"{_cpu_seconds(resource.RUSAGE_CHILDREN):.2f} s; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
