"""Staff see a job's look and scenes in words in the jobs admin."""
import pytest

from ai_studio.tests.catalog.factories import GenerationJobFactory
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.media_files import image_upload, stored_media

pytestmark = pytest.mark.django_db


def test_a_jobs_page_shows_its_layout_headline_end_card_and_scenes(staff_browser, user):
    campaign = CampaignFactory(owner=user)
    photo = stored_media(campaign, image_upload(name="hero-shot.jpg"))
    job = GenerationJobFactory(owner=user, campaign=campaign, layout="product", headline="Spring drop",
                               end_card={"text": "Shop now", "seconds": 2.5},
                               scenes=[{"text": "Meet Rocket Shoes.", "media_id": str(photo.pk)},
                                       {"text": "Tap the link.", "media_id": "00000000-0000-0000-0000-000000000000"}])
    job.media.set([photo])
    page = staff_browser.get(f"/admin/ai_studio/videogenerationjob/{job.pk}/change/").content.decode()
    assert "Spring drop" in page
    assert "“Shop now” for 2.5 s" in page
    assert "Image hero-shot.jpg <q>Meet Rocket Shoes.</q>" in page.replace("</a>", "")
    assert f"/admin/campaigns/campaignmedia/{photo.pk}/change/" in page
    assert "(deleted media) <q>Tap the link.</q>" in page
    assert 'name="media"' not in page  # no editable pick-list of every user's media


def test_the_jobs_list_filters_by_layout(staff_browser, user):
    GenerationJobFactory(owner=user, title="Presenter reel", layout="presenter")
    GenerationJobFactory(owner=user, title="Default reel")
    listing = staff_browser.get("/admin/ai_studio/videogenerationjob/", {"layout__exact": "presenter"})
    page = listing.content.decode()
    assert "Presenter reel" in page and "Default reel" not in page
    job_without = GenerationJobFactory(owner=user)
    page = staff_browser.get(f"/admin/ai_studio/videogenerationjob/{job_without.pk}/change/").content.decode()
    assert "None: the avatar alone." in page
