"""What to render: the one input of ``render.render_video``.

It sits above the plain data in ``types`` because a rigged avatar's spec carries its rig and
the mouth shapes it says (``rig``, ``visemes``), which themselves build on ``types``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .rig import Rig
from .types import CaptionStyle, Cue, EndCard, Shot
from .visemes import VisemeSpan


@dataclass
class RenderSpec:
    portrait_path: Path  # the avatar's portrait image (PNG/JPEG)
    audio_path: Path  # the soundtrack (soundtrack.py), encoded as it is; it may run past the speech
    audio_duration: float  # the speech's length: the video's, without an end card
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
    # The voice alone (the speech stage's WAV), whose loudness moves a portrait's mouth: music in
    # the soundtrack must not. None: audio_path is the voice.
    voice_path: Path | None = None
    layout: str | None = None  # a name in layout.LAYOUTS; None: the aspect ratio's default
    headline: str = ""  # hook text shown large at the top
    end_card: EndCard | None = None  # held after the speech: the video lasts audio_duration + its seconds
    shots: list[Shot] = field(default_factory=list)  # the scenes' media, in order, the first from 0
