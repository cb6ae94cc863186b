"""Campaign CRUD: what a client sends, what it gets back, and what is refused."""
import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Spring Drop",
    "description": "New running shoes",
    "objective": "conversions",
    "platforms": ["tiktok", "instagram_reels", "tiktok"],
    "target_audience": "Runners 25-40",
    "call_to_action": "Shop now",
    "call_to_action_url": "https://shop.example.com/spring",
    "brand_primary_color": "#ff5a1f",
    "brand_secondary_color": "#101820",
    "aspect_ratio": "4:5",
    "budget": "1500.50",
    "currency": "eur",
    "start_date": "2026-03-01",
    "end_date": "2026-03-31",
    "tags": ["Spring", " spring ", "Running  Shoes"],
}


def create(client, **overrides):
    return client.post("/api/campaigns", VALID | overrides, format="json")


def test_create_returns_the_campaign_as_a_draft_with_normalised_fields(auth_client, user):
    response = create(auth_client)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["platforms"] == ["tiktok", "instagram_reels"]
    assert body["tags"] == ["spring", "running shoes"]
    assert body["brand_primary_color"] == "#FF5A1F"
    assert body["currency"] == "EUR"
    assert body["budget"] == "1500.50"
    assert body["brand_logo_url"] is None
    assert body["allowed_next_statuses"] == ["active", "archived"]
    assert body["stats"] == {"videos": 0, "jobs": {"total": 0, "queued": 0, "processing": 0, "completed": 0,
                                                  "failed": 0, "canceled": 0}}
    assert Campaign.objects.get(pk=body["id"]).owner == user


def test_the_brief_a_script_is_written_from_is_stored_and_returned(auth_client):
    brief = {"brand_name": "Stride", "product_name": "TrailFlex 2", "product_description": "A waterproof trail shoe.",
             "key_benefit": "dry feet on any trail", "brand_voice": "playful, confident"}
    body = create(auth_client, **brief).json()
    assert {name: body[name] for name in brief} == brief
    changed = auth_client.patch(f"/api/campaigns/{body['id']}", {"key_benefit": "grip on wet rock"}, format="json")
    assert changed.json()["key_benefit"] == "grip on wet rock"
    assert changed.json()["product_name"] == "TrailFlex 2"


def test_create_needs_only_a_name(auth_client):
    response = auth_client.post("/api/campaigns/", {"name": "Minimal"}, format="json")
    assert response.status_code == 201
    assert response.json()["objective"] == "awareness"
    assert response.json()["aspect_ratio"] == "9:16"


def test_a_new_campaign_cannot_start_in_another_status(auth_client):
    response = create(auth_client, status="active")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
    assert create(auth_client, status="draft").json()["status"] == "draft"


@pytest.mark.parametrize("field, value", [
    ("name", ""),
    ("name", "   "),
    ("name", "x" * 201),
    ("objective", "virality"),
    ("product_name", "x" * 121),
    ("key_benefit", "x" * 201),
    ("platforms", ["myspace"]),
    ("brand_primary_color", "red"),
    ("brand_secondary_color", "#12345"),
    ("aspect_ratio", "3:2"),
    ("budget", "-1"),
    ("budget", "12345678901.00"),
    ("currency", "EURO"),
    ("call_to_action_url", "not a url"),
    ("start_date", "March 1st"),
    ("tags", ["t"] * 21),
    ("tags", ["x" * 41]),
])
def test_invalid_fields_are_400_field_errors(auth_client, field, value):
    response = create(auth_client, **{field: value})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_the_end_date_cannot_be_before_the_start_date(auth_client):
    response = create(auth_client, start_date="2026-03-10", end_date="2026-03-09")
    assert response.status_code == 400
    assert "end_date" in response.json()["error"]["fields"]


def test_the_end_date_is_checked_against_the_stored_start_date_on_patch(auth_client, user):
    campaign = CampaignFactory(owner=user, start_date="2026-05-10")
    response = auth_client.patch(f"/api/campaigns/{campaign.pk}", {"end_date": "2026-05-01"}, format="json")
    assert response.status_code == 400
    assert "end_date" in response.json()["error"]["fields"]


def test_retrieve_with_and_without_trailing_slash(auth_client, user):
    campaign = CampaignFactory(owner=user)
    for path in (f"/api/campaigns/{campaign.pk}", f"/api/campaigns/{campaign.pk}/"):
        response = auth_client.get(path)
        assert response.status_code == 200
        assert response.json()["name"] == campaign.name


def test_patch_changes_only_the_fields_sent(auth_client, user):
    campaign = CampaignFactory(owner=user, name="Old", description="Keep me")
    response = auth_client.patch(f"/api/campaigns/{campaign.pk}", {"name": "New"}, format="json")
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert (campaign.name, campaign.description) == ("New", "Keep me")


def test_put_requires_the_required_fields(auth_client, user):
    campaign = CampaignFactory(owner=user)
    response = auth_client.put(f"/api/campaigns/{campaign.pk}", {"description": "no name"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]
    response = auth_client.put(f"/api/campaigns/{campaign.pk}", VALID, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Spring Drop"


def test_unknown_campaign_is_a_json_404(auth_client):
    response = auth_client.get("/api/campaigns/999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_campaigns_need_authentication(api_client):
    assert api_client.get("/api/campaigns").status_code == 401
    assert api_client.post("/api/campaigns", VALID, format="json").status_code == 401
