"""Staff see each campaign's media library with previews, and can delete what no unfinished job needs."""
import pytest

from ai_studio.models import JobStatus
from ai_studio.tests.catalog.factories import GenerationJobFactory
from campaigns.models import CampaignMedia
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.media_files import clip_upload, image_upload, library_prefix, stored_keys, stored_media

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(user):
    return CampaignFactory(owner=user, name="Spring drop")


def test_a_campaigns_page_shows_its_media_with_thumbnails(staff_browser, campaign):
    photo = stored_media(campaign, image_upload(name="hero-shot.jpg"))
    clip = stored_media(campaign, clip_upload(name="unboxing.mov"))
    page = staff_browser.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert "hero-shot.jpg" in page and "unboxing.mov" in page
    assert page.count(f"{library_prefix(campaign)}{photo.pk.hex}-thumbnail.jpg") == 1
    assert f"{clip.pk.hex}-thumbnail.jpg" in page
    assert "160x120, 1.0 s" in page


def test_the_media_list_and_a_clips_page_preview_the_files(staff_browser, campaign):
    clip = stored_media(campaign, clip_upload(name="unboxing.mov"))
    listing = staff_browser.get("/admin/campaigns/campaignmedia/", {"kind__exact": "video"}).content.decode()
    assert "unboxing.mov" in listing and campaign.owner.email in listing
    page = staff_browser.get(f"/admin/campaigns/campaignmedia/{clip.pk}/change/").content.decode()
    assert "<video" in page and f"{clip.pk.hex}.mov" in page


def test_staff_delete_media_through_the_rules_and_its_files_go(staff_browser, campaign,
                                                              django_capture_on_commit_callbacks):
    free = stored_media(campaign)
    busy = stored_media(campaign)
    GenerationJobFactory(owner=campaign.owner, campaign=campaign, status=JobStatus.QUEUED).media.set([busy])
    assert staff_browser.get(f"/admin/campaigns/campaignmedia/{busy.pk}/delete/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_browser.post("/admin/campaigns/campaignmedia/", {
            "action": "delete_unused_media", "_selected_action": [str(free.pk), str(busy.pk)]})
    assert response.status_code == 302
    assert list(CampaignMedia.objects.all()) == [busy]
    assert stored_keys(library_prefix(campaign)) == {busy.file.name, busy.thumbnail.name}
