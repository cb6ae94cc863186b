"""API conventions every endpoint shares: error shape, trailing slashes, JSON 404/405, schema."""
import re
from io import StringIO

import pytest
from django.core.management import call_command

from reelmate.logging import attach_request_id, bind_request_id, bind_task_request_id, current_request_id
from reelmate.tests.test_user_isolation_structure import api_view_classes

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_a_json_404(auth_client):
    response = auth_client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"error": {"code": "not_found", "message": "No such resource."}}


def test_wrong_method_is_a_json_405(auth_client):
    response = auth_client.delete("/api/auth/me")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_unsupported_media_type_is_a_json_415(api_client):
    response = api_client.post("/api/auth/register", "<xml/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_malformed_json_is_a_json_400(api_client):
    response = api_client.post("/api/auth/register", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("path", ["/api/auth/register", "/api/auth/register/"])
def test_post_works_with_and_without_a_trailing_slash(api_client, path):
    response = api_client.post(path, {"email": f"x{len(path)}@example.com", "password": "a-Strong-passphrase-42"},
                               format="json")
    assert response.status_code == 202


def test_oversized_body_is_a_json_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api_client.post("/api/auth/register", {"email": "a@example.com", "password": "x" * 5000},
                               format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_every_response_carries_a_request_id(api_client):
    response = api_client.get("/api/health/live", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert len(api_client.get("/api/health/live")["X-Request-ID"]) == 32


def test_openapi_schema_and_offline_docs_are_served(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/auth/token" in schema.json()["paths"]
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()


def test_schema_generates_without_warnings():
    errors = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO(), stderr=errors)
    assert errors.getvalue() == ""


def test_a_task_carries_the_request_id_that_queued_it():
    token = bind_request_id("req-42")
    headers: dict = {}
    attach_request_id(headers=headers)
    bind_request_id("-")

    class Task:
        class request:
            request_id = headers["request_id"]

    bind_task_request_id(task=Task)
    assert current_request_id() == "req-42"
    bind_request_id("-")
    del token


def test_unknown_api_path_is_json_even_with_debug_on(auth_client, settings):
    settings.DEBUG = True  # Django then answers with its technical HTML page unless we step in
    response = auth_client.get("/api/ai-studio/generated-videos/not-a-uuid/download")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


GARBAGE_QUERY = ("?ordering=zzz&page=abc&page_size=-3&campaign=99999999999999999999999&status=bogus"
                 "&from=0001-01-01&to=9999-12-31&created_after=0001-01-01T00:00:00%2B01:00"
                 "&created_before=9999-12-31&start_after=9999-12-31&search=%00")


def test_every_api_route_survives_options_and_garbage_query_parameters(auth_client):
    checked = 0
    for route, _view in api_view_classes():
        # Path parameters become well-formed ids that match nothing: 0 for numbers, a nil UUID otherwise.
        path = "/" + re.sub(r"\(\?P<pk>\\d\+\)", "0", route)
        path = re.sub(r"\(\?P<\w+>[^)]*\)", "00000000-0000-0000-0000-000000000000", path)
        path = path.replace("^", "").replace("$", "").replace("/?", "")
        response = auth_client.options(path)
        assert response.status_code < 500, (path, response.status_code)
        response = auth_client.get(path + GARBAGE_QUERY)
        assert response.status_code < 500, (path, response.status_code)
        checked += 1
    assert checked > 20


def test_absurdly_nested_json_is_a_400(api_client):
    response = api_client.post("/api/auth/token", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(auth_client, settings):
    settings.MAX_REQUEST_BYTES = 1000
    response = auth_client.post("/api/campaigns", {"name": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_every_error_response_in_the_schema_is_the_one_error_shape(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    error = {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    operations = [(f"{method.upper()} {path}", operation) for path, item in schema["paths"].items()
                  for method, operation in item.items() if method != "parameters"]
    for name, operation in operations:
        responses = operation["responses"]
        for status, response in responses.items():
            if int(status) >= 400 and name != "GET /api/health/ready":  # readiness names the failing component
                assert response["content"]["application/json"]["schema"] == error, (name, status)
        if {"jwtAuth": []} in operation.get("security", []):
            assert "401" in responses, name
        if "{id}" in name:
            assert "404" in responses, name
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), name
    rate_limited = {name for name, operation in operations if "429" in operation["responses"]}
    limited_per_ip = {"POST /api/auth/register", "POST /api/auth/token", "POST /api/analytics/events"}
    # Every signed-in write is throttled per user but logging out and a template's preview (a read sent as POST).
    signed_in_writes = {name for name, operation in operations if not name.startswith("GET ")
                        and {"jwtAuth": []} in operation.get("security", [])}
    assert rate_limited == limited_per_ip | signed_in_writes - {
        "POST /api/auth/logout", "POST /api/ai-studio/prompt-templates/{id}/render"}
    assert {"POST /api/ai-studio/scripts/draft", "POST /api/campaigns", "DELETE /api/campaigns/{id}"} <= rate_limited
    # A plan's quota may refuse what queues jobs (generate-video, retry, a batch, its retry-failed, a
    # variant group) where waiting cannot help: no Retry-After then.
    may_omit_retry_after = {"POST /api/ai-studio/generate-video", "POST /api/ai-studio/generation-jobs/{id}/retry",
                            "POST /api/ai-studio/batches", "POST /api/ai-studio/batches/{id}/retry-failed",
                            "POST /api/ai-studio/variant-groups"}
    assert all(operation["responses"]["429"]["headers"]["Retry-After"].get("required", False)
               == (name not in may_omit_retry_after)
               for name, operation in operations if name in rate_limited)
    assert len(operations) > 30
