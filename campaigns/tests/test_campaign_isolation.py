"""User isolation: another user's campaign does not exist for you."""
import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def others_campaign(other_user):
    return CampaignFactory(owner=other_user, name="Not yours", status="archived")


@pytest.mark.parametrize("method, body", [
    ("get", None), ("put", {"name": "Mine now"}), ("patch", {"name": "Mine now"}), ("delete", None),
])
def test_another_users_campaign_is_404_for_every_method(auth_client, others_campaign, method, body):
    response = getattr(auth_client, method)(f"/api/campaigns/{others_campaign.pk}", body, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    others_campaign.refresh_from_db()
    assert others_campaign.name == "Not yours"


def test_lists_show_only_your_own_campaigns(auth_client, user, others_campaign):
    mine = CampaignFactory(owner=user)
    response = auth_client.get("/api/campaigns", {"search": "yours"})
    assert response.json()["results"] == []
    ids = [item["id"] for item in auth_client.get("/api/campaigns").json()["results"]]
    assert ids == [mine.pk]


def test_a_created_campaign_belongs_to_the_requester_whatever_the_body_says(auth_client, user, other_user):
    response = auth_client.post("/api/campaigns", {"name": "X", "owner": other_user.pk}, format="json")
    assert Campaign.objects.get(pk=response.json()["id"]).owner == user
