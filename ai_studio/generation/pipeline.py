"""The generation pipeline: script -> speech -> captions -> soundtrack -> render -> upload.

Plain Python: the caller hands in a speech provider, an artifact store and a progress reporter
(the Django service persists progress and answers "was this job canceled?" at each stage
boundary). Each stage's wall time is measured and returned with the result.
"""
from __future__ import annotations

import re
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .artifacts import ArtifactStore, sha256_of, upload_artifacts
from .captions import build_cues, to_srt, to_vtt
from .media import scene_shots
from .render import render_video
from .render_spec import RenderSpec
from .rig import read_rig
from .soundtrack import Soundtrack, build_soundtrack
from .speech import SpeechProvider
from .speech.phonemizer import phonemes_from_words
from .types import CaptionStyle, EndCard, PhonemeTiming, RenderResult, SceneMedia, SpeechResult, frame_size
from .visemes import viseme_spans

STAGES = ("preparing_script", "synthesizing_speech", "aligning_captions", "mixing_audio", "rendering_video",
          "uploading")
# Progress (0-100) when each stage starts; "done" is 100.
STAGE_PROGRESS = {"preparing_script": 5, "synthesizing_speech": 10, "aligning_captions": 45, "mixing_audio": 50,
                  "rendering_video": 55, "uploading": 90}


class Canceled(Exception):
    """Raised by a reporter at a stage boundary when the job was canceled meanwhile."""


class ProgressReporter(Protocol):
    def stage(self, stage: str, progress: int) -> None:
        """Called as a stage starts; may raise Canceled to stop the pipeline there."""
        ...


class NullReporter:
    def stage(self, stage: str, progress: int) -> None:
        pass


@dataclass
class GenerationRequest:
    script: str
    voice_id: str
    portrait_path: Path
    speed: float = 1.0
    aspect_ratio: str = "9:16"
    resolution: str = "720p"
    captions: bool = True
    caption_style: CaptionStyle = field(default_factory=CaptionStyle)
    background_color: str = "#101820"
    accent_color: str | None = None
    logo_path: Path | None = None
    framing: str = "center"
    rig_path: Path | None = None  # a rig ZIP: the avatar lip-syncs (see rig.py); None: mouth follows loudness
    language: str = "en-US"  # the voice's, BCP-47: phonemizes the words when the engine reports no phonemes
    layout: str | None = None  # "presenter" | "product" | "card"; None: layout.default_layout's choice
    headline: str = ""  # hook text shown large at the top
    end_card: EndCard | None = None  # held after the speech; the video lasts speech + its seconds
    # When given, the script is " ".join(scene.text for scene in scenes); each scene's media shows
    # from its first word on.
    scenes: list[SceneMedia] = field(default_factory=list)
    music_path: Path | None = None  # a music bed (any audio ffmpeg reads), ducked under the voice


@dataclass
class PipelineResult:
    keys: dict[str, str]
    speech: SpeechResult
    soundtrack: Soundtrack
    render: RenderResult
    checksum_sha256: str
    cue_count: int
    stage_timings: dict[str, float]
    # How the mouth followed the voice: "phonemes" (the engine's exact timings), "words" (phonemes
    # spread over word timings) or "loudness" (no rig).
    lip_sync: str = "loudness"

    @property
    def total_seconds(self) -> float:
        return round(sum(self.stage_timings.values()), 3)


def prepare_script(text: str) -> str:
    """Collapse runs of whitespace; line breaks become sentence-friendly spaces."""
    return re.sub(r"\s+", " ", text).strip()


class _Stopwatch:
    def __init__(self, reporter: ProgressReporter) -> None:
        self.reporter = reporter
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.reporter.stage(name, STAGE_PROGRESS[name])
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - started, 3)


def run_pipeline(
    request: GenerationRequest,
    *,
    workdir: Path,
    speech_provider: SpeechProvider,
    store: ArtifactStore,
    key_prefix: str,
    reporter: ProgressReporter | None = None,
    render_preset: str = "veryfast",
    render_crf: int = 23,
    render_threads: int = 0,
) -> PipelineResult:
    clock = _Stopwatch(reporter or NullReporter())
    workdir = Path(workdir)

    with clock.stage("preparing_script"):
        script = prepare_script(request.script)
        width, height = frame_size(request.aspect_ratio, request.resolution)

    with clock.stage("synthesizing_speech"):
        speech = speech_provider.synthesize(script, request.voice_id, workdir / "speech", speed=request.speed)

    with clock.stage("aligning_captions"):
        cues = build_cues(speech.words, max_words=request.caption_style.max_words_per_cue)
        srt_path, vtt_path = workdir / "captions.srt", workdir / "captions.vtt"
        srt_path.write_text(to_srt(cues), encoding="utf-8")
        vtt_path.write_text(to_vtt(cues), encoding="utf-8")
        phonemes, lip_sync = _phonemes(speech, request) if request.rig_path else ([], "loudness")

    with clock.stage("mixing_audio"):
        # The end card is held after the speech: the music (or silence) runs on under it.
        soundtrack = build_soundtrack(speech.audio_path, workdir / "soundtrack", music_path=request.music_path,
                                      tail_seconds=request.end_card.seconds if request.end_card else 0.0)

    with clock.stage("rendering_video"):
        spec = RenderSpec(
            portrait_path=request.portrait_path, audio_path=soundtrack.path, audio_duration=speech.duration,
            voice_path=speech.audio_path,
            width=width, height=height, background_color=request.background_color,
            accent_color=request.accent_color, logo_path=request.logo_path,
            cues=cues if request.captions else [], caption_style=request.caption_style, framing=request.framing,
            rig=read_rig(request.rig_path) if request.rig_path else None, visemes=viseme_spans(phonemes),
            motion_seed=zlib.crc32(key_prefix.encode()),  # a re-run of the same job looks the same
            layout=request.layout, headline=request.headline, end_card=request.end_card,
            shots=scene_shots(request.scenes, speech.words) if request.scenes else [],
        )
        rendered = render_video(spec, workdir / "render", preset=render_preset, crf=render_crf,
                                threads=render_threads)

    with clock.stage("uploading"):
        checksum = sha256_of(rendered.video_path)
        keys = upload_artifacts(store, {
            "video": rendered.video_path, "thumbnail": rendered.thumbnail_path, "audio": speech.audio_path,
            "captions_srt": srt_path, "captions_vtt": vtt_path,
        }, key_prefix)

    return PipelineResult(keys=keys, speech=speech, soundtrack=soundtrack, render=rendered, checksum_sha256=checksum,
                          cue_count=len(cues), stage_timings=clock.timings, lip_sync=lip_sync)


def _phonemes(speech: SpeechResult, request: GenerationRequest) -> tuple[list[PhonemeTiming], str]:
    """The engine's own phoneme timings (exact), else phonemes spread over the word timings."""
    if speech.phonemes:
        return speech.phonemes, "phonemes"
    return phonemes_from_words(speech.words, request.language), "words"
