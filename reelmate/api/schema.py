"""OpenAPI tweaks: paths as the seed wrote them, and the error bodies."""
from __future__ import annotations

from rest_framework import serializers


def strip_trailing_slashes(result, generator, request, public):
    """Routes accept both forms (`/?$`); document the seed's slash-less paths."""
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result["paths"].items()}
    return result


# --- Error bodies ------------------------------------------------------------------------------
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
