"""Benchmark of the audio stage (soundtrack.py) on a ~29 s reel, against the render stage in the same run:

    .venv/bin/python bench/audio.py [--resolution 1080p|720p] [--repeat 5]

Speaks bench/render.py's ~80-word script with the local voice (Piper), then times, in this run:
- a baseline: ffmpeg decoding the voice and encoding it as the render does (AAC 128k, 48 kHz);
- the audio stage, voice only and with a starter music bed (ai_studio.seeding.music);
- the alternatives it replaced: measuring with ffmpeg's ebur128 filter, and loudnorm in one pass;
- the render stage of the same reel (a plain portrait);
and prints the median wall and CPU seconds of each with its ratio to the baseline and to the render.
Then the loudness before and after (ffmpeg's meter, on the soundtrack encoded as the render does)
for the local voice, the fake OpenAI server's voice (testkit), and each with music.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# Runnable from anywhere: the repository root holds the packages.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ai_studio.generation.ffmpeg import measure_loudness, run_ffmpeg
from ai_studio.generation.render import AUDIO_ENCODING, render_video
from ai_studio.generation.render_spec import RenderSpec
from ai_studio.generation.soundtrack import build_soundtrack
from ai_studio.generation.speech import get_provider
from ai_studio.generation.speech.local import DEFAULT_VOICE
from ai_studio.generation.types import frame_size
from ai_studio.seeding.music import track_mp3
from ai_studio.seeding.portraits import draw_portrait
from bench.render import SCRIPT, STYLE
from testkit.openai_server import synthesize_speech, wav_bytes

MUSIC = "bright-start"


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="bench-audio-") as tmp:
        work = Path(tmp)
        voice = get_provider("local").synthesize(SCRIPT, DEFAULT_VOICE, work / "speech")
        music = work / f"{MUSIC}.mp3"
        music.write_bytes(track_mp3(MUSIC))
        portrait = work / "portrait.png"
        draw_portrait(STYLE).save(portrait)
        print(f"{len(SCRIPT.split())} words -> {voice.duration:.2f} s of speech at {voice.sample_rate} Hz; "
              f"music: {MUSIC}; render: {args.resolution}; median of {args.repeat}")

        def encode_baseline() -> None:
            run_ffmpeg(["-y", "-loglevel", "error", "-i", str(voice.audio_path), *AUDIO_ENCODING,
                        str(work / "baseline.m4a")])

        soundtrack = build_soundtrack(voice.audio_path, work / "warm-up")  # imports and caches warmed
        width, height = frame_size("9:16", args.resolution)
        spec = RenderSpec(portrait_path=portrait, audio_path=soundtrack.path, audio_duration=soundtrack.duration,
                          voice_path=voice.audio_path, width=width, height=height)
        timings = {
            "baseline: ffmpeg decode + AAC encode": _timed(encode_baseline, args.repeat),
            "audio stage, voice only": _timed(lambda: build_soundtrack(voice.audio_path, work / "v"), args.repeat),
            "audio stage, voice + music": _timed(
                lambda: build_soundtrack(voice.audio_path, work / "m", music_path=music), args.repeat),
            "(alternative) ffmpeg ebur128 measure": _timed(lambda: measure_loudness(voice.audio_path), args.repeat),
            "(alternative) ffmpeg loudnorm, 1 pass": _timed(lambda: run_ffmpeg(
                ["-y", "-loglevel", "error", "-i", str(voice.audio_path), "-af", "loudnorm=I=-14:TP=-2",
                 "-ar", "48000", str(work / "loudnorm.wav")]), args.repeat),
            "render stage (portrait)": _timed(lambda: render_video(spec, work / "render"), max(1, args.repeat // 2)),
        }
        baseline, render = timings["baseline: ffmpeg decode + AAC encode"], timings["render stage (portrait)"]
        # Ratios in wall and in CPU time: on a busy shared machine the CPU figures are the steadier.
        print(f"  {'':<40} {'wall s':>7} {'cpu s':>7} {'x baseline wall/cpu':>20} {'% of render wall/cpu':>21}")
        for name, (wall, cpu) in timings.items():
            print(f"  {name:<40} {wall:7.3f} {cpu:7.3f} {wall / baseline[0]:9.2f}x {cpu / baseline[1]:8.2f}x "
                  f"{100 * wall / render[0]:10.1f}% {100 * cpu / render[1]:8.1f}%")
        print(f"  loudnorm in one pass on this voice: {measure_loudness(work / 'loudnorm.wav').integrated:.1f} LUFS")
        _loudness_table(voice.audio_path, music, work)


def _loudness_table(local_voice: Path, music: Path, work: Path) -> None:
    samples, _ = synthesize_speech(SCRIPT, voice="nova")
    openai_voice = work / "openai.wav"
    openai_voice.write_bytes(wav_bytes(samples))
    print("loudness (ffmpeg ebur128; 'after' = the soundtrack AAC-encoded as the render does):")
    print(f"  {'':<28} {'before LUFS':>11} {'dBTP':>6} {'after LUFS':>11} {'dBTP':>6}")
    for name, voice in (("local (Piper)", local_voice), ("openai (fake server)", openai_voice)):
        before = measure_loudness(voice)
        for bed in (None, music):
            track = build_soundtrack(voice, work / "loudness", music_path=bed)
            encoded = work / "loudness" / "soundtrack.m4a"
            run_ffmpeg(["-y", "-loglevel", "error", "-i", str(track.path), *AUDIO_ENCODING, str(encoded)])
            after = measure_loudness(encoded)
            label = f"{name}{' + music' if bed else ''}"
            print(f"  {label:<28} {before.integrated:11.1f} {before.true_peak:6.1f} {after.integrated:11.1f} "
                  f"{after.true_peak:6.1f}")


def _timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds (this process and its children, e.g. ffmpeg) of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        cpu, started = _cpu_seconds(), time.perf_counter()
        run()
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu_seconds() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="1080p", choices=("720p", "1080p"))
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args()


if __name__ == "__main__":
    main()
