"""How well mouth shapes derived from word timings match exact phoneme timings, run by hand:

    .venv/bin/python bench/visemes.py

OpenAI speech comes back without phoneme timings; the pipeline then phonemizes each word with
eSpeak NG and spreads its phonemes over the word's time span (speech/phonemizer.py). Piper
reports every phoneme's exact timing, so its speech can serve as ground truth: for a few
marketing scripts this prints the share of video frames (30 fps) where the derived timeline
shows the same mouth shape as the exact one, the share within one frame of it, and the share
where both agree the mouth is open or closed.
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

# Runnable from anywhere: the repository root holds the packages.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ai_studio.generation.speech.local import DEFAULT_VOICE, LocalSpeechProvider
from ai_studio.generation.speech.phonemizer import phonemes_from_words
from ai_studio.generation.visemes import CLOSURES, Viseme, frame_visemes, viseme_spans

FPS = 30
SCRIPTS = [
    "Tired of spending hours editing videos? Meet ReelMate, the fastest way to turn a few lines of text "
    "into a scroll-stopping reel.",
    "Big news for busy bakers: our new proofing box keeps every loaf warm, moist and ready on time.",
    "Join us this Friday at five for the summer launch party. Free drinks, live music and fifty percent "
    "off everything in store.",
    "Three simple steps: pick an avatar, paste your script, and publish. Your audience will love it.",
    "Why pay more? Switch today, save money every month, and enjoy faster support whenever you need it.",
]


def main() -> None:
    provider = LocalSpeechProvider()
    totals = {"same shape": 0, "same within a frame": 0, "same open/closed": 0}
    frames_total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for index, script in enumerate(SCRIPTS):
            speech = provider.synthesize(script, DEFAULT_VOICE, Path(tmp) / str(index))
            count = math.ceil(speech.duration * FPS)
            exact = frame_visemes(viseme_spans(speech.phonemes), FPS, count)
            derived = frame_visemes(viseme_spans(phonemes_from_words(speech.words, "en-US")), FPS, count)
            scores = _scores(exact, derived)
            for name, value in scores.items():
                totals[name] += value
            frames_total += count
            shares = ", ".join(f"{name} {value / count:.0%}" for name, value in scores.items())
            print(f"script {index + 1}: {count} frames, {shares}")
    print("all: " + ", ".join(f"{name} {value / frames_total:.1%}" for name, value in totals.items()))


def _scores(exact: list[Viseme], derived: list[Viseme]) -> dict[str, int]:
    def near(n: int) -> bool:
        return derived[n] in exact[max(0, n - 1) : n + 2]

    def closed(viseme: Viseme) -> bool:
        return viseme == Viseme.REST or viseme in CLOSURES

    return {
        "same shape": sum(a == b for a, b in zip(exact, derived)),
        "same within a frame": sum(near(n) for n in range(len(exact))),
        "same open/closed": sum(closed(a) == closed(b) for a, b in zip(exact, derived)),
    }


if __name__ == "__main__":
    main()
