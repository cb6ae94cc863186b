"""Generation requests (generate-video, cancel, retry) share one per-user rate, `generation`; and
the API documents its 429s and the usage endpoint."""
import pytest

pytestmark = pytest.mark.django_db


def test_generate_cancel_and_retry_share_the_generation_rate(generate, auth_client, other_client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "generation": "2/m"}}
    job_id = generate().json()["id"]
    assert auth_client.post(f"/api/ai-studio/generation-jobs/{job_id}/cancel").status_code == 200
    refused = auth_client.post(f"/api/ai-studio/generation-jobs/{job_id}/retry")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert generate().status_code == 429
    assert generate(client=other_client).status_code == 202
    assert auth_client.get(f"/api/ai-studio/generation-status/{job_id}").status_code == 200


@pytest.fixture
def schema(api_client) -> dict:
    return api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


@pytest.mark.parametrize("path", ["/api/ai-studio/generate-video", "/api/ai-studio/generation-jobs/{id}/retry"])
def test_quota_refusals_are_documented_with_their_limit_and_retry_after(schema, path):
    refused = schema["paths"][path]["post"]["responses"]["429"]
    assert "quota_exceeded" in refused["description"] and "`throttled`" in refused["description"]
    body = refused["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/Error"
    assert body["examples"]["QuotaExceeded"]["value"]["error"]["limit"] == "jobs_per_day"
    assert not refused["headers"]["Retry-After"].get("required")  # absent where waiting cannot help


def test_the_usage_endpoint_is_documented(schema):
    usage = schema["paths"]["/api/usage"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert usage["$ref"] == "#/components/schemas/Usage"
    limits = schema["components"]["schemas"]["Limits"]["properties"]
    assert set(limits) == {"concurrent_jobs", "jobs_per_day", "video_minutes_per_month", "script_characters",
                           "retries_per_job"}
