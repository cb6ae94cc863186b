"""The layouts a reel can have, as the API lists them: the renderer's own registry."""
import pytest

from ai_studio.generation.layout import LAYOUTS

pytestmark = pytest.mark.django_db


def test_the_layouts_are_listed_with_what_a_client_needs_to_offer_them(auth_client):
    response = auth_client.get("/api/ai-studio/layouts")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(LAYOUTS) == 3
    by_name = {item["name"]: item for item in body["results"]}
    assert set(by_name) == {"presenter", "product", "card"}
    assert by_name["product"]["needs_media"] is True
    assert by_name["presenter"]["needs_media"] is by_name["card"]["needs_media"] is False
    for item in body["results"]:
        assert item["title"] and item["description"]
        assert sorted(item["aspect_ratios"]) == ["16:9", "1:1", "4:5", "9:16"]
    # Leaving `layout` blank gives the presenter, or the product for a reel with media.
    assert sorted(by_name["presenter"]["default_for"]) == sorted(by_name["product"]["default_for"])
    assert len(by_name["presenter"]["default_for"]) == 4 and by_name["card"]["default_for"] == []


def test_the_layouts_need_a_signed_in_user_like_the_rest_of_the_catalog(api_client):
    response = api_client.get("/api/ai-studio/layouts/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_layouts_are_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"]["/api/ai-studio/layouts"]["get"]
    assert operation["summary"] == "Layouts a reel can have"
    item = schema["components"]["schemas"]["Layout"]
    assert set(item["properties"]) == {"name", "title", "description", "aspect_ratios", "needs_media", "default_for"}
