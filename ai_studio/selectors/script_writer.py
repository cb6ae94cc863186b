"""Reads for the script writer: the instructions in force, and what a user's calls to the model used."""
from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from ai_studio.models import LanguageModelCall, WriterPrompt


def active_writer_prompt(purpose: str) -> WriterPrompt | None:
    """The latest active version of the instructions for ``purpose``; None: use the built-in default."""
    return WriterPrompt.objects.filter(name=purpose, is_active=True).order_by("-version").first()


def language_model_usage(user, *, since: datetime | None = None) -> dict[str, int]:
    """The user's calls to the language model (all, or since a moment) and the tokens they used.

    What per-user limits count: ``{"calls", "prompt_tokens", "completion_tokens", "total_tokens"}``,
    failed calls included (a provider bills the tokens of an answer the checks rejected).
    """
    calls = LanguageModelCall.objects.filter(user=user)
    if since is not None:
        calls = calls.filter(created_at__gte=since)
    return calls.aggregate(
        calls=Count("pk"),
        **{name: Coalesce(Sum(name), 0) for name in ("prompt_tokens", "completion_tokens", "total_tokens")},
    )
