"""Asking the language model (OpenAI's chat API, through the ``openai`` SDK) for checked JSON.

One request to a user-facing endpoint makes at most ``SCRIPT_WRITER_MAX_ATTEMPTS`` calls, all
inside ``SCRIPT_WRITER_DEADLINE_SECONDS`` (below a web worker's timeout), each limited to
``OPENAI_SCRIPT_TIMEOUT``:

- a transient failure (429 rate limit, 5xx, 409, timeout, connection) is retried after an
  exponential backoff with jitter, as the generation pipeline retries its transient failures;
- an answer that fails the caller's checks (or is a refusal, or was cut short) is retried at once,
  with the problems sent back to the model as data;
- a permanent failure (bad credentials, no quota, a request the provider rejects) stops at once.

When no attempt succeeded, ``Unavailable`` (503) says why with a stable code (``CODES``). Every
call, successful or not, is recorded as a ``LanguageModelCall`` with its tokens, against the user.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.utils.crypto import salted_hmac

from ai_studio.generation.openai_errors import openai_failure
from ai_studio.models import LanguageModelCall, WriterPrompt
from ai_studio.selectors.script_writer import active_writer_prompt
from ai_studio.writing import prompts
from ai_studio.writing.checks import AnswerRejected
from reelmate.backoff import jittered_backoff
from reelmate.errors import Unavailable

if TYPE_CHECKING:
    import openai

logger = logging.getLogger(__name__)

T = TypeVar("T")
# A call is not started with less time than this left before the deadline.
MIN_CALL_SECONDS = 1.0

CODES = {
    "writer_unavailable": "No language model is configured on this server (OPENAI_API_KEY is not set).",
    "writer_rate_limited": "The language model provider is rate limiting us; try again in a minute.",
    "writer_timeout": "The language model took too long to answer; try again.",
    "writer_provider_unavailable": "The language model provider is unavailable; try again shortly.",
    "writer_auth_failed": "The language model provider refused this server's credentials; tell the administrator.",
    "writer_quota_exceeded": "This server's language model quota is used up; tell the administrator.",
    "writer_rejected": "The language model provider rejected the request; tell the administrator.",
    "writer_invalid_output": "The language model's answers did not pass the checks; try again, or change the "
                             "brief (see `problems`).",
    "writer_refused": "The language model declined to write this; change the brief and try again.",
}


def writer_available() -> bool:
    return bool(settings.OPENAI_API_KEY)


@dataclass(frozen=True)
class ModelAnswer(Generic[T]):
    """What the caller's check made of the accepted answer, and how it was obtained."""

    result: T
    model: str
    prompt_version: int | None  # None: the built-in instructions
    attempts: int


@dataclass(frozen=True)
class _Failure:
    code: str
    transient: bool


def ask_for_json(*, user, purpose: str, document: dict, schema_name: str, schema: dict,
                 check: Callable[[str | None], T]) -> ModelAnswer[T]:
    """The model's answer to ``document`` under the instructions for ``purpose``, as ``check`` returns it.

    ``check`` parses and validates the answer's text, raising ``AnswerRejected`` with its problems.
    Raises ``Unavailable`` (see the module docstring).
    """
    if not writer_available():
        raise Unavailable(CODES["writer_unavailable"], code="writer_unavailable")
    prompt = active_writer_prompt(purpose)
    instructions = prompt.text if prompt else prompts.DEFAULT_INSTRUCTIONS[purpose]
    import openai  # here, not at module level: ~40 MB (pydantic, httpx) a render worker never uses

    client = openai.OpenAI(api_key=settings.OPENAI_API_KEY, base_url=settings.OPENAI_BASE_URL,
                           timeout=settings.OPENAI_SCRIPT_TIMEOUT, max_retries=0)
    model = settings.OPENAI_SCRIPT_MODEL
    first_messages = prompts.messages(instructions, document)
    sent = first_messages
    deadline = time.monotonic() + settings.SCRIPT_WRITER_DEADLINE_SECONDS
    failure: _Failure | None = None
    problems: list[str] = []
    attempts = 0
    while attempts < settings.SCRIPT_WRITER_MAX_ATTEMPTS:
        remaining = deadline - time.monotonic()
        if remaining < MIN_CALL_SECONDS:
            break
        attempts += 1
        started = time.monotonic()
        call = LanguageModelCall(user=user, purpose=purpose, model=model, prompt=prompt, success=False)
        try:
            completion = client.chat.completions.create(
                model=model, messages=sent, response_format=prompts.response_format(schema_name, schema),
                timeout=min(settings.OPENAI_SCRIPT_TIMEOUT, remaining), safety_identifier=_safety_identifier(user),
            )
        except openai.OpenAIError as error:
            failure = _failure_for(error)
            _record(call, started, error_code=failure.code)
            logger.warning("language model call failed", extra={"purpose": purpose, "error_code": failure.code,
                                                                 "attempt": attempts})
            if not failure.transient:
                break
            _sleep_before_retry(attempts, deadline)
            continue
        _count_tokens(call, completion)
        choice = completion.choices[0]
        try:
            result = check(_answer_text(choice))
        except AnswerRejected as rejected:
            failure = _Failure("writer_refused" if choice.message.refusal else "writer_invalid_output", True)
            problems = rejected.problems
            _record(call, started, error_code=failure.code)
            sent = prompts.correction(first_messages, choice.message.content or "", problems)
            continue
        call.success = True
        _record(call, started)
        return ModelAnswer(result, model, prompt.version if prompt else None, attempts)
    raise _unavailable(failure, attempts, problems)


def _answer_text(choice) -> str | None:
    """The answer's text; a refusal or an answer cut short is rejected like an invalid one."""
    if choice.message.refusal:
        raise AnswerRejected([f"The model refused: {choice.message.refusal}"])
    if choice.finish_reason == "length":
        raise AnswerRejected(["The answer was cut off before it ended; keep it shorter."])
    return choice.message.content


def _unavailable(failure: _Failure | None, attempts: int, problems: list[str]) -> Unavailable:
    code = failure.code if failure else "writer_timeout"  # no attempt fitted in the deadline
    extra = {"attempts": attempts}
    if code in ("writer_invalid_output", "writer_refused"):
        extra["problems"] = problems
    return Unavailable(CODES[code], code=code, extra=extra)


def _failure_for(error: openai.OpenAIError) -> _Failure:
    """What an SDK error means for retrying: transient errors may clear, permanent ones will not."""
    failure = openai_failure(error)
    return _Failure(f"writer_{failure.reason}", failure.transient)


def backoff_seconds(attempt: int) -> float:
    return jittered_backoff(attempt, base=settings.SCRIPT_WRITER_RETRY_BASE_SECONDS,
                            cap=settings.SCRIPT_WRITER_RETRY_MAX_SECONDS)


def _sleep_before_retry(attempt: int, deadline: float) -> None:
    if attempt < settings.SCRIPT_WRITER_MAX_ATTEMPTS:
        time.sleep(max(0.0, min(backoff_seconds(attempt), deadline - time.monotonic() - MIN_CALL_SECONDS)))


def _count_tokens(call: LanguageModelCall, completion) -> None:
    usage = completion.usage
    if usage is not None:
        call.prompt_tokens, call.completion_tokens = usage.prompt_tokens or 0, usage.completion_tokens or 0
        call.total_tokens = usage.total_tokens or call.prompt_tokens + call.completion_tokens


def _record(call: LanguageModelCall, started: float, *, error_code: str = "") -> None:
    call.error_code = error_code
    call.latency_ms = round((time.monotonic() - started) * 1000)
    call.save()


def _safety_identifier(user) -> str:
    """A stable id for the user that reveals nothing about them (OpenAI uses it against abuse)."""
    return salted_hmac("ai_studio.language_model.safety_identifier", str(user.pk)).hexdigest()[:32]


def ensure_default_prompts() -> int:
    """Store the built-in instructions as version 1 of each purpose that has no version yet; returns how many."""
    created = 0
    for purpose, text in prompts.DEFAULT_INSTRUCTIONS.items():
        if not WriterPrompt.objects.filter(name=purpose).exists():
            publish_prompt_version(name=purpose, text=text, notes="The built-in default.")
            created += 1
    return created


def set_prompt_versions_active(versions: QuerySet[WriterPrompt], *, active: bool) -> int:
    """Switch versions on or off (the latest active one of a purpose is used); returns how many changed."""
    return versions.exclude(is_active=active).update(is_active=active)


def publish_prompt_version(*, name: str, text: str, created_by=None, notes: str = "",
                           is_active: bool = True) -> WriterPrompt:
    """A new version of the instructions for ``name`` (the next number); the latest active one is used."""
    latest = WriterPrompt.objects.filter(name=name).order_by("-version").values_list("version", flat=True).first()
    prompt = WriterPrompt(name=name, version=(latest or 0) + 1, text=text, notes=notes, is_active=is_active,
                          created_by=created_by)
    prompt.full_clean()
    prompt.save()
    return prompt
