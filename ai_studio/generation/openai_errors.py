"""What an OpenAI SDK error means for the caller: a stable reason, and whether retrying may help.

One reading of the SDK's errors for every caller (speech synthesis here in the engine, the script
writer in ``ai_studio.services.language_model``), each prefixing the reason with its own domain
(``speech_timeout``, ``writer_timeout``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import openai


@dataclass(frozen=True)
class OpenAIFailure:
    # rate_limited, quota_exceeded, timeout, provider_unavailable, auth_failed, rejected
    reason: str
    transient: bool  # the same request may succeed later


def openai_failure(error: openai.OpenAIError) -> OpenAIFailure:
    import openai  # its callers have it loaded already; importing it here keeps it out of render workers

    if isinstance(error, openai.RateLimitError):
        if getattr(error, "code", None) == "insufficient_quota":
            return OpenAIFailure("quota_exceeded", False)  # the account is out of credit: waiting won't help
        return OpenAIFailure("rate_limited", True)
    if isinstance(error, openai.APITimeoutError):
        return OpenAIFailure("timeout", True)
    if isinstance(error, openai.APIConnectionError):
        return OpenAIFailure("provider_unavailable", True)
    if isinstance(error, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return OpenAIFailure("auth_failed", False)
    if isinstance(error, openai.APIStatusError) and (error.status_code >= 500 or error.status_code == 409):
        return OpenAIFailure("provider_unavailable", True)  # 409: a conflict that may clear
    return OpenAIFailure("rejected", False)  # 400, 404, 422, an answer the SDK cannot read: the request is wrong
