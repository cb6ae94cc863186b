"""The engine's request comes from a job's rows, built the same way for the worker and the CLI."""
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from ai_studio.generation.errors import GenerationError
from ai_studio.models import VideoGenerationJob
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore
from ai_studio.services.engine_requests import generation_request, render_options, speech_provider_for
from ai_studio.tests.catalog.factories import stored_music_track
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def request_for(workdir, **job_fields):
    workdir.mkdir(exist_ok=True)
    return generation_request(VideoGenerationJob(**job_fields), workdir, DjangoStorageArtifactStore())


def test_a_job_without_a_campaign_takes_its_own_fields_and_the_avatars_look(avatar, voice, tmp_path):
    request = request_for(tmp_path, avatar=avatar, voice=voice, script="Hello there.", speed=1.25,
                          aspect_ratio="1:1", resolution="1080p", captions_enabled=False,
                          caption_style={"font_size": 80, "no_such_style": True})
    assert (request.script, request.voice_id, request.language) == ("Hello there.", "en_US-joe-medium", voice.language)
    assert (request.speed, request.aspect_ratio, request.resolution, request.captions) == (1.25, "1:1", "1080p", False)
    assert request.caption_style.font_size == 80
    assert (request.background_color, request.framing) == ("#223344", avatar.framing)
    assert (request.accent_color, request.logo_path, request.rig_path) == (None, None, None)
    with default_storage.open(avatar.portrait.name) as stored:
        assert request.portrait_path.read_bytes() == stored.read()


def test_a_campaign_lends_its_brand_unless_the_job_chooses_a_background(avatar, voice, user, tmp_path):
    logo = default_storage.save("campaign-logos/brand.png", ContentFile(b"a logo"))
    campaign = CampaignFactory(owner=user, brand_primary_color="#112233", brand_secondary_color="#445566",
                               brand_logo=logo)
    branded = request_for(tmp_path / "a", avatar=avatar, voice=voice, script="Hi.", campaign=campaign)
    assert (branded.background_color, branded.accent_color) == ("#112233", "#445566")
    assert branded.logo_path.read_bytes() == b"a logo"
    chosen = request_for(tmp_path / "b", avatar=avatar, voice=voice, script="Hi.", campaign=campaign,
                         background_color="#ABCDEF")
    assert chosen.background_color == "#ABCDEF"


def test_a_rigged_avatar_sends_its_rig(rigged_avatar, voice, tmp_path):
    request = request_for(tmp_path, avatar=rigged_avatar, voice=voice, script="Hi.")
    assert request.rig_path.name == "rig.zip"
    assert request.rig_path.stat().st_size > 0


def test_a_job_with_music_sends_the_track_and_one_without_sends_none(avatar, voice, tmp_path):
    track = stored_music_track()
    request = request_for(tmp_path / "a", avatar=avatar, voice=voice, script="Hi.", music=track)
    with default_storage.open(track.audio.name) as stored:
        assert request.music_path.read_bytes() == stored.read()
    assert request.music_path.parent == tmp_path / "a"
    assert request_for(tmp_path / "b", avatar=avatar, voice=voice, script="Hi.").music_path is None


def test_a_missing_stored_input_is_a_permanent_generation_error(avatar, voice, tmp_path):
    default_storage.delete(avatar.portrait.name)
    with pytest.raises(GenerationError) as raised:
        request_for(tmp_path, avatar=avatar, voice=voice, script="Hi.")
    assert raised.value.code == "input_file_missing"
    assert not raised.value.transient


def test_the_cli_reports_a_missing_input_as_a_command_error(avatar, voice, tmp_path):
    default_storage.delete(avatar.portrait.name)
    with pytest.raises(CommandError, match="input_file_missing"):
        call_command("generate_video", script="Hi.", avatar=avatar.slug, voice=voice.slug, out=str(tmp_path / "x.mp4"))


def test_the_voice_chooses_the_speech_provider_and_settings_the_render(voice, settings):
    assert speech_provider_for(voice).name == "local"
    settings.RENDER_PRESET, settings.RENDER_CRF = "slow", 30
    assert render_options() == {"render_preset": "slow", "render_crf": 30}
