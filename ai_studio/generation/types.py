"""Plain data passed between the engine's stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the rig module imports these types
    from .rig import Rig
    from .visemes import VisemeSpan


@dataclass(frozen=True)
class WordTiming:
    """One spoken word and when it is heard, in seconds from the start of the audio."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class PhonemeTiming:
    """One phoneme (eSpeak IPA, or a pause, stress or length mark) and when it is heard, in seconds."""

    phoneme: str
    start: float
    end: float


@dataclass
class SpeechResult:
    """What a speech provider produces: a WAV file and the words' timings inside it."""

    audio_path: Path  # mono 16-bit PCM WAV
    sample_rate: int
    duration: float  # seconds, exactly the WAV's length
    words: list[WordTiming]
    timing_source: str  # "alignment" | "engine_events" | "transcription" | "estimate"
    provider: str  # "local" | "openai"
    # Empty when the engine reports none; the pipeline then derives them from the words.
    phonemes: list[PhonemeTiming] = field(default_factory=list)


@dataclass(frozen=True)
class CaptionStyle:
    font_size: int = 64  # at 1080 px width; scaled with the frame
    text_color: str = "#FFFFFF"
    highlight_color: str = "#FFD400"
    outline_color: str = "#000000"
    position: str = "bottom"  # "top" | "center" | "bottom"
    highlight_spoken_word: bool = True
    max_words_per_cue: int = 4


@dataclass(frozen=True)
class Cue:
    """A caption shown on screen: a few words, with each word's own timing kept."""

    start: float
    end: float
    words: tuple[WordTiming, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


ASPECT_RATIOS = {"9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5), "16:9": (16, 9)}
RESOLUTIONS = {"720p": 720, "1080p": 1080}  # the short side, in pixels


def frame_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """Width and height (both even) for an aspect ratio and a short-side resolution."""
    aw, ah = ASPECT_RATIOS[aspect_ratio]
    short = RESOLUTIONS[resolution]
    if aw <= ah:
        width, height = short, short * ah / aw
    else:
        width, height = short * aw / ah, short
    return int(round(width / 2) * 2), int(round(height / 2) * 2)


@dataclass
class RenderSpec:
    portrait_path: Path  # the avatar's portrait image (PNG/JPEG)
    audio_path: Path  # WAV from the speech stage
    audio_duration: float
    width: int
    height: int
    fps: int = 30
    background_color: str = "#101820"
    accent_color: str | None = None  # campaign secondary colour, if any
    logo_path: Path | None = None
    cues: list[Cue] = field(default_factory=list)  # empty = no burned-in captions
    caption_style: CaptionStyle = field(default_factory=CaptionStyle)
    framing: str = "center"  # "center" | "bottom" (portrait placement)
    # A rigged avatar lip-syncs ``visemes``; without a rig the mouth follows the loudness.
    rig: Rig | None = None
    visemes: list[VisemeSpan] = field(default_factory=list)
    motion_seed: int = 0  # blinks and head motion: the same seed gives the same video


@dataclass
class RenderResult:
    video_path: Path
    thumbnail_path: Path
    duration: float
    width: int
    height: int
    fps: int
    video_codec: str
    audio_codec: str
    size_bytes: int
