"""One error shape for the whole API:

    {"error": {"code": "validation_error", "message": "...", "fields": {"email": ["..."]}}}

DRF exceptions go through `exception_handler`; error pages Django makes itself (unknown URL, a
crash) are turned into this shape for `/api/` paths by `JsonApiErrorPagesMiddleware`, and left as
Django's usual pages elsewhere.
"""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An error with its own code and status, raised by services and views alike."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request could not be processed."

    def __init__(self, message: str | None = None, *, code: str | None = None, status_code: int | None = None,
                 fields: dict | None = None, headers: dict | None = None):
        super().__init__(message or self.default_detail, code or self.default_code)
        if status_code:
            self.status_code = status_code
        self.error_code = code or self.default_code
        self.fields = fields or {}
        self.headers = headers or {}


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state of the resource."


class ServiceUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "A service this request needs is unavailable; try again shortly."


class RateLimited(ApiError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"
    default_detail = "Too many requests; slow down and retry after the time given in Retry-After."


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


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


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
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
    """Map Django and library exceptions onto API exceptions with the right status."""
    if isinstance(exc, Ratelimited):
        # django-ratelimit's block=True raises a PermissionDenied subclass; it means 429, not 403.
        return RateLimited(headers={"Retry-After": "60"})
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
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
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django logs it, JsonApiErrorPagesMiddleware answers JSON
    if isinstance(exc, ApiError):
        body = error_body(exc.error_code, str(exc.detail), exc.fields)
        for name, value in exc.headers.items():
            response[name] = value
    elif isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if not isinstance(fields, dict):
            fields = {"non_field_errors": fields}
        body = error_body("validation_error", "Some fields are invalid; see `fields`.", fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = error_body(code if isinstance(code, str) else "error", str(detail))
    response.data = body
    return response


# --- Errors raised outside DRF views ----------------------------------------------------------
def _is_api(request) -> bool:
    return request.path.startswith("/api/")


_PAGE_ERRORS = {
    400: ("bad_request", "The request could not be understood."),
    403: ("permission_denied", "You do not have permission to do this."),
    404: ("not_found", "No such resource."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("payload_too_large", "The request body is too large."),
}


class RequestBodyLimitMiddleware:
    """Refuse a body whose declared size is over MAX_REQUEST_BYTES before reading any of it
    (Django's own limits skip multipart files, which it would stream to disk first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.MAX_REQUEST_BYTES:
            limit_mb = settings.MAX_REQUEST_BYTES / 1024 / 1024
            return JsonResponse(error_body("payload_too_large", f"The request body is over {limit_mb:.0f} MB."),
                                status=413)
        return self.get_response(request)


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
