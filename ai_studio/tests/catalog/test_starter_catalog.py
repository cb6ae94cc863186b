"""A fresh install is usable: seed_catalog loads avatars with real portraits, voices and templates."""
import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from ai_studio import tasks, templating
from ai_studio.generation import render
from ai_studio.generation.soundtrack import music_duration
from ai_studio.models import AIAvatar, AIVoice, MusicTrack, PromptTemplate, WriterPrompt
from ai_studio.seeding import music, portraits
from ai_studio.seeding.portraits import MOUTH_WIDTH, PortraitStyle, draw_portrait

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_catalog", "--no-samples", stdout=io.StringIO())


def test_the_starter_catalog(seeded):
    avatars = AIAvatar.objects.filter(is_active=True)
    assert avatars.count() >= 6
    assert AIVoice.objects.filter(provider="openai").count() >= 6
    assert AIVoice.objects.filter(provider="local", provider_voice_id="en_US-joe-medium").exists()
    system_templates = PromptTemplate.objects.filter(owner__isnull=True)
    assert system_templates.count() >= 10
    assert len({template.category for template in system_templates}) >= 7
    for template in system_templates:  # every one passes the rules users' templates must pass
        templating.check_template(template.body, template.variables)
    assert all(avatar.default_voice for avatar in avatars)
    assert sorted(WriterPrompt.objects.values_list("name", "version")) == [("draft", 1), ("translate", 1)]


def test_every_avatar_has_a_distinct_real_portrait_and_a_thumbnail(seeded):
    fingerprints = set()
    for avatar in AIAvatar.objects.all():
        with default_storage.open(avatar.portrait.name) as stored:
            image = Image.open(stored)
            image.load()
        assert (image.format, image.size) == ("PNG", (600, 800))
        fingerprints.add(image.resize((16, 16)).tobytes())
        assert default_storage.exists(avatar.portrait_thumbnail.name)
    assert len(fingerprints) == AIAvatar.objects.count()


def test_seeding_again_changes_nothing_and_keeps_the_portraits_and_the_music(seeded, monkeypatch):
    def no_synthesis(slug):
        raise AssertionError(f"{slug} has its audio: seeding again must not make it again")

    monkeypatch.setattr(music, "track_mp3", no_synthesis)
    before = {a.slug: a.portrait.name for a in AIAvatar.objects.all()}
    music_before = {track.slug: track.audio.name for track in MusicTrack.objects.all()}
    counts = (AIAvatar.objects.count(), AIVoice.objects.count(), PromptTemplate.objects.count(),
              WriterPrompt.objects.count(), MusicTrack.objects.count())
    call_command("seed_catalog", "--no-samples", stdout=io.StringIO())
    assert (AIAvatar.objects.count(), AIVoice.objects.count(), PromptTemplate.objects.count(),
            WriterPrompt.objects.count(), MusicTrack.objects.count()) == counts
    assert {a.slug: a.portrait.name for a in AIAvatar.objects.all()} == before
    assert {track.slug: track.audio.name for track in MusicTrack.objects.all()} == music_before


def test_the_starter_music_is_real_audio_of_a_reels_length_with_its_licence(seeded, tmp_path):
    tracks = MusicTrack.objects.filter(is_active=True)
    assert tracks.count() >= 3
    assert {"upbeat", "calm", "corporate"} <= {track.mood for track in tracks}
    for track in tracks:
        local = tmp_path / f"{track.slug}.mp3"
        with default_storage.open(track.audio.name) as stored:
            local.write_bytes(stored.read())
        assert 20.0 <= music_duration(local) <= 40.0
        assert track.duration_seconds == pytest.approx(music_duration(local), abs=0.1)
        assert track.licence.startswith("CC0") and track.credit


def test_seeding_queues_samples_for_voices_that_lack_one(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.generate_voice_sample, "delay", queued.append)
    call_command("seed_catalog", stdout=io.StringIO())
    # Only voices that can speak here: the test settings have no OpenAI key.
    assert sorted(queued) == sorted(AIVoice.objects.filter(provider="local").values_list("pk", flat=True))


def test_the_mouth_is_drawn_where_the_renderer_animates_it():
    style = PortraitStyle(skin="#E0AC69", hair="#3D2314", hair_style="short", clothing="#2A9D8F",
                          clothing_style="crew", background=("#F6D365", "#FDA085"))
    image = draw_portrait(style)
    width, height = image.size
    cx, cy = int(render.DEFAULT_MOUTH_CENTER[0] * width), int(render.DEFAULT_MOUTH_CENTER[1] * height)
    skin = (0xE0, 0xAC, 0x69)

    def differs_from_skin(x, y):
        return sum(abs(a - b) for a, b in zip(image.getpixel((x, y)), skin, strict=True)) > 60

    assert differs_from_skin(cx, cy)  # lips at the centre
    half = int(MOUTH_WIDTH * width / 2)
    assert differs_from_skin(cx - half + 4, cy) and differs_from_skin(cx + half - 4, cy)
    assert not differs_from_skin(cx - half - 12, cy) and not differs_from_skin(cx + half + 12, cy)  # cheeks


def test_the_renderer_uses_the_same_mouth_position():
    # The very constant, not a restated copy of it that could drift.
    assert portraits.DEFAULT_MOUTH_CENTER is render.DEFAULT_MOUTH_CENTER
