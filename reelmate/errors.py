"""What went wrong, in the domain's words: the errors services raise.

A service raises one of these whoever calls it (an API view, a Celery task, a management command,
a webhook handler), so none of them imports an HTTP framework. Each carries:

- ``message``: for the person who caused it, in plain words;
- ``code``: stable and machine-readable (``"campaign_archived"``); each class has a default;
- ``fields``: optional per-field messages, ``{"status": ["..."]}``;
- ``extra``: optional further data about this error (``{"limit": "videos_per_month"}``);
- ``retry_after``: optional seconds after which the same request may work (a limit resets, a
  dependency is expected back).

The class says what kind of failure it is; ``reelmate.api.errors`` is the one place that turns a
kind into an HTTP status, and the error's data into the JSON body
(``{"error": {"code", "message", "fields"?, **extra}}``) and headers (``Retry-After``).
"""
from __future__ import annotations

# Keys of the JSON error body that the error's own attributes fill; ``extra`` may not replace them.
RESERVED_KEYS = frozenset({"code", "message", "fields"})


class ApplicationError(Exception):
    """Base of the domain errors; raise a subclass, which says what kind of failure it is."""

    default_code = "bad_request"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 fields: dict[str, list[str]] | None = None, extra: dict | None = None,
                 retry_after: int | None = None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.fields = dict(fields or {})
        self.extra = dict(extra or {})
        self.retry_after = retry_after
        clashing = RESERVED_KEYS & self.extra.keys()
        if clashing:
            raise ValueError(f"extra may not set {', '.join(sorted(clashing))}: they are the error's own")
        super().__init__(self.message)


class Invalid(ApplicationError):
    """The input breaks a rule; ``fields`` says which field and why."""

    default_code = "validation_error"
    default_message = "Some fields are invalid; see `fields`."


class Unauthenticated(ApplicationError):
    """Who is asking could not be established (a bad or expired credential)."""

    default_code = "authentication_failed"
    default_message = "Incorrect authentication credentials."


class PermissionDenied(ApplicationError):
    """The caller is known but may not do this (another user's object is NotFound, not this)."""

    default_code = "permission_denied"
    default_message = "You do not have permission to do this."


class NotFound(ApplicationError):
    """The thing asked for does not exist, or is not the caller's to see."""

    default_code = "not_found"
    default_message = "No such resource."


class Conflict(ApplicationError):
    """The request is fine but the current state of things forbids it."""

    default_code = "conflict"
    default_message = "The request conflicts with the current state of the resource."


class TooLarge(ApplicationError):
    """What was sent is over a size limit."""

    default_code = "payload_too_large"
    default_message = "The request body is too large."


class LimitExceeded(ApplicationError):
    """A usage limit is reached; ``retry_after`` (seconds), when known, says when trying again may work."""

    default_code = "limit_exceeded"
    default_message = "A usage limit is reached; try again later."


class RateLimited(LimitExceeded):
    """Too many requests in a short time."""

    default_code = "rate_limited"
    default_message = "Too many requests; slow down and retry after the time given in Retry-After."


class QuotaExceeded(LimitExceeded):
    """The user's plan does not allow this now; ``extra["limit"]`` names the limit reached."""

    default_code = "quota_exceeded"
    default_message = "Your plan's limit is reached."


class Unavailable(ApplicationError):
    """Something this needs (storage, a provider) is down; the same request may work shortly."""

    default_code = "service_unavailable"
    default_message = "A service this request needs is unavailable; try again shortly."
