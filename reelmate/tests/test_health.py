"""Health: live is always up; ready reports each dependency, and answers 503 only when the
instance cannot serve at all (no database); other components that are down are named as degraded."""
import pytest
from django.db import connection

from reelmate.settings import s3_storage_backend
from testkit import free_port

pytestmark = pytest.mark.django_db


def test_live_needs_no_auth(api_client):
    response = api_client.get("/api/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_every_component_up(api_client):
    response = api_client.get("/api/health/ready")
    assert response.status_code == 200, response.json()
    components = response.json()["components"]
    assert set(components) == {"database", "broker", "cache", "storage"}
    assert all(component["status"] == "up" for component in components.values())
    assert (response.json()["status"], response.json()["degraded"]) == ("ok", [])


def test_ready_stays_200_and_names_the_degraded_components_when_redis_is_unreachable(api_client, settings):
    """Every instance sees a Redis outage at once: answering 503 would empty the load balancer,
    although the API works without Redis (see test_redis_outage)."""
    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_URL = unreachable
    settings.CACHES = {"default": {"BACKEND": "reelmate.cache.DegradingRedisCache", "LOCATION": unreachable}}
    response = api_client.get("/api/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["degraded"]) == ("degraded", ["broker", "cache"])
    components = body["components"]
    assert components["broker"]["status"] == "down"
    assert components["cache"]["status"] == "down"
    assert components["database"]["status"] == "up"


@pytest.fixture
def database_down(transactional_db):
    """The test's database connection points at a port where nothing listens, as while the server
    restarts; restored afterwards."""
    config = connection.settings_dict
    saved = config["HOST"], config["PORT"]
    connection.close()
    config["HOST"], config["PORT"] = "127.0.0.1", str(free_port())
    yield
    connection.close()
    config["HOST"], config["PORT"] = saved


def test_ready_is_503_when_the_database_is_down(api_client, database_down):
    response = api_client.get("/api/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["components"]["database"]["status"] == "down"
    assert body["degraded"] == []  # the other components are fine


def test_without_a_database_the_api_answers_json_503_and_other_pages_plain_503(api_client, database_down):
    api = api_client.post("/api/auth/token", {"email": "someone@example.com", "password": "whatever-it-is"},
                          format="json")
    page = api_client.get("/v/some-share-token")
    assert (api.status_code, api.json()["error"]["code"], api["Retry-After"]) == (503, "database_unavailable", "5")
    assert (page.status_code, page["Content-Type"], page["Retry-After"]) == (503, "text/plain", "5")


def test_the_storage_check_is_a_read_remembered_for_a_few_seconds(api_client, settings, s3_server):
    settings.HEALTH_STORAGE_CHECK_SECONDS = 3600
    assert api_client.get("/api/health/ready").json()["components"]["storage"]["status"] == "up"
    listed_before = s3_server.client().list_objects_v2(Bucket=s3_server.bucket).get("KeyCount", 0)

    s3_server.pause()  # storage freezes: within the period the remembered answer is given, at once
    try:
        repeated = [api_client.get("/api/health/ready").json()["components"]["storage"] for _ in range(3)]
    finally:
        s3_server.resume()

    assert [component["status"] for component in repeated] == ["up", "up", "up"]
    assert s3_server.client().list_objects_v2(Bucket=s3_server.bucket).get("KeyCount", 0) == listed_before


def test_storage_that_is_down_degrades_readiness_without_failing_it(api_client, settings, s3_server):
    settings.HEALTH_STORAGE_CHECK_SECONDS = 0  # probe on every call
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_backend(
        bucket=s3_server.bucket, endpoint_url=f"http://127.0.0.1:{free_port()}", access_key=s3_server.access_key,
        secret_key=s3_server.secret_key, region=s3_server.region, expire=60, connect_timeout=1, max_attempts=1)}
    response = api_client.get("/api/health/ready")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["degraded"]) == ("degraded", ["storage"])
