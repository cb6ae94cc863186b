"""OpenAPI tweaks: error responses documented from each view's traits, slash-less paths."""
from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions

from reelmate.api.errors import ERROR_SCHEMA
from reelmate.api.throttling import is_throttled

ERROR_COMPONENT = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, schema=ERROR_SCHEMA,
                                    object="reelmate.api.errors.ERROR_SCHEMA")
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "required": True,
                               "description": "Seconds to wait before trying again."}}
# Permissions that only ask for a signed-in user (401 covers them) or for nothing at all.
_PLAIN_PERMISSIONS = (permissions.AllowAny, permissions.IsAuthenticated)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the error responses each operation can really give.

    They follow from what the view is: authenticated (401), restricted beyond sign-in (403), about
    one object or a page of a list (404), taking a body or query parameters (400; 413 and 415 with
    a body), rate-limited by `limit_per_ip` or by a throttle that counts it (429; writes, per user).
    What a service decides (a 409, a 503, a quota's 429) cannot be derived: views declare those with
    `@extend_schema(responses={409: OpenApiResponse(...)})`, and get the error body here. Every
    error response is the one `Error` component.
    """

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        self.registry.register_on_missing(ERROR_COMPONENT)
        error = {"application/json": {"schema": ERROR_COMPONENT.ref}}
        responses = operation["responses"]
        for status, description in self.error_responses(operation).items():
            responses.setdefault(status, {"description": description})
        if "429" in responses:
            responses["429"].setdefault("headers", RETRY_AFTER)
        for status, response in responses.items():
            if status >= "400" and "content" not in response:
                response["content"] = error
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_responses(self, operation: dict) -> dict[str, str]:
        """Status → description of the errors this operation's view can answer by its nature."""
        located_in = {parameter["in"] for parameter in operation.get("parameters", [])}
        has_body = "requestBody" in operation
        errors = {}
        if has_body or "query" in located_in:
            errors["400"] = ("`validation_error` (each invalid field in `fields`), `parse_error` or another code: "
                             "the request is malformed or invalid.")
        if self.view.get_authenticators():
            errors["401"] = ("`not_authenticated` or `token_not_valid`: send a valid "
                             "`Authorization: Bearer <access token>`.")
        if any(not isinstance(permission, _PLAIN_PERMISSIONS) for permission in self.view.get_permissions()):
            errors["403"] = "`permission_denied`: you may not do this."
        not_found = []
        if "path" in located_in:
            not_found.append("no such object, or it is not yours")
        if self._is_list_view() and self._get_paginator():
            not_found.append("`page` is past the last page (`Invalid page.`)")
        if not_found:
            errors["404"] = f"`not_found`: {'; or '.join(not_found)}."
        if has_body:
            errors["413"] = "`payload_too_large` or `file_too_large`: the body, or a file in it, is too large."
            errors["415"] = "`unsupported_media_type`: send one of the request body's content types."
        if getattr(self._handler(), "rate_limit_setting", None):
            errors["429"] = ("`rate_limited`: too many requests from your address; retry after the `Retry-After` "
                             "header's seconds.")
        elif is_throttled(self.view, self.method):
            errors["429"] = ("`throttled`: too many requests from your account; retry after the `Retry-After` "
                             "header's seconds.")
        return errors

    def _handler(self):
        """The view method that answers this operation (a viewset's action, or get/post/...)."""
        return getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)


def strip_trailing_slashes(result, generator, request, public):
    """Routes accept both forms (`/?$`); document the seed's slash-less paths."""
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result["paths"].items()}
    return result
