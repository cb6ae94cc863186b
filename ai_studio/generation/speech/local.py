"""Offline speech: the local provider, its voices, and the engine that speaks each of them.

A Piper voice (``piper_engine``) is natural and times every phoneme exactly; an eSpeak NG voice
(``espeak_engine``) is robotic but speaks more languages and reports when each word starts.
"""

from __future__ import annotations

from pathlib import Path

from ..types import SpeechResult
from .audio import write_wav
from .errors import PermanentSpeechError
from .espeak_engine import ESPEAK_VOICE_NAMES, speak_with_espeak
from .piper_engine import PIPER_MODELS, speak_with_piper
from .provider import VoiceInfo, check_request
from .sentence_cache import SentenceCache

DEFAULT_VOICE = "en_US-joe-medium"

LOCAL_VOICES: dict[str, VoiceInfo] = {
    "en_US-joe-medium": {
        "id": "en_US-joe-medium",
        "label": "Joe (US English, natural)",
        "language": "en-US",
        "gender": "male",
        "engine": "piper",
    },
    "espeak:en-us": {
        "id": "espeak:en-us",
        "label": "eSpeak US English (robotic)",
        "language": "en-US",
        "gender": "male",
        "engine": "espeak-ng",
    },
    "espeak:en-gb": {
        "id": "espeak:en-gb",
        "label": "eSpeak British English (robotic)",
        "language": "en-GB",
        "gender": "male",
        "engine": "espeak-ng",
    },
    "espeak:es": {
        "id": "espeak:es",
        "label": "eSpeak Spanish (robotic)",
        "language": "es-ES",
        "gender": "male",
        "engine": "espeak-ng",
    },
    "espeak:fr": {
        "id": "espeak:fr",
        "label": "eSpeak French (robotic)",
        "language": "fr-FR",
        "gender": "male",
        "engine": "espeak-ng",
    },
    "espeak:de": {
        "id": "espeak:de",
        "label": "eSpeak German (robotic)",
        "language": "de-DE",
        "gender": "male",
        "engine": "espeak-ng",
    },
}


class LocalSpeechProvider:
    """Offline speech with exact word timings (``timing_source`` "alignment" or "engine_events").

    With a ``cache``, the Piper voices reuse the sentences they already spoke with the same settings
    (``sentence_cache``); eSpeak NG speaks a script in a few ms and is not cached.
    """

    name = "local"

    def __init__(self, cache: SentenceCache | None = None) -> None:
        self.cache = cache

    def synthesize(self, text: str, voice_id: str, workdir: Path, speed: float = 1.0) -> SpeechResult:
        check_request(text, speed)
        if voice_id in PIPER_MODELS:
            spoken = speak_with_piper(text, voice_id, speed, self.cache)
        elif voice_id in ESPEAK_VOICE_NAMES:
            spoken = speak_with_espeak(text, voice_id, speed)
        else:
            raise PermanentSpeechError("speech_unknown_voice", f"No local voice called {voice_id!r}.")
        if spoken.samples.size == 0:
            raise PermanentSpeechError("speech_no_audio", "The voice produced no audio for this script.")
        workdir.mkdir(parents=True, exist_ok=True)
        audio_path = workdir / "speech.wav"
        duration = write_wav(audio_path, spoken.samples, spoken.sample_rate)
        return SpeechResult(
            audio_path=audio_path,
            sample_rate=spoken.sample_rate,
            duration=duration,
            words=spoken.words,
            timing_source=spoken.timing_source,
            provider=self.name,
            phonemes=spoken.phonemes,
        )
