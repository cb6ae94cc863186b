"""A whole post-ready reel through the pipeline: a layout, a headline, an end card and a music bed.

The parts have their own tests (test_layouts, test_soundtrack); this one checks that they meet:
the music runs on under the end card, the video and its audio last the speech plus the end card,
and the finished MP4 is at the platforms' loudness.
"""
from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ai_studio.generation.artifacts import DirectoryArtifactStore
from ai_studio.generation.ffmpeg import ffmpeg_exe, measure_loudness, probe
from ai_studio.generation.pipeline import GenerationRequest, PipelineResult, run_pipeline
from ai_studio.generation.speech import get_provider
from ai_studio.generation.types import EndCard
from ai_studio.seeding.music import track_mp3
from ai_studio.tests.generation.media_files import draw_portrait

FPS = 30
END_CARD_SECONDS = 1.5
AUDIO_RATE = 48000
SCRIPT = "Meet the lightest running shoe we ever made. Get yours today."


@pytest.fixture(scope="module")
def reel(tmp_path_factory) -> PipelineResult:
    folder = tmp_path_factory.mktemp("post-ready")
    music = folder / "bright-start.mp3"
    music.write_bytes(track_mp3("bright-start"))
    request = GenerationRequest(
        script=SCRIPT, voice_id="en_US-joe-medium", portrait_path=draw_portrait(folder / "portrait.png"),
        aspect_ratio="9:16", resolution="720p", layout="presenter", headline="New: Rocket 2",
        end_card=EndCard("Shop now", END_CARD_SECONDS), music_path=music,
    )
    return run_pipeline(request, workdir=folder / "work", speech_provider=get_provider("local"),
                        store=DirectoryArtifactStore(folder / "out"), key_prefix="post-ready")


def decoded_audio(video: Path) -> np.ndarray:
    """The MP4's audio as mono float samples at AUDIO_RATE."""
    raw = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-i", str(video), "-map", "0:a", "-ac", "1", "-ar", str(AUDIO_RATE),
         "-f", "f32le", "-"], capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4")


def level_db(samples: np.ndarray) -> float:
    return 20 * math.log10(float(np.sqrt(np.mean(samples**2))) + 1e-12)


def test_the_video_lasts_the_speech_plus_the_end_card(reel):
    info = probe(reel.render.video_path)
    assert info["frames"] == math.ceil(reel.speech.duration * FPS) + round(END_CARD_SECONDS * FPS)
    assert reel.soundtrack.duration == pytest.approx(reel.speech.duration + END_CARD_SECONDS, abs=1 / AUDIO_RATE)


def test_the_audio_lasts_as_long_as_the_video_within_a_frame(reel):
    audio_seconds = len(decoded_audio(reel.render.video_path)) / AUDIO_RATE
    video_seconds = probe(reel.render.video_path)["frames"] / FPS
    assert audio_seconds == pytest.approx(video_seconds, abs=1 / FPS)


def test_the_music_plays_on_under_the_end_card(reel):
    samples = decoded_audio(reel.render.video_path)
    speech_end = int(reel.speech.duration * AUDIO_RATE)
    # The end card's middle: clear of the voice's last syllable and of the music's fade-out.
    middle = samples[speech_end + AUDIO_RATE // 4: speech_end + AUDIO_RATE * 3 // 4]
    assert level_db(middle) > -45, "the end card is silent: the music stopped with the voice"


def test_the_finished_reel_is_at_the_platforms_loudness(reel):
    loudness = measure_loudness(reel.render.video_path)
    assert loudness.integrated == pytest.approx(-14.0, abs=1.0)
    assert loudness.true_peak <= -1.0
