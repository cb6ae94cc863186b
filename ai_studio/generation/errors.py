"""The engine's one error type: a stable machine-readable `code`, a `message` for people, and
whether trying again later can help (`transient`). Every stage raises a subclass of it."""
from __future__ import annotations


class GenerationError(Exception):
    transient = False  # True: worth retrying later (rate limits, outages, storage hiccups)

    def __init__(self, code: str, message: str) -> None:
        # Both go to Exception.args so the error pickles (Celery ships errors between processes).
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class TransientError(GenerationError):
    transient = True
