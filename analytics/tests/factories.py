"""Just enough rows to hang analytics on: catalog entries, campaigns, jobs, videos, share links."""
from __future__ import annotations

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from ai_studio.models import (
    AIAvatar,
    AIVoice,
    GeneratedVideo,
    JobStatus,
    VideoGenerationJob,
)
from analytics.models import ShareLink
from campaigns.models import Campaign


class VoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIVoice

    name = factory.Sequence(lambda n: f"Voice {n}")
    slug = factory.Sequence(lambda n: f"analytics-voice-{n}")
    provider = "local"
    provider_voice_id = factory.Sequence(lambda n: f"analytics-voice-{n}")


class AvatarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIAvatar

    name = factory.Sequence(lambda n: f"Avatar {n}")
    slug = factory.Sequence(lambda n: f"analytics-avatar-{n}")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    call_to_action = "Shop the drop"
    call_to_action_url = "https://shop.example.com/drop"
    brand_primary_color = "#112233"


class JobFactory(factory.django.DjangoModelFactory):
    """A job as the pipeline leaves it; pass `status`, `total_seconds`, `stage_timings`..."""

    class Meta:
        model = VideoGenerationJob

    owner = factory.SubFactory(UserFactory)
    avatar = factory.SubFactory(AvatarFactory)
    voice = factory.SubFactory(VoiceFactory)
    script = "Meet the new trail shoe."
    status = JobStatus.COMPLETED
    speech_provider = "local"
    started_at = factory.LazyFunction(timezone.now)
    completed_at = factory.LazyFunction(timezone.now)


class GeneratedVideoFactory(factory.django.DjangoModelFactory):
    """A video row; the storage keys point nowhere unless the test uploads files under them."""

    class Meta:
        model = GeneratedVideo

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Launch reel {n}")
    video_key = factory.Sequence(lambda n: f"tests/analytics/{n}/video.mp4")
    thumbnail_key = factory.Sequence(lambda n: f"tests/analytics/{n}/thumbnail.jpg")
    audio_key = factory.Sequence(lambda n: f"tests/analytics/{n}/audio.m4a")
    captions_srt_key = factory.Sequence(lambda n: f"tests/analytics/{n}/captions.srt")
    captions_vtt_key = factory.Sequence(lambda n: f"tests/analytics/{n}/captions.vtt")
    duration_seconds = 20.0
    width = 720
    height = 1280
    fps = 30
    size_bytes = 1000
    video_codec = "h264"
    audio_codec = "aac"
    checksum_sha256 = "0" * 64
    aspect_ratio = "9:16"


class ShareLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShareLink

    video = factory.SubFactory(GeneratedVideoFactory)
