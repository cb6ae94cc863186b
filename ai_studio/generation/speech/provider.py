"""What a speech provider is: the protocol it implements, the voices it lists, and the requests
it accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TypedDict, runtime_checkable

from ..types import SpeechResult
from .errors import PermanentSpeechError
from .text import script_words

MIN_SPEED = 0.25
MAX_SPEED = 4.0


class VoiceInfo(TypedDict):
    """A voice a provider offers, ready to be serialised for the UI."""

    id: str
    label: str
    language: str  # BCP-47
    gender: str  # "female" | "male" | "neutral"
    engine: str


@runtime_checkable
class SpeechProvider(Protocol):
    """Turns a script into speech; raises SpeechError subclasses on failure."""

    name: str

    def synthesize(
        self, text: str, voice_id: str, workdir: Path, speed: float = 1.0
    ) -> SpeechResult:
        """Speak ``text`` with ``voice_id`` into a WAV inside ``workdir``."""


def check_request(text: str, speed: float) -> None:
    """Reject, before any work, a script with nothing to say or a speed no engine supports."""
    if not script_words(text):
        raise PermanentSpeechError(
            "speech_empty_text", "The script has no words to speak."
        )
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise PermanentSpeechError(
            "speech_invalid_speed",
            f"Speed must be between {MIN_SPEED} and {MAX_SPEED}, got {speed}.",
        )
