"""One error shape for the whole API:

    {"error": {"code": "validation_error", "message": "...", "fields": {"email": ["..."]}}}

Domain errors (``reelmate.errors``) get their status here, in ``STATUS_FOR``, and nowhere else.
DRF exceptions (request-shape validation in serializers, authentication) and Django's own
(Http404, PermissionDenied, ValidationError from ``full_clean``) go through `exception_handler`
too; error pages Django makes itself (unknown URL, a crash) are turned into this shape for
`/api/` paths by `JsonApiErrorPagesMiddleware`, and left as Django's usual pages elsewhere.
"""
from __future__ import annotations

import logging
import math

from django import db
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from reelmate import errors

logger = logging.getLogger(__name__)

# The HTTP status of each kind of domain error; a subclass takes its nearest listed ancestor's.
STATUS_FOR: dict[type[errors.ApplicationError], int] = {
    errors.ApplicationError: status.HTTP_400_BAD_REQUEST,
    errors.Invalid: status.HTTP_400_BAD_REQUEST,
    errors.Unauthenticated: status.HTTP_401_UNAUTHORIZED,
    errors.PermissionDenied: status.HTTP_403_FORBIDDEN,
    errors.NotFound: status.HTTP_404_NOT_FOUND,
    errors.Conflict: status.HTTP_409_CONFLICT,
    errors.TooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    errors.LimitExceeded: status.HTTP_429_TOO_MANY_REQUESTS,
    errors.Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}

# What django-ratelimit's own refusals (block=True) ask a client to wait: its rates are per minute.
RATELIMITED_RETRY_AFTER_SECONDS = 60


def status_for(error: errors.ApplicationError) -> int:
    return next(STATUS_FOR[kind] for kind in type(error).__mro__ if kind in STATUS_FOR)


def headers_for(error: errors.ApplicationError, context: dict) -> dict[str, str]:
    """Headers that the error's data implies."""
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(math.ceil(error.retry_after))
    if isinstance(error, errors.Unauthenticated):
        # As DRF does for its own 401s: name the scheme the view accepts.
        view, request = context.get("view"), context.get("request")
        challenge = view.get_authenticate_header(request) if view is not None and request is not None else None
        if challenge:
            headers["WWW-Authenticate"] = challenge
    return headers


# The shape above as an OpenAPI schema: the one `Error` component every error response refers to
# (see reelmate.api.schema).
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API answers, whatever its status.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Machine-readable: `validation_error`, `not_found`, "
                                                          "`not_authenticated`, `rate_limited`, `conflict`..."},
                "message": {"type": "string", "description": "For people."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "With `validation_error` (and some conflicts): each invalid field's messages, "
                                   "a list of strings, or the same shape again for a nested field.",
                },
            },
            "required": ["code", "message"],
        },
    },
    "required": ["error"],
}


def error_body(code: str, message: str, fields: dict | None = None, extra: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra or {})
    return {"error": body}


def _flatten(detail) -> list[str] | dict:
    """DRF error details → plain strings (lists) or nested dicts of them."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def _translate(exc: Exception) -> Exception:
    """Map Django and library exceptions onto domain or DRF exceptions."""
    if isinstance(exc, Ratelimited):
        # django-ratelimit's block=True raises a PermissionDenied subclass; it means 429, not 403.
        return errors.RateLimited(retry_after=RATELIMITED_RETRY_AFTER_SECONDS)
    if isinstance(exc, exceptions.Throttled):
        # A per-user throttle (reelmate.api.throttling): DRF's code, `throttled`, and Retry-After rounded
        # up (DRF's own rounds down, asking the client back a moment too early).
        return errors.RateLimited(code="throttled", retry_after=exc.wait)
    if isinstance(exc, RequestDataTooBig):
        return errors.TooLarge()
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exc


def exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _translate(exc)
    if isinstance(exc, errors.ApplicationError):
        return _application_error_response(exc, context)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django logs it, JsonApiErrorPagesMiddleware answers JSON
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        body = error_body("validation_error", "Some fields are invalid; see `fields`.", fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if isinstance(detail, dict) and {"detail", "code"} <= detail.keys():  # simplejwt's token errors
            detail, code = detail["detail"], str(detail["code"])
        body = error_body(code if isinstance(code, str) else "error", str(detail))
    response.data = body
    return response


def _application_error_response(error: errors.ApplicationError, context: dict) -> Response:
    set_rollback()  # as DRF does for the errors it handles: an atomic request is rolled back
    status_code = status_for(error)
    headers = headers_for(error, context)
    if status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in headers:
        status_code = status.HTTP_403_FORBIDDEN  # a 401 must name a scheme; DRF answers 403 without one
    return Response(error_body(error.code, error.message, error.fields, error.extra), status=status_code,
                    headers=headers)


# --- Errors raised outside DRF views ----------------------------------------------------------
def _is_api(request) -> bool:
    return request.path.startswith("/api/")


_PAGE_ERRORS = {
    400: ("bad_request", "The request could not be understood."),
    403: ("permission_denied", "You do not have permission to do this."),
    404: ("not_found", "No such resource."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: (errors.TooLarge.default_code, errors.TooLarge.default_message),
}


class RequestBodyLimitMiddleware:
    """Refuse a body whose declared size is over the limit before reading any of it (Django's own
    limits skip multipart files, which it would stream to disk first).

    The limit is MAX_REQUEST_BYTES, unless the view's class declares its own with a
    ``request_body_limit()`` class method (the media library's upload, which takes video clips).
    The check runs once the URL is resolved and before any view reads the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_limit = getattr(getattr(view_func, "cls", None), "request_body_limit", None)
        limit = view_limit() if view_limit is not None else settings.MAX_REQUEST_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            message = f"The request body is over {limit / 1024 / 1024:.0f} MB."
            return JsonResponse(error_body(errors.TooLarge.default_code, message), status=413)
        return None


class JsonApiErrorPagesMiddleware:
    """Django answers unmatched URLs and crashes with HTML pages (technical debug pages when DEBUG
    is on). Under /api/ every error is JSON: this is the one place that turns such pages into it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code < 400 or not _is_api(request)
                or response.get("Content-Type", "").startswith("application/json")):
            return response
        code, message = _PAGE_ERRORS.get(
            response.status_code, ("server_error", "Something went wrong on our side; it has been logged."))
        replacement = JsonResponse(error_body(code, message), status=response.status_code)
        for header in ("Retry-After", "Allow"):
            if header in response:
                replacement[header] = response[header]
        return replacement


# --- The database went away -------------------------------------------------------------------
DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = ("database_unavailable", "The database is unavailable; try again in a few seconds.")


class DatabaseUnavailableMiddleware:
    """A lost database connection (server restarting, failing over) is a 503 with Retry-After, not a
    500: JSON under /api/ (DRF views re-raise what they do not handle, so this covers them too),
    plain text elsewhere. Django closes the broken connection when the request ends, and the next
    request reconnects (CONN_HEALTH_CHECKS): no restart is needed once the server is back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (db.OperationalError, db.InterfaceError)):
            return None
        logger.warning("database unavailable: %s", exception)
        code, message = DATABASE_UNAVAILABLE
        if _is_api(request):
            response = JsonResponse(error_body(code, message), status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain")
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
