"""Deleting media: its files go with it, except while a reel that is still being made needs it."""
import pytest
from django.core.files.storage import default_storage

from ai_studio.models import JobStatus
from ai_studio.tests.catalog.factories import GenerationJobFactory
from ai_studio.tests.generation_api.factories import completed_job_with_video
from campaigns.models import Campaign, CampaignMedia
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.media_files import clip_upload, library_prefix, stored_keys, stored_media

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(user):
    return CampaignFactory(owner=user)


def job_showing(media: CampaignMedia, status: str, **fields):
    job = GenerationJobFactory(owner=media.campaign.owner, campaign=media.campaign, status=status,
                               scenes=[{"text": "Look at this.", "media_id": str(media.pk)}], **fields)
    job.media.set([media])
    return job


def media_url(media: CampaignMedia) -> str:
    return f"/api/campaigns/{media.campaign_id}/media/{media.pk}"


def test_deleting_media_removes_it_and_its_files(auth_client, campaign, django_capture_on_commit_callbacks):
    media = stored_media(campaign, clip_upload())
    assert stored_keys(library_prefix(campaign)) == {media.file.name, media.thumbnail.name}
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(media_url(media))
    assert response.status_code == 204
    assert not CampaignMedia.objects.filter(pk=media.pk).exists()
    assert stored_keys(library_prefix(campaign)) == set()
    assert auth_client.get(media_url(media)).status_code == 404


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.PROCESSING])
def test_media_a_queued_or_processing_job_needs_cannot_be_deleted(auth_client, campaign, status):
    media = stored_media(campaign)
    job_showing(media, status)
    response = auth_client.delete(media_url(media))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "media_in_use"
    assert CampaignMedia.objects.filter(pk=media.pk).exists()
    assert default_storage.exists(media.file.name)


@pytest.mark.parametrize("status", [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED])
def test_media_of_finished_jobs_can_be_deleted_and_their_videos_stay(auth_client, campaign, status,
                                                                      django_capture_on_commit_callbacks):
    media = stored_media(campaign)
    if status == JobStatus.COMPLETED:
        job, video = completed_job_with_video(owner=campaign.owner, campaign=campaign)
        job.media.set([media])
    else:
        job, video = job_showing(media, status), None
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(media_url(media)).status_code == 204
    job.refresh_from_db()
    assert list(job.media.all()) == []
    if video is not None:
        assert default_storage.exists(video.video_key)


def test_deleting_a_campaign_deletes_its_media_library(auth_client, campaign, django_capture_on_commit_callbacks):
    stored_media(campaign)
    stored_media(campaign, clip_upload())
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(f"/api/campaigns/{campaign.pk}").status_code == 204
    assert not CampaignMedia.objects.exists()
    assert stored_keys(library_prefix(campaign)) == set()


def test_a_campaign_whose_media_a_running_job_needs_cannot_be_deleted(auth_client, user):
    campaign = CampaignFactory(owner=user)
    media = stored_media(campaign)
    job_showing(media, JobStatus.PROCESSING)
    Campaign.objects.filter(pk=campaign.pk).update(status="archived")
    response = auth_client.delete(f"/api/campaigns/{campaign.pk}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "media_in_use"
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert default_storage.exists(media.file.name)
