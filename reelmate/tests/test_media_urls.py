"""Every media URL the API hands out is absolute, on S3 and on the embedded local-file storage.

A frontend on another origin (FRONTEND_URL) uses these URLs as they are: a path such as
`/media-signed/...` would be resolved against the frontend's own host, and the pictures would break.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile

from ai_studio.models import GeneratedVideo
from ai_studio.services.catalog import set_avatar_portrait
from ai_studio.tests.catalog.factories import AvatarFactory, VoiceFactory
from ai_studio.tests.catalog.uploads import image_bytes
from ai_studio.tests.generation_api.factories import completed_job_with_video
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["s3", "embedded"])
def storage_mode(request) -> str:
    """The session's S3 storage, or the embedded default in a temporary folder."""
    if request.param == "embedded":
        request.getfixturevalue("embedded_storage")
    return request.param


def make_media(owner, ids: dict | None = None) -> dict:
    """One of each thing that carries media, all with their files: an avatar, a voice, a campaign, and
    a finished job with its video. `ids` may choose their primary keys (by those names)."""
    ids = ids or {}
    voice = VoiceFactory(pk=ids.get("voice"))
    voice.sample_audio.save("sample.wav", ContentFile(b"RIFF sample"), save=True)
    avatar = AvatarFactory(pk=ids.get("avatar"), default_voice=voice)
    set_avatar_portrait(avatar, ContentFile(image_bytes(size=(256, 320)), name="face.png"))
    campaign = CampaignFactory(pk=ids.get("campaign"), owner=owner)
    campaign.brand_logo.save("logo.png", ContentFile(image_bytes()), save=True)
    job, video = completed_job_with_video(pk=ids.get("job"), owner=owner, avatar=avatar, voice=voice,
                                          campaign=campaign)
    if ids.get("video"):  # the factory picks a random UUID
        GeneratedVideo.objects.filter(pk=video.pk).update(id=ids["video"])
        video = GeneratedVideo.objects.get(pk=ids["video"])
    return {"avatar": avatar, "voice": voice, "campaign": campaign, "job": job, "video": video}


@pytest.fixture
def media(user, storage_mode) -> dict:
    return make_media(user)


NOT_MEDIA = {"status_url", "call_to_action_url"}  # an API link, and a link the user typed in


def media_urls(body) -> dict[str, str]:
    """Every media URL in a response body, by its JSON path: `*_url` fields and the video's `urls`."""
    found: dict[str, str] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if path.endswith(".urls") and isinstance(item, str):
                    found[f"{path}.{key}"] = item
                elif key.endswith("_url") and key not in NOT_MEDIA and isinstance(item, str):
                    found[f"{path}.{key}"] = item
                else:
                    walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(body, "$")
    return found


def test_every_media_url_in_every_response_is_absolute(auth_client, media, storage_mode, settings):
    video_id, job_id = media["video"].pk, media["job"].pk
    paths = [
        "/api/ai-studio/avatars", f"/api/ai-studio/avatars/{media['avatar'].pk}",
        "/api/ai-studio/voices", f"/api/ai-studio/voices/{media['voice'].pk}",
        "/api/campaigns", f"/api/campaigns/{media['campaign'].pk}",
        "/api/ai-studio/generated-videos", f"/api/ai-studio/generated-videos/{video_id}",
        "/api/ai-studio/generation-jobs", f"/api/ai-studio/generation-jobs/{job_id}",
        f"/api/ai-studio/generation-status/{job_id}",
    ]
    urls: dict[str, str] = {}
    for path in paths:
        response = auth_client.get(path)
        assert response.status_code == 200, (path, response.content)
        urls |= {f"{path} {where}": url for where, url in media_urls(response.json()).items()}

    kinds = {where.rsplit(".", 1)[1] for where in urls}
    assert {"portrait_url", "thumbnail_url", "sample_url", "brand_logo_url", "video", "thumbnail", "audio",
            "captions_srt", "captions_vtt", "download"} <= kinds
    for where, url in urls.items():
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.netloc, f"{where} is not absolute: {url}"
        if storage_mode == "embedded":
            assert url.startswith(f"{settings.PUBLIC_BASE_URL}/media-signed/"), (where, url)


def test_embedded_media_urls_follow_the_public_base_url_and_still_open(auth_client, user, settings,
                                                                       embedded_storage, client):
    settings.PUBLIC_BASE_URL = "https://api.reelmate.example"
    media = make_media(user)

    url = auth_client.get(f"/api/ai-studio/generated-videos/{media['video'].pk}").json()["urls"]["video"]

    assert url.startswith("https://api.reelmate.example/media-signed/")
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == f"video of {media['job'].pk}".encode()
