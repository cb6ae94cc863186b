"""Benchmark of the local voice's model runs (Piper through ONNX Runtime): CPU-seconds for the
bench's ~29 s script, each variant beside the baseline measured in the same process:

    .venv/bin/python bench/voice_cpu.py [--rounds 7] [--window 128]

Builds the voice model's two halves (``piper_split``) in this process, as the once-per-machine
patch step does: the baseline with the decoder's 1-D convolutions as exported, and the shipped
variant with them made 2-D (``convolutions_as_2d``), each run as a worker runs them
(``session_options``, the decoder in windows). The script's sentences (bench/render.py) are run
with the noise scales at 0, so that a run depends on its inputs only, and the variants' outputs
are compared with the baseline's: the alignments (which give the timings) and the audio (max abs
difference, and the signal-to-noise ratio of the difference). Then the variants are run in turn,
``--rounds`` times, and each one's median CPU-seconds is printed beside the baseline's.

ONNX Runtime runs on the calling thread here (one intra-op thread), so the process's CPU time is
the model's. Peak memory per variant needs a process each: bench/render.py measures a reel's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# Runnable from anywhere: the repository root holds the packages.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
import onnx
from piper.patch_voice_with_alignment import add_alignment_output

from ai_studio.generation.speech import piper_engine
from ai_studio.generation.speech.local import DEFAULT_VOICE
from ai_studio.generation.speech.piper_split import (
    DECODER_WINDOW_FRAMES,
    WindowedSession,
    convolutions_as_2d,
    split_model,
)
from ai_studio.generation.speech.text import split_sentences
from bench.render import SCRIPT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="runs of the whole script per variant (default 7)")
    parser.add_argument(
        "--window", type=int, default=128, help="also the 2-D decoder in windows of this many latent frames (0: not)"
    )
    args = parser.parse_args()

    model_path, _ = piper_engine.PIPER_MODELS[DEFAULT_VOICE]()
    one_d, two_d = _halves(model_path, as_2d=False), _halves(model_path, as_2d=True)
    variants = {
        "1-D decoder (baseline)": WindowedSession(*one_d),
        "2-D decoder (shipped)": WindowedSession(*two_d),
    }
    if args.window:
        variants[f"2-D decoder, windows of {args.window}"] = WindowedSession(*two_d, window=args.window)
    baseline = next(iter(variants))

    config = piper_engine._piper_config(DEFAULT_VOICE)
    voice = piper_engine.PiperVoice(session=variants[baseline], config=config)
    feeds = []
    for sentence in split_sentences(SCRIPT, piper_engine.PIPER_CHUNK_CHARS):
        for phonemes in voice.phonemize(sentence):
            ids = voice.phonemes_to_ids(phonemes)
            feeds.append(
                {
                    "input": np.array([ids], dtype=np.int64),
                    "input_lengths": np.array([len(ids)], dtype=np.int64),
                    "scales": np.array([0.0, config.length_scale, 0.0], dtype=np.float32),
                }
            )

    outputs = {name: [session.run(None, feed) for feed in feeds] for name, session in variants.items()}
    frames = [run[0].shape[-1] // 256 for run in outputs[baseline]]
    print(
        f"{len(feeds)} sentences, {sum(frames)} latent frames ({sum(frames) * 256 / config.sample_rate:.1f} s of "
        f"speech), decoder windows of {DECODER_WINDOW_FRAMES} frames unless said"
    )
    reference = np.concatenate([run[0].ravel() for run in outputs[baseline]]).astype(np.float64)
    for name in variants:
        runs = outputs[name]
        aligned = all(np.array_equal(mine[1], theirs[1]) for mine, theirs in zip(runs, outputs[baseline], strict=True))
        if any(mine[0].shape != theirs[0].shape for mine, theirs in zip(runs, outputs[baseline], strict=True)):
            print(f"  {name:<34} audio of another length than the baseline's")
            continue
        error = np.concatenate([run[0].ravel() for run in runs]) - reference
        snr = "identical" if not error.any() else f"SNR {10 * np.log10(np.sum(reference**2) / np.sum(error**2)):.1f} dB"
        print(
            f"  {name:<34} alignments {'identical' if aligned else 'DIFFER'}; audio max abs diff "
            f"{np.max(np.abs(error)):.2g} (a 16-bit step is 3.1e-05), {snr}"
        )

    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, session in variants.items():
            started = time.process_time()
            for feed in feeds:
                session.run(None, feed)
            cpu[name].append(time.process_time() - started)
    base = statistics.median(cpu[baseline])
    print(
        f"CPU-seconds of the script's model runs, median of {args.rounds} (variants alternating; load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs):"
    )
    for name, seconds in cpu.items():
        median = statistics.median(seconds)
        print(
            f"  {name:<34} {median:6.3f} CPU-s  ({min(seconds):.2f}-{max(seconds):.2f})  "
            f"{median / base:.3f}x the baseline"
        )


def _halves(model_path: Path, as_2d: bool):
    """The voice model with its alignment output, cut at its decoder: ONNX Runtime sessions."""
    model = onnx.load(str(model_path))
    add_alignment_output(model)
    if as_2d:
        convolutions_as_2d(model)
    encoder, decoder = split_model(model)
    return (
        piper_engine._new_session(encoder.SerializeToString()),
        piper_engine._new_session(decoder.SerializeToString()),
    )


if __name__ == "__main__":
    main()
