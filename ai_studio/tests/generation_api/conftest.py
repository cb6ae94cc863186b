"""Fixtures for generation API tests: a usable avatar (with a real portrait in S3) and voice, the plan's limits."""
import pytest
from django.core.files.base import ContentFile

from accounts.models import UserPlan
from ai_studio.seeding.portraits import PortraitStyle, portrait_png, rig_zip
from ai_studio.services.catalog import set_avatar_portrait, set_avatar_rig
from ai_studio.tests.catalog.factories import AvatarFactory, VoiceFactory


@pytest.fixture
def voice(db):
    return VoiceFactory(provider="local", provider_voice_id="en_US-joe-medium", slug="joe")


STYLE = PortraitStyle(skin="#F1C7A5", hair="#2B1B12", hair_style="long", clothing="#E4572E",
                      clothing_style="crew", background=("#1D3557", "#457B9D"))


@pytest.fixture
def avatar(db, voice):
    """A plain portrait: the mouth follows the voice's loudness."""
    avatar = AvatarFactory(default_voice=voice, slug="ava", background_color="#223344")
    set_avatar_portrait(avatar, ContentFile(portrait_png(STYLE), name="ava.png"))
    return avatar


@pytest.fixture
def rigged_avatar(db, voice):
    """The same face with a lip-sync rig."""
    avatar = AvatarFactory(default_voice=voice, slug="ava-rig", background_color="#223344")
    set_avatar_rig(avatar, ContentFile(rig_zip(STYLE), name="ava-rig.zip"))
    return avatar


@pytest.fixture
def generate(auth_client, avatar, voice):
    """POST /api/ai-studio/generate-video with a valid body, overridable field by field."""

    def post(client=None, headers=None, **overrides):
        body = {"avatar_id": avatar.pk, "voice_id": voice.pk, "script": "Hello from ReelMate."} | overrides
        body = {key: value for key, value in body.items() if value is not ...}
        return (client or auth_client).post("/api/ai-studio/generate-video", body, format="json", **(headers or {}))

    return post


@pytest.fixture
def set_limits(user):
    """Override limits of `user`'s plan (the suite's users are on the unlimited plan)."""

    def apply(**limits):
        UserPlan.objects.filter(user=user).update(**limits)

    return apply
