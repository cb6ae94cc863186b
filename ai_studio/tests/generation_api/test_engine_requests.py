"""The engine's request comes from a job's rows, built the same way for the worker and the CLI."""
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from ai_studio.generation.errors import GenerationError
from ai_studio.generation.types import EndCard
from ai_studio.models import VideoGenerationJob
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore
from ai_studio.services.engine_requests import generation_request, render_options, speech_provider_for
from ai_studio.tests.catalog.factories import stored_music_track
from campaigns.models import Campaign, CampaignMedia
from campaigns.services import delete_campaign
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.media_files import clip_upload, stored_media

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
    settings.RENDER_PRESET, settings.RENDER_CRF, settings.RENDER_THREADS = "slow", 30, 1
    assert render_options() == {"render_preset": "slow", "render_crf": 30, "render_threads": 1}


def test_the_local_voices_share_the_machines_speech_cache_unless_its_size_is_zero(voice, settings, tmp_path):
    settings.SPEECH_CACHE_DIR, settings.SPEECH_CACHE_MAX_MB = tmp_path / "speech-cache", 2.5
    cache = speech_provider_for(voice).cache
    assert (cache.directory, cache.max_bytes) == (tmp_path / "speech-cache", int(2.5 * 1024 * 1024))
    settings.SPEECH_CACHE_MAX_MB = 0
    assert speech_provider_for(voice).cache is None


def test_scenes_bring_their_media_downloaded_and_the_look_its_fields(avatar, voice, user, tmp_path):
    campaign = CampaignFactory(owner=user)
    photo, clip = stored_media(campaign), stored_media(campaign, clip_upload())
    scenes = [{"text": "Meet Rocket Shoes.", "media_id": str(photo.pk)},
              {"text": "Light and fast.", "media_id": str(clip.pk)},
              {"text": "Tap the link.", "media_id": str(photo.pk)}]
    request = request_for(tmp_path, avatar=avatar, voice=voice, owner=user, campaign=campaign,
                          script="Meet Rocket Shoes. Light and fast. Tap the link.", scenes=scenes,
                          layout="product", headline="Spring drop", end_card={"text": "Shop now", "seconds": 3.0})
    assert request.script == "Meet Rocket Shoes. Light and fast. Tap the link."
    assert [(scene.text, scene.kind) for scene in request.scenes] == [
        ("Meet Rocket Shoes.", "image"), ("Light and fast.", "video"), ("Tap the link.", "image")]
    assert request.scenes[0].media_path == request.scenes[2].media_path  # one download for a shared item
    for scene, media in zip(request.scenes, (photo, clip, photo)):
        assert scene.media_path.parent == tmp_path
        assert scene.media_path.suffix == Path(media.file.name).suffix
        with default_storage.open(media.file.name) as stored:
            assert scene.media_path.read_bytes() == stored.read()
    assert (request.layout, request.headline) == ("product", "Spring drop")
    assert request.end_card == EndCard(text="Shop now", seconds=3.0)


def test_a_job_without_scenes_or_look_asks_for_the_engines_defaults(avatar, voice, tmp_path):
    request = request_for(tmp_path, avatar=avatar, voice=voice, script="Hi.")
    assert (request.layout, request.headline, request.end_card, request.scenes) == (None, "", None, [])


@pytest.mark.parametrize("lose", ["row", "file"])
def test_scene_media_gone_from_the_library_or_storage_is_a_permanent_generation_error(avatar, voice, user, tmp_path,
                                                                                      lose):
    campaign = CampaignFactory(owner=user)
    photo = stored_media(campaign)
    if lose == "row":
        CampaignMedia.objects.filter(pk=photo.pk).delete()
    else:
        default_storage.delete(photo.file.name)
    with pytest.raises(GenerationError) as raised:
        request_for(tmp_path, avatar=avatar, voice=voice, owner=user, campaign=campaign, script="Hi.",
                    scenes=[{"text": "Hi.", "media_id": str(photo.pk)}])
    assert raised.value.code == "input_file_missing"
    assert not raised.value.transient


def test_media_of_another_user_is_never_sent_whatever_the_job_row_says(avatar, voice, user, other_user, tmp_path):
    someone_elses = stored_media(CampaignFactory(owner=other_user))
    with pytest.raises(GenerationError, match="no longer in the campaign's library"):
        request_for(tmp_path, avatar=avatar, voice=voice, owner=user, script="Hi.",
                    scenes=[{"text": "Hi.", "media_id": str(someone_elses.pk)}])


def test_a_campaign_deleted_since_the_job_was_loaded_brands_nothing(avatar, voice, user, tmp_path,
                                                                    django_capture_on_commit_callbacks):
    logo = default_storage.save("campaign-logos/gone.png", ContentFile(b"a logo"))
    campaign = CampaignFactory(owner=user, brand_primary_color="#112233", brand_logo=logo)
    job = VideoGenerationJob(avatar=avatar, voice=voice, script="Hi.", campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        delete_campaign(Campaign.objects.get(pk=campaign.pk))  # its logo file goes with it
    assert not default_storage.exists(logo)

    request = generation_request(job, tmp_path, DjangoStorageArtifactStore())

    assert (request.logo_path, request.accent_color) == (None, None)
    assert request.background_color == avatar.background_color  # the job has no campaign any more


def test_a_campaign_given_another_logo_since_the_job_was_loaded_brands_with_the_new_one(
        avatar, voice, user, tmp_path, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(owner=user, brand_logo=default_storage.save("campaign-logos/old.png",
                                                                           ContentFile(b"old logo")))
    job = VideoGenerationJob(avatar=avatar, voice=voice, script="Hi.", campaign=campaign)
    fresh = Campaign.objects.get(pk=campaign.pk)
    with django_capture_on_commit_callbacks(execute=True):
        fresh.brand_logo = default_storage.save("campaign-logos/new.png", ContentFile(b"new logo"))
        fresh.save()
        default_storage.delete(campaign.brand_logo.name)  # what replacing a logo does after commit

    request = generation_request(job, tmp_path, DjangoStorageArtifactStore())

    assert request.logo_path.read_bytes() == b"new logo"


def test_a_logo_missing_while_its_campaign_still_names_it_is_an_input_error(avatar, voice, user, tmp_path):
    campaign = CampaignFactory(owner=user, brand_logo=default_storage.save("campaign-logos/lost.png",
                                                                           ContentFile(b"logo")))
    default_storage.delete(campaign.brand_logo.name)
    with pytest.raises(GenerationError) as raised:
        request_for(tmp_path, avatar=avatar, voice=voice, script="Hi.", campaign=campaign)
    assert raised.value.code == "input_file_missing"
