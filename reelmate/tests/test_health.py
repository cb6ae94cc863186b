"""Health: live is always up; ready reports each dependency and 503 when one is down."""
import pytest

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


def test_ready_is_503_when_redis_is_unreachable(api_client, settings):
    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_URL = unreachable
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": unreachable}}
    response = api_client.get("/api/health/ready")
    assert response.status_code == 503
    components = response.json()["components"]
    assert components["broker"]["status"] == "down"
    assert components["cache"]["status"] == "down"
    assert components["database"]["status"] == "up"
