"""POST /api/ai-studio/generate-video: validation, defaults, templates and idempotency."""
import pytest

from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.tests.catalog.factories import (
    AvatarFactory,
    MusicTrackFactory,
    TemplateFactory,
    VoiceFactory,
    stored_music_track,
)
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def fields_of(response) -> dict:
    return response.json()["error"]["fields"]


def test_a_valid_request_queues_a_job_and_answers_202_with_its_status_url(generate, user):
    response = generate(title="Launch teaser", metadata={"source": "wizard"})
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["progress"] == 0
    assert body["status_url"].endswith(f"/api/ai-studio/generation-status/{body['id']}")
    assert response["Location"] == body["status_url"]
    assert body["metadata"] == {"source": "wizard"}
    job = VideoGenerationJob.objects.get(pk=body["id"])
    assert (job.owner, job.script, job.aspect_ratio, job.resolution) == (user, "Hello from ReelMate.", "9:16", "720p")
    assert job.captions_enabled is True


def test_generation_needs_authentication(generate, api_client):
    assert generate(client=api_client).status_code == 401


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"script": ""}, "script"),
        ({"script": "   "}, "script"),
        ({"script": "word " * 1000}, "script"),  # 5000 characters
        ({"avatar_id": 999999}, "avatar_id"),
        ({"voice_id": 999999}, "voice_id"),
        ({"aspect_ratio": "3:2"}, "aspect_ratio"),
        ({"resolution": "4k"}, "resolution"),
        ({"speed": 2.5}, "speed"),
        ({"speed": 0.2}, "speed"),
        ({"background": "red"}, "background"),
        ({"caption_style": {"position": "sideways"}}, "caption_style"),
        ({"metadata": {"blob": "x" * 5000}}, "metadata"),
        ({"avatar_id": ...}, "avatar_id"),
    ],
)
def test_invalid_requests_get_a_400_naming_the_field(generate, overrides, field):
    response = generate(**overrides)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in fields_of(response)
    assert VideoGenerationJob.objects.count() == 0


def test_inactive_avatar_and_voice_are_refused(generate):
    inactive_avatar, inactive_voice = AvatarFactory(is_active=False), VoiceFactory(is_active=False)
    response = generate(avatar_id=inactive_avatar.pk, voice_id=inactive_voice.pk)
    assert response.status_code == 400
    assert {"avatar_id", "voice_id"} <= set(fields_of(response))


def test_an_openai_voice_is_refused_when_openai_is_not_configured(generate, settings):
    settings.OPENAI_API_KEY = ""
    openai_voice = VoiceFactory(provider="openai", provider_voice_id="nova")
    response = generate(voice_id=openai_voice.pk)
    assert response.status_code == 400
    assert "voice_id" in fields_of(response)


def test_someone_elses_campaign_or_template_is_refused(generate, other_user):
    response = generate(campaign_id=CampaignFactory(owner=other_user).pk)
    assert response.status_code == 400
    assert fields_of(response)["campaign_id"] == ["No such campaign."]
    response = generate(script=..., template_id=TemplateFactory(owner=other_user).pk, variables={"product": "X"})
    assert response.status_code == 400
    assert fields_of(response)["template_id"] == ["No such template."]


def test_a_template_is_rendered_into_the_script_and_its_use_counted(generate, user):
    template = TemplateFactory(owner=user)
    response = generate(script=..., template_id=template.pk, variables={"product": "Rocket Shoes"})
    assert response.status_code == 202, response.json()
    assert response.json()["script"] == "Meet Rocket Shoes. Tap the link."
    template.refresh_from_db()
    assert template.usage_count == 1


def test_a_system_template_can_be_used_by_anyone(generate):
    template = TemplateFactory(owner=None)
    assert generate(script=..., template_id=template.pk, variables={"product": "Rocket"}).status_code == 202


def test_missing_and_unknown_template_variables_are_named(generate, user):
    template = TemplateFactory(owner=user)
    response = generate(script=..., template_id=template.pk, variables={"colour": "red"})
    assert response.status_code == 400
    variables = fields_of(response)["variables"]
    assert set(variables) == {"product", "colour"}


def test_script_and_template_together_are_ambiguous(generate, user):
    response = generate(template_id=TemplateFactory(owner=user).pk, variables={"product": "X"})
    assert response.status_code == 400
    assert "script" in fields_of(response)


def test_aspect_ratio_and_background_default_from_the_campaign(generate, user):
    campaign = CampaignFactory(owner=user, aspect_ratio="1:1", brand_primary_color="#FF5A1F")
    response = generate(campaign_id=campaign.pk)
    assert response.status_code == 202
    job = VideoGenerationJob.objects.get(pk=response.json()["id"])
    assert job.aspect_ratio == "1:1"
    assert job.campaign == campaign
    explicit = generate(campaign_id=campaign.pk, aspect_ratio="16:9")
    assert explicit.json()["aspect_ratio"] == "16:9"


def test_same_idempotency_key_and_body_return_the_same_job(generate):
    first = generate(headers={"HTTP_IDEMPOTENCY_KEY": "abc-1"})
    again = generate(headers={"HTTP_IDEMPOTENCY_KEY": "abc-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert VideoGenerationJob.objects.count() == 1


def test_same_idempotency_key_with_another_body_is_a_conflict(generate):
    assert generate(headers={"HTTP_IDEMPOTENCY_KEY": "abc-2"}).status_code == 202
    response = generate(script="Something else entirely.", headers={"HTTP_IDEMPOTENCY_KEY": "abc-2"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert VideoGenerationJob.objects.count() == 1


def test_idempotency_keys_are_per_user(generate, other_client):
    mine = generate(headers={"HTTP_IDEMPOTENCY_KEY": "shared"})
    theirs = generate(client=other_client, headers={"HTTP_IDEMPOTENCY_KEY": "shared"})
    assert theirs.status_code == 202
    assert mine.json()["id"] != theirs.json()["id"]


def test_jobs_are_enqueued_only_after_commit(generate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = generate()
    assert response.status_code == 202
    job = VideoGenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == JobStatus.QUEUED and job.released_at is not None  # its owner had a free slot
    assert job.dispatched_at is None  # not sent from inside the transaction
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.dispatched_at is not None


def test_a_job_takes_an_active_music_track(generate):
    track = stored_music_track(slug="bed")
    response = generate(music_id=track.pk)
    assert response.status_code == 202, response.json()
    assert response.json()["music_id"] == track.pk
    assert VideoGenerationJob.objects.get(pk=response.json()["id"]).music == track
    assert generate(music_id=None).json()["music_id"] is None


@pytest.mark.parametrize("make_track", [
    lambda: stored_music_track(slug="retired", is_active=False),
    lambda: MusicTrackFactory(slug="no-audio"),
])
def test_music_that_users_cannot_pick_is_a_field_error(generate, make_track):
    for music_id in (make_track().pk, 987654):
        response = generate(music_id=music_id)
        assert response.status_code == 400
        assert fields_of(response)["music_id"] == ["No active music track with this id."]
    assert not VideoGenerationJob.objects.exists()
