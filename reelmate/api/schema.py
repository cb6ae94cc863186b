"""OpenAPI tweaks: paths as the seed wrote them, the error bodies, and the 429 of throttled writes."""
from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from reelmate.api.throttling import UserWriteThrottle


def strip_trailing_slashes(result, generator, request, public):
    """Routes accept both forms (`/?$`); document the seed's slash-less paths."""
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result["paths"].items()}
    return result


# --- Error bodies and the 429 every throttled write may answer ---------------------------------
class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable and machine-readable, e.g. `validation_error`.")
    message = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="Per-field messages, when fields are at fault.")


class LimitErrorDetailSerializer(ErrorDetailSerializer):
    limit = serializers.CharField(required=False, help_text="With `quota_exceeded`: which limit of your plan "
                                                            "is reached (as named by GET /api/usage).")


class LimitErrorSerializer(serializers.Serializer):
    """A 429: `rate_limited` (too many requests; wait Retry-After seconds) or `quota_exceeded`."""

    error = LimitErrorDetailSerializer()


RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429],
    description="Seconds after which trying again may work (absent when waiting cannot help).")

RATE_LIMITED_RESPONSE = OpenApiResponse(
    LimitErrorSerializer, description="`rate_limited`: too many writes in a short time (per user); retry after "
                                      "the seconds in Retry-After.")


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the 429 (and its Retry-After) on every throttled write."""

    def is_throttled(self) -> bool:
        return (self.method not in SAFE_METHODS and bool(getattr(self.view, "throttle_scope", None))
                and any(issubclass(throttle, UserWriteThrottle) for throttle in self.view.throttle_classes))

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        return [*parameters, RETRY_AFTER_HEADER] if self.is_throttled() else parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.is_throttled() and "429" not in responses:
            responses["429"] = self._get_response_for_code(RATE_LIMITED_RESPONSE, "429", direction=direction)
        return responses
