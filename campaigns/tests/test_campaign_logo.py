"""Brand logos: multipart uploads checked for what they really are; stored privately."""
import pytest
from django.core.files.storage import default_storage

from ai_studio.tests.catalog import uploads
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def upload_logo(client, campaign, logo):
    return client.patch(f"/api/campaigns/{campaign.pk}", {"brand_logo": logo}, format="multipart")


def test_create_with_a_logo_in_multipart_with_list_fields(auth_client):
    response = auth_client.post("/api/campaigns", {
        "name": "With logo", "platforms": ["tiktok", "facebook"], "tags": ["a", "b"],
        "brand_logo": uploads.png_upload(),
    }, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["platforms"] == ["tiktok", "facebook"]
    assert body["tags"] == ["a", "b"]
    assert body["brand_logo_url"]
    stored = Campaign.objects.get(pk=body["id"]).brand_logo.name
    assert stored.startswith("campaign-logos/") and stored.endswith(".png")
    assert "logo" not in stored.rsplit("/", 1)[1]  # never the client's file name


def test_the_stored_extension_follows_the_content_not_the_name(auth_client, user):
    campaign = CampaignFactory(owner=user)
    jpeg = uploads.SimpleUploadedFile("logo.png", uploads.image_bytes(format="JPEG"), content_type="image/png")
    assert upload_logo(auth_client, campaign, jpeg).status_code == 200
    campaign.refresh_from_db()
    assert campaign.brand_logo.name.endswith(".jpg")


@pytest.mark.parametrize("make_file", [uploads.text_renamed_png, uploads.truncated_png, uploads.gif_upload])
def test_files_that_are_not_accepted_images_are_400(auth_client, user, make_file):
    campaign = CampaignFactory(owner=user)
    response = upload_logo(auth_client, campaign, make_file())
    assert response.status_code == 400
    assert "brand_logo" in response.json()["error"]["fields"]


def test_an_oversized_file_is_413_file_too_large(auth_client, user, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50_000
    campaign = CampaignFactory(owner=user)
    response = upload_logo(auth_client, campaign, uploads.oversized_png(50_000))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"


def test_a_decompression_bomb_is_rejected_before_it_is_decoded(auth_client, user):
    campaign = CampaignFactory(owner=user)
    bomb = uploads.decompression_bomb()
    assert bomb.size < 100_000
    response = upload_logo(auth_client, campaign, bomb)
    assert response.status_code == 400
    assert "pixels" in response.json()["error"]["fields"]["brand_logo"][0]


def test_an_image_over_the_pixel_limit_is_rejected(auth_client, user, settings):
    settings.MAX_IMAGE_PIXELS = 1000
    campaign = CampaignFactory(owner=user)
    response = upload_logo(auth_client, campaign, uploads.png_upload(size=(40, 40)))
    assert response.status_code == 400
    assert "1,000 pixels" in response.json()["error"]["fields"]["brand_logo"][0]


def test_replacing_and_removing_a_logo_deletes_the_old_file(auth_client, user, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(owner=user)
    with django_capture_on_commit_callbacks(execute=True):
        upload_logo(auth_client, campaign, uploads.png_upload())
    first = Campaign.objects.get(pk=campaign.pk).brand_logo.name
    with django_capture_on_commit_callbacks(execute=True):
        upload_logo(auth_client, campaign, uploads.png_upload(color="#00FF00"))
    second = Campaign.objects.get(pk=campaign.pk).brand_logo.name
    assert second != first
    assert not default_storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(f"/api/campaigns/{campaign.pk}", {"brand_logo": None}, format="json")
    assert response.json()["brand_logo_url"] is None
    assert not default_storage.exists(second)
