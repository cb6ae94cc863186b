"""Deleting a campaign never loses videos or jobs: archive first, and they stay in the library."""
import pytest

from ai_studio.models import GeneratedVideo, VideoGenerationJob
from ai_studio.tests.catalog.factories import GeneratedVideoFactory, GenerationJobFactory
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_a_campaign_that_never_produced_anything_can_be_deleted_at_once(auth_client, user):
    campaign = CampaignFactory(owner=user, status="active")
    assert auth_client.delete(f"/api/campaigns/{campaign.pk}").status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


@pytest.mark.parametrize("history", ["job", "video"])
def test_a_campaign_with_history_must_be_archived_first(auth_client, user, history):
    campaign = CampaignFactory(owner=user, status="completed")
    if history == "job":
        GenerationJobFactory(owner=user, campaign=campaign)
    else:
        GeneratedVideoFactory(owner=user, campaign=campaign)
    response = auth_client.delete(f"/api/campaigns/{campaign.pk}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "campaign_not_archived"
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_deleting_an_archived_campaign_keeps_its_jobs_and_videos(auth_client, user):
    campaign = CampaignFactory(owner=user, status="archived")
    job = GenerationJobFactory(owner=user, campaign=campaign, status="completed")
    video = GeneratedVideoFactory(owner=user, campaign=campaign, job=job)
    assert auth_client.delete(f"/api/campaigns/{campaign.pk}").status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert VideoGenerationJob.objects.get(pk=job.pk).campaign is None
    assert GeneratedVideo.objects.get(pk=video.pk).campaign is None
