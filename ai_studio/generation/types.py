"""Plain data passed between the engine's stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
    font_size: int = 64  # for a 1080 px short side; scaled with the frame
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


@dataclass(frozen=True)
class EndCard:
    """A closing card held after the speech: the brand's colours, its logo and ``text`` (e.g. the
    campaign's call to action). The video lasts the speech plus ``seconds``."""

    text: str = ""
    seconds: float = 2.0


@dataclass(frozen=True)
class SceneMedia:
    """A part of the script and the picture or clip shown while it is said."""

    text: str
    media_path: Path
    kind: str  # "image" | "video"


@dataclass(frozen=True)
class Shot:
    """A scene's media as the render shows it: from ``start`` (seconds into the speech, its first
    word) until the next shot starts."""

    start: float
    media_path: Path
    kind: str  # "image" | "video"


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
