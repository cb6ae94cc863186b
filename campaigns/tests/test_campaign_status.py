"""Status transitions: only the sensible ones, with the allowed next steps named."""
import pytest

from campaigns.models import ALLOWED_TRANSITIONS, CampaignStatus
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

ALLOWED = [(old, new) for old, targets in ALLOWED_TRANSITIONS.items() for new in targets]
FORBIDDEN = [(old, new) for old in CampaignStatus.values for new in CampaignStatus.values
             if new != old and new not in ALLOWED_TRANSITIONS[old]]


def set_status(client, campaign, status):
    return client.patch(f"/api/campaigns/{campaign.pk}", {"status": status}, format="json")


@pytest.mark.parametrize("old, new", ALLOWED)
def test_allowed_transitions_succeed(auth_client, user, old, new):
    campaign = CampaignFactory(owner=user, status=old)
    response = set_status(auth_client, campaign, new)
    assert response.status_code == 200
    assert response.json()["status"] == new
    campaign.refresh_from_db()
    assert campaign.status == new


@pytest.mark.parametrize("old, new", FORBIDDEN)
def test_other_transitions_are_409_naming_the_allowed_ones(auth_client, user, old, new):
    campaign = CampaignFactory(owner=user, status=old)
    response = set_status(auth_client, campaign, new)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_status_transition"
    for allowed in ALLOWED_TRANSITIONS[old]:
        assert allowed in error["message"]
    campaign.refresh_from_db()
    assert campaign.status == old


def test_setting_the_current_status_again_is_harmless(auth_client, user):
    campaign = CampaignFactory(owner=user, status="active")
    assert set_status(auth_client, campaign, "active").status_code == 200


def test_a_full_lifecycle(auth_client, user):
    campaign = CampaignFactory(owner=user)
    for status in ["active", "paused", "active", "completed", "archived", "draft"]:
        assert set_status(auth_client, campaign, status).json()["status"] == status


def test_an_archived_campaign_must_be_restored_before_it_is_edited(auth_client, user):
    campaign = CampaignFactory(owner=user, status="archived", name="Old")
    response = auth_client.patch(f"/api/campaigns/{campaign.pk}", {"name": "New"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "campaign_archived"
    restored = auth_client.patch(f"/api/campaigns/{campaign.pk}", {"status": "draft", "name": "New"}, format="json")
    assert restored.status_code == 200
    assert restored.json()["name"] == "New"
    assert restored.json()["status"] == "draft"


def test_an_unknown_status_is_a_field_error(auth_client, user):
    campaign = CampaignFactory(owner=user)
    response = set_status(auth_client, campaign, "launched")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
