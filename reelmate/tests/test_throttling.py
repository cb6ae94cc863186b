"""Per-user request rates on write endpoints: over the rate, 429 `throttled` with Retry-After in the
one error shape; other users and reads are unaffected. Rates: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""
import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"writes": "2/m", "generation": "1/m", "scripts": "1/m"}}


def create_campaign(client, name="Spring"):
    return client.post("/api/campaigns", {"name": name}, format="json")


def test_writes_over_the_rate_are_refused_with_retry_after(auth_client, tiny_rates):
    assert [create_campaign(auth_client).status_code for _ in range(2)] == [201, 201]
    refused = create_campaign(auth_client)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60


def test_one_users_writes_do_not_throttle_another_user(auth_client, other_client, tiny_rates):
    for _ in range(3):
        create_campaign(auth_client)
    assert create_campaign(other_client).status_code == 201


def test_reads_are_never_throttled(auth_client, tiny_rates):
    for _ in range(3):
        create_campaign(auth_client)
    assert [auth_client.get("/api/campaigns").status_code for _ in range(5)] == [200] * 5


def test_every_throttled_write_documents_its_429_and_retry_after(api_client):
    operations = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    create = operations["/api/campaigns"]["post"]["responses"]
    assert create["429"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    assert "`throttled`" in create["429"]["description"]
    assert create["429"]["headers"]["Retry-After"]["required"] is True
    assert "429" in operations["/api/campaigns/{id}"]["delete"]["responses"]
    assert "429" not in operations["/api/campaigns"]["get"]["responses"]
    assert "`rate_limited`" in operations["/api/auth/register"]["post"]["responses"]["429"]["description"]  # per IP
    assert "429" not in operations["/api/ai-studio/prompt-templates/{id}/render"]["post"]["responses"]  # a read
