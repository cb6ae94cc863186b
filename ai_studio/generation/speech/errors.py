"""Speech failures: each has a stable ``code`` the pipeline records, and says whether retrying
later can help."""

from __future__ import annotations

from ..errors import GenerationError


class SpeechError(GenerationError):
    """A speech failure with a stable machine-readable ``code`` and a human ``message``."""


class TransientSpeechError(SpeechError):
    """Worth retrying later: rate limits, provider 5xx, timeouts, connection failures."""

    transient = True


class PermanentSpeechError(SpeechError):
    """Retrying cannot help: unknown voice, unusable input, rejected credentials."""
