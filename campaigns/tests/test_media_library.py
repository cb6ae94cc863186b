"""A campaign's media library: images and short clips, recognised by their content, stored per user and
campaign, listed newest first, and nothing stored when a file is refused."""
import struct

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from ai_studio.tests.catalog import uploads
from campaigns.models import CampaignMedia, CampaignStatus
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.media_files import clip_bytes, clip_upload, image_upload, library_prefix, stored_keys

pytestmark = pytest.mark.django_db


def upload(client, campaign, file, **extra):
    return client.post(f"/api/campaigns/{campaign.pk}/media", {"file": file, **extra}, format="multipart")


@pytest.fixture
def campaign(user):
    return CampaignFactory(owner=user)


def s3_object(key: str):
    return default_storage.bucket.Object(key)


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_an_image_is_stored_under_the_user_and_campaign_with_a_thumbnail(auth_client, campaign, format):
    response = upload(auth_client, campaign, image_upload(name="shot.img", format=format, size=(640, 480)))
    assert response.status_code == 201, response.json()
    body = response.json()
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[format]
    assert body["kind"] == "image"
    assert body["content_type"] == f"image/{'jpeg' if format == 'JPEG' else format.lower()}"
    assert (body["width"], body["height"], body["duration_seconds"]) == (640, 480, None)
    assert body["name"] == "shot.img"
    assert body["campaign_id"] == campaign.pk
    media = CampaignMedia.objects.get(pk=body["id"])
    assert media.file.name == f"{library_prefix(campaign)}{media.pk.hex}.{extension}"
    assert body["size_bytes"] == media.file.size
    assert s3_object(media.file.name).content_type == body["content_type"]
    assert body["url"].startswith("http") and "X-Amz-Signature" in body["url"]
    assert body["thumbnail_url"].startswith("http")
    with default_storage.open(media.thumbnail.name) as thumbnail:
        assert thumbnail.read(3) == b"\xff\xd8\xff"  # a JPEG


@pytest.mark.parametrize(("name", "content_type", "codec", "extension"), [
    ("clip.mp4", "video/mp4", "libx264", "mp4"),
    ("clip.mov", "video/quicktime", "libx264", "mov"),
    ("iphone.mov", "video/quicktime", "libx265", "mov"),
])
def test_mp4_and_mov_clips_are_accepted_with_their_duration_and_size(auth_client, campaign, name, content_type,
                                                                     codec, extension):
    response = upload(auth_client, campaign, clip_upload(name=name, codec=codec, seconds=1.5, size=(160, 120)))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["content_type"]) == ("video", content_type)
    assert (body["width"], body["height"]) == (160, 120)
    assert body["duration_seconds"] == pytest.approx(1.5, abs=0.05)
    media = CampaignMedia.objects.get(pk=body["id"])
    assert media.file.name.endswith(f".{extension}")
    assert s3_object(media.file.name).content_type == content_type
    assert body["thumbnail_url"]


def test_a_phone_clip_is_measured_as_it_is_shown_with_its_rotation(auth_client, campaign):
    rotated = SimpleUploadedFile("portrait.mov", clip_bytes(container="mov", size=(160, 96), rotation=90))
    body = upload(auth_client, campaign, rotated).json()
    assert (body["width"], body["height"]) == (96, 160)


def test_the_type_comes_from_the_content_not_the_name(auth_client, campaign):
    png_named_jpg = image_upload(name="photo.jpg", format="PNG", content_type="image/jpeg")
    body = upload(auth_client, campaign, png_named_jpg).json()
    assert body["content_type"] == "image/png"
    media = CampaignMedia.objects.get(pk=body["id"])
    assert media.file.name.endswith(".png")
    assert s3_object(media.file.name).content_type == "image/png"
    mp4_named_png = SimpleUploadedFile("still.png", clip_bytes(), content_type="image/png")
    body = upload(auth_client, campaign, mp4_named_png).json()
    assert (body["kind"], body["content_type"]) == ("video", "video/mp4")


def heic_like() -> SimpleUploadedFile:
    """The opening of an iPhone photo: ISO boxes like an MP4's, with a HEIF brand."""
    return SimpleUploadedFile("IMG_0001.heic", struct.pack(">I", 24) + b"ftypheic" + b"\0" * 200)


def truncated_clip() -> SimpleUploadedFile:
    data = clip_bytes(seconds=2.0)
    return SimpleUploadedFile("cut.mp4", data[: len(data) // 2], content_type="video/mp4")


@pytest.mark.parametrize(("make_file", "message"), [
    (lambda: SimpleUploadedFile("clip.mp4", b"not a video at all\n" * 50, content_type="video/mp4"),
     "neither a PNG, JPEG or WebP image nor an MP4 or MOV video"),
    (lambda: clip_upload(seconds=61, size=(32, 32), rate=2), "61.0 s long; clips may be at most 60 s"),
    (lambda: clip_upload(codec="mpeg4"), "Videos encoded as mpeg4 are not accepted"),
    (truncated_clip, "damaged or incomplete"),
    (heic_like, "HEIF and AVIF images are not accepted"),
    (uploads.decompression_bomb, "pixels"),
    (uploads.gif_upload, "GIF images are not accepted"),
    (uploads.truncated_png, "not a valid PNG, JPEG or WebP image"),
    (lambda: SimpleUploadedFile("empty.mp4", b""), "empty"),
])
def test_files_that_are_not_accepted_media_are_a_400_naming_the_file_and_store_nothing(
        auth_client, campaign, make_file, message):
    before = stored_keys("users/")
    response = upload(auth_client, campaign, make_file())
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert message in error["fields"]["file"][0]
    assert not CampaignMedia.objects.exists()
    assert stored_keys("users/") == before


def test_a_clip_over_the_size_limit_is_413_and_stores_nothing(auth_client, campaign, settings):
    settings.MAX_VIDEO_UPLOAD_BYTES = 5_000
    response = upload(auth_client, campaign, clip_upload(seconds=2.0))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert "5,000 bytes" in response.json()["error"]["message"]
    assert stored_keys(library_prefix(campaign)) == set()


def test_an_image_keeps_the_image_size_limit(auth_client, campaign, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50_000
    response = upload(auth_client, campaign, uploads.oversized_png(50_000))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"


def test_the_upload_allows_bodies_up_to_the_clip_limit_and_no_more(auth_client, campaign, settings):
    settings.MAX_REQUEST_BYTES = 1_000  # every other endpoint
    assert upload(auth_client, campaign, clip_upload()).status_code == 201
    assert auth_client.post("/api/campaigns", {"name": "x" * 2000}, format="json").status_code == 413
    settings.MAX_VIDEO_UPLOAD_BYTES, settings.MULTIPART_ALLOWANCE_BYTES = 2_000, 0
    response = upload(auth_client, campaign, clip_upload())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_body_that_is_not_multipart_is_415(auth_client, campaign):
    response = auth_client.post(f"/api/campaigns/{campaign.pk}/media", {"file": "aGVsbG8="}, format="json")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_an_upload_without_a_file_is_a_400(auth_client, campaign):
    response = auth_client.post(f"/api/campaigns/{campaign.pk}/media", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_when_storing_the_record_fails_the_stored_files_are_removed(auth_client, campaign, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(CampaignMedia, "save", refuse)
    auth_client.raise_request_exception = False
    response = upload(auth_client, campaign, image_upload())
    assert response.status_code == 500
    assert stored_keys(library_prefix(campaign)) == set()


def test_an_archived_campaign_takes_no_uploads(auth_client, user):
    campaign = CampaignFactory(owner=user, status=CampaignStatus.ARCHIVED)
    response = upload(auth_client, campaign, image_upload())
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "campaign_archived"


def test_the_library_lists_newest_first_pages_and_filters_by_kind(auth_client, campaign):
    ids = [upload(auth_client, campaign, make()).json()["id"]
           for make in (image_upload, clip_upload, lambda: image_upload(format="PNG"))]
    other_campaign = CampaignFactory(owner=campaign.owner)
    upload(auth_client, other_campaign, image_upload())
    listing = auth_client.get(f"/api/campaigns/{campaign.pk}/media").json()
    assert listing["count"] == 3
    assert [item["id"] for item in listing["results"]] == ids[::-1]
    assert all(item["url"] and item["thumbnail_url"] for item in listing["results"])
    page = auth_client.get(f"/api/campaigns/{campaign.pk}/media/", {"page_size": 2}).json()
    assert [item["id"] for item in page["results"]] == ids[:0:-1]
    assert page["next"]
    videos = auth_client.get(f"/api/campaigns/{campaign.pk}/media", {"kind": "video"}).json()
    assert [item["id"] for item in videos["results"]] == [ids[1]]
    assert auth_client.get(f"/api/campaigns/{campaign.pk}/media", {"kind": "audio"}).status_code == 400
    item = auth_client.get(f"/api/campaigns/{campaign.pk}/media/{ids[1]}").json()
    assert (item["id"], item["kind"]) == (ids[1], "video")


def test_another_users_campaign_and_media_are_not_found(auth_client, other_client, campaign):
    media_id = upload(auth_client, campaign, image_upload()).json()["id"]
    base = f"/api/campaigns/{campaign.pk}/media"
    assert other_client.get(base).status_code == 404
    assert other_client.get(f"{base}/{media_id}").status_code == 404
    assert other_client.delete(f"{base}/{media_id}").status_code == 404
    response = other_client.post(base, {"file": image_upload()}, format="multipart")
    assert response.status_code == 404
    assert CampaignMedia.objects.count() == 1


def test_media_is_found_only_under_its_own_campaign(auth_client, campaign):
    media_id = upload(auth_client, campaign, image_upload()).json()["id"]
    elsewhere = CampaignFactory(owner=campaign.owner)
    assert auth_client.get(f"/api/campaigns/{elsewhere.pk}/media/{media_id}").status_code == 404
    assert auth_client.delete(f"/api/campaigns/{elsewhere.pk}/media/{media_id}").status_code == 404
    assert auth_client.get(f"/api/campaigns/{campaign.pk}/media/not-a-uuid").status_code == 404


def test_the_library_needs_authentication(api_client, campaign):
    assert api_client.get(f"/api/campaigns/{campaign.pk}/media").status_code == 401
