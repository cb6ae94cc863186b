"""Avatars and voices users can pick: active only, filterable, with presigned preview URLs."""
from urllib.request import urlopen

import pytest
from django.core.files.base import ContentFile

from ai_studio.tests.catalog.factories import AvatarFactory, VoiceFactory

pytestmark = pytest.mark.django_db


def fetch(url: str) -> bytes:
    """Download a presigned URL (the test S3 server listens on loopback)."""
    with urlopen(url, timeout=10) as response:
        return response.read()


def results(response):
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def slugs(response):
    return [item["slug"] for item in results(response)]


def test_only_active_avatars_are_listed_in_sort_order(auth_client):
    AvatarFactory(slug="second", sort_order=2)
    AvatarFactory(slug="first", sort_order=1)
    AvatarFactory(slug="retired", is_active=False)
    assert slugs(auth_client.get("/api/ai-studio/avatars")) == ["first", "second"]


def test_avatar_items_carry_presigned_portrait_and_thumbnail_urls(auth_client, avatar_with_portrait):
    item = results(auth_client.get("/api/ai-studio/avatars/"))[0]
    assert item["name"] == "Portrait Pat"
    assert item["default_voice_id"] == avatar_with_portrait.default_voice_id
    for key in ("portrait_url", "thumbnail_url"):
        assert "Signature" in item[key] or "X-Amz-Signature" in item[key]
    assert fetch(item["portrait_url"]).startswith(b"\x89PNG")
    assert fetch(item["thumbnail_url"]).startswith(b"\xff\xd8")  # a JPEG


def test_avatar_filters(auth_client):
    AvatarFactory(slug="f-pro", gender="female", style="professional", tags=["saas"], is_premium=True)
    AvatarFactory(slug="m-casual", gender="male", style="casual", tags=["gaming"])
    assert slugs(auth_client.get("/api/ai-studio/avatars", {"gender": "male"})) == ["m-casual"]
    assert slugs(auth_client.get("/api/ai-studio/avatars", {"style": "Professional"})) == ["f-pro"]
    assert slugs(auth_client.get("/api/ai-studio/avatars", {"tag": "gaming"})) == ["m-casual"]
    assert slugs(auth_client.get("/api/ai-studio/avatars", {"is_premium": "true"})) == ["f-pro"]
    assert auth_client.get("/api/ai-studio/avatars", {"gender": "robot"}).status_code == 400


def test_an_inactive_avatar_is_not_found(auth_client):
    avatar = AvatarFactory(is_active=False)
    assert auth_client.get(f"/api/ai-studio/avatars/{avatar.pk}").status_code == 404
    assert auth_client.get(f"/api/ai-studio/avatars/{AvatarFactory().pk}").status_code == 200


def test_voice_filters_by_gender_style_language_and_provider(auth_client):
    VoiceFactory(slug="uk", gender="male", style="calm", language="en-GB")
    VoiceFactory(slug="us", gender="female", style="energetic", language="en-US")
    VoiceFactory(slug="es", gender="female", style="calm", language="es-ES")
    VoiceFactory(slug="off", is_active=False)
    assert sorted(slugs(auth_client.get("/api/ai-studio/voices"))) == ["es", "uk", "us"]
    assert sorted(slugs(auth_client.get("/api/ai-studio/voices", {"gender": "female"}))) == ["es", "us"]
    assert sorted(slugs(auth_client.get("/api/ai-studio/voices", {"style": "calm"}))) == ["es", "uk"]
    assert sorted(slugs(auth_client.get("/api/ai-studio/voices", {"language": "en"}))) == ["uk", "us"]
    assert slugs(auth_client.get("/api/ai-studio/voices", {"language": "en-gb"})) == ["uk"]
    assert slugs(auth_client.get("/api/ai-studio/voices", {"language": "e"})) == []
    assert sorted(slugs(auth_client.get("/api/ai-studio/voices", {"provider": "local"}))) == ["es", "uk", "us"]


def test_openai_voices_are_offered_only_when_openai_is_configured(auth_client, settings):
    VoiceFactory(slug="nova", provider="openai", provider_voice_id="nova")
    VoiceFactory(slug="joe", provider="local", provider_voice_id="en_US-joe-medium")
    settings.OPENAI_API_KEY = ""
    assert slugs(auth_client.get("/api/ai-studio/voices")) == ["joe"]
    settings.OPENAI_API_KEY = "sk-test"
    assert sorted(slugs(auth_client.get("/api/ai-studio/voices", {"page": 1}))) == ["joe", "nova"]


def test_an_avatars_default_voice_is_offered_only_if_it_is_available(auth_client, settings):
    settings.OPENAI_API_KEY = ""
    AvatarFactory(default_voice=VoiceFactory(provider="openai", provider_voice_id="onyx"))
    assert results(auth_client.get("/api/ai-studio/avatars"))[0]["default_voice_id"] is None


def test_voice_items_have_a_sample_url_once_a_sample_exists(auth_client):
    silent = VoiceFactory(slug="silent")
    sampled = VoiceFactory(slug="sampled")
    sampled.sample_audio.save("sample.wav", ContentFile(b"RIFF\0\0\0\0WAVEfmt "))
    items = {item["slug"]: item for item in results(auth_client.get("/api/ai-studio/voices"))}
    assert items[silent.slug]["sample_url"] is None
    assert fetch(items[sampled.slug]["sample_url"]).startswith(b"RIFF")


def test_the_catalog_needs_authentication(api_client):
    assert api_client.get("/api/ai-studio/avatars").status_code == 401
    assert api_client.get("/api/ai-studio/voices").status_code == 401
