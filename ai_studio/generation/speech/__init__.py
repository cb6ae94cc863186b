"""Speech stage: text -> mono 16-bit WAV + per-word timings.

Providers implement :class:`SpeechProvider`; :func:`get_provider` builds one by name. Failures are
raised as :class:`TransientSpeechError` (worth retrying later) or :class:`PermanentSpeechError`
(retrying cannot help), each with a stable ``code`` the pipeline records.

Modules, one concept each:
    provider.py        the provider protocol, VoiceInfo, and the request checks every provider makes
    errors.py          the speech errors
    text.py            a script's words, and chunks cut at sentence boundaries
    timing.py          word timings estimated, or filled in around the ones an engine reported
    audio.py           samples in memory (Spoken) and WAV files
    local.py           the offline provider, speaking with one of two engines:
    piper_engine.py      Piper neural voices, with each phoneme's exact timing
    piper_split.py         the voice model cut at its decoder, decoded in windows of bounded memory
    sentence_cache.py      the sentences a Piper voice synthesised, kept on disk to be reused
    espeak_engine.py     eSpeak NG through ctypes, for more languages
    openai_tts.py      the OpenAI audio API provider
    phonemizer.py      phoneme timings for speech whose engine reports only words
"""

from __future__ import annotations

from .errors import PermanentSpeechError, SpeechError, TransientSpeechError
from .provider import SpeechProvider, VoiceInfo

__all__ = [
    "PermanentSpeechError",
    "SpeechError",
    "SpeechProvider",
    "TransientSpeechError",
    "VoiceInfo",
    "get_provider",
]


def get_provider(name: str, **config: object) -> SpeechProvider:
    """Build the provider called ``name`` ("local" or "openai") with its constructor ``config``."""
    # Imported lazily so that choosing one provider never loads the other's heavy dependencies.
    if name == "local":
        from .local import LocalSpeechProvider

        return LocalSpeechProvider(**config)
    if name == "openai":
        from .openai_tts import OpenAISpeechProvider

        return OpenAISpeechProvider(**config)
    raise PermanentSpeechError(
        "speech_provider_unknown", f"No speech provider called {name!r}."
    )
