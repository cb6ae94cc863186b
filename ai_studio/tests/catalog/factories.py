"""Factories for the catalog (and minimal generation records, for tests that only need them to exist)."""
import factory
from django.core.files.base import ContentFile

from accounts.tests.factories import UserFactory
from ai_studio.models import (
    AIAvatar,
    AIVoice,
    GeneratedVideo,
    JobStatus,
    MusicTrack,
    PromptTemplate,
    TemplateCategory,
    VideoGenerationJob,
    VoiceProvider,
)
from ai_studio.services.catalog import set_music_audio
from ai_studio.tests.catalog import uploads


class VoiceFactory(factory.django.DjangoModelFactory):
    """A local (offline) voice by default: it works without an OpenAI key, as in the test settings."""

    class Meta:
        model = AIVoice

    name = factory.Sequence(lambda n: f"Voice {n}")
    slug = factory.Sequence(lambda n: f"voice-{n}")
    provider = VoiceProvider.LOCAL
    provider_voice_id = factory.Sequence(lambda n: f"test-voice-{n}")
    language = "en-US"
    gender = "female"
    style = "friendly"


class AvatarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIAvatar

    name = factory.Sequence(lambda n: f"Avatar {n}")
    slug = factory.Sequence(lambda n: f"avatar-{n}")
    gender = "female"
    age_range = "25-34"
    style = "professional"
    tags = factory.LazyFunction(lambda: ["saas"])
    default_voice = factory.SubFactory(VoiceFactory)


class MusicTrackFactory(factory.django.DjangoModelFactory):
    """A track row; ``stored_music_track`` also gives it real audio in storage."""

    class Meta:
        model = MusicTrack

    title = factory.Sequence(lambda n: f"Track {n}")
    slug = factory.Sequence(lambda n: f"track-{n}")
    mood = "upbeat"
    licence = "CC0 1.0"
    credit = "The Test Band"


def stored_music_track(seconds: float = 6.0, **fields) -> MusicTrack:
    track = MusicTrackFactory(**fields)
    set_music_audio(track, ContentFile(uploads.music_wav_bytes(seconds), name="track.wav"))
    return track


TEMPLATE_VARIABLES = [
    {"name": "product", "label": "Product", "required": True, "default": "", "max_length": 40},
    {"name": "cta", "label": "Call to action", "required": False, "default": "Tap the link.", "max_length": 60},
]


class TemplateFactory(factory.django.DjangoModelFactory):
    """A user's own template by default; ``owner=None`` makes a system template."""

    class Meta:
        model = PromptTemplate

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Template {n}")
    category = TemplateCategory.PROMO
    description = "A short promo."
    body = "Meet {{product}}. {{cta}}"
    variables = factory.LazyFunction(lambda: [dict(variable) for variable in TEMPLATE_VARIABLES])
    tone = "upbeat"
    target_duration_seconds = 20


class GenerationJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VideoGenerationJob

    owner = factory.SubFactory(UserFactory)
    avatar = factory.SubFactory(AvatarFactory)
    voice = factory.SubFactory(VoiceFactory)
    script = "Meet our product."
    status = JobStatus.QUEUED


class GeneratedVideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GeneratedVideo

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Video {n}")
    video_key = factory.Sequence(lambda n: f"videos/{n}/video.mp4")
    thumbnail_key = factory.Sequence(lambda n: f"videos/{n}/thumb.jpg")
    audio_key = factory.Sequence(lambda n: f"videos/{n}/audio.wav")
    captions_srt_key = factory.Sequence(lambda n: f"videos/{n}/captions.srt")
    captions_vtt_key = factory.Sequence(lambda n: f"videos/{n}/captions.vtt")
    duration_seconds = 12.5
    width = 720
    height = 1280
    fps = 30
    size_bytes = 1_000_000
    video_codec = "h264"
    audio_codec = "aac"
    checksum_sha256 = "0" * 64
    aspect_ratio = "9:16"
