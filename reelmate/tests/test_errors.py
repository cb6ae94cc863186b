"""Domain errors become API answers in one place: the status by kind, the body and headers from the error."""
import pytest
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from reelmate import errors


def answer_to(error: Exception, *, authenticated_view: bool = False):
    """What the API answers when a view raises ``error``."""

    class Failing(APIView):
        permission_classes: list = []

        def get(self, request):
            raise error

    if not authenticated_view:
        Failing.authentication_classes = []
    return Failing.as_view()(APIRequestFactory().get("/api/anything"))


@pytest.mark.parametrize(("error", "status"), [
    (errors.Invalid(fields={"email": ["Taken."]}), 400),
    (errors.Unauthenticated(), 401),
    (errors.PermissionDenied(), 403),
    (errors.NotFound(), 404),
    (errors.Conflict(), 409),
    (errors.TooLarge(), 413),
    (errors.LimitExceeded(), 429),
    (errors.RateLimited(), 429),
    (errors.QuotaExceeded(), 429),
    (errors.Unavailable(), 503),
    (errors.ApplicationError(), 400),
])
def test_each_kind_of_error_has_its_status_and_default_code(error, status):
    response = answer_to(error, authenticated_view=True)
    assert response.status_code == status
    assert response.data["error"]["code"] == type(error).default_code
    assert response.data["error"]["message"] == type(error).default_message


def test_the_body_carries_code_message_fields_and_extra_data():
    error = errors.Conflict("From draft a campaign can go to: active.", code="invalid_status_transition",
                            fields={"status": ["Allowed next statuses: active."]}, extra={"current": "draft"})
    assert answer_to(error).data == {"error": {
        "code": "invalid_status_transition", "message": "From draft a campaign can go to: active.",
        "fields": {"status": ["Allowed next statuses: active."]}, "current": "draft",
    }}


def test_no_fields_key_without_field_errors():
    assert answer_to(errors.Unavailable("Storage is down.", code="storage_unavailable")).data == {
        "error": {"code": "storage_unavailable", "message": "Storage is down."}}


def test_extra_data_cannot_replace_the_errors_own_keys():
    with pytest.raises(ValueError, match="code"):
        errors.Conflict("x", extra={"code": "other"})


def test_a_limit_with_a_retry_after_answers_the_header():
    response = answer_to(errors.RateLimited(retry_after=42))
    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert "Retry-After" not in answer_to(errors.LimitExceeded())


def test_a_new_kind_of_limit_inherits_status_and_header_and_adds_its_data():
    class QuotaExceeded(errors.LimitExceeded):
        default_code = "quota_exceeded"

    response = answer_to(QuotaExceeded("Monthly videos used up.", retry_after=3600.5,
                                       extra={"limit": "videos_per_month"}))
    assert response.status_code == 429
    assert response["Retry-After"] == "3601"
    assert response.data["error"] == {"code": "quota_exceeded", "message": "Monthly videos used up.",
                                      "limit": "videos_per_month"}


def test_unauthenticated_names_the_views_scheme_like_drf_does():
    response = answer_to(errors.Unauthenticated("Token is invalid", code="token_not_valid"),
                         authenticated_view=True)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    # Without a scheme to name, a 401 is not allowed: DRF answers 403, and so do we.
    assert answer_to(errors.Unauthenticated()).status_code == 403



def test_a_plans_quota_is_a_429_naming_the_limit_with_retry_after():
    response = answer_to(errors.QuotaExceeded("No more today.", retry_after=3600, extra={"limit": "jobs_per_day"}))
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert response.data["error"] == {"code": "quota_exceeded", "message": "No more today.", "limit": "jobs_per_day"}


def test_a_drf_throttle_keeps_its_code_and_asks_back_no_earlier_than_allowed():
    response = answer_to(exceptions.Throttled(wait=12.2))
    assert response.status_code == 429
    assert response["Retry-After"] == "13"
    assert response.data["error"]["code"] == "throttled"
