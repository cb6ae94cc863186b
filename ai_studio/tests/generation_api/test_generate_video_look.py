"""The generation request's look: layout, headline, end card, and scenes that show the campaign's media."""
import pytest

from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.tests.catalog.factories import TemplateFactory
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.media_files import clip_upload, stored_media

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(user):
    return CampaignFactory(owner=user, call_to_action="Shop the spring drop")


@pytest.fixture
def photo(campaign):
    return stored_media(campaign)


@pytest.fixture
def clip(campaign):
    return stored_media(campaign, clip_upload())


def fields_of(response) -> dict:
    assert response.status_code == 400, response.json()
    return response.json()["error"]["fields"]


def scene(text, media):
    return {"text": text, "media_id": str(media.pk)}


def test_scenes_hold_the_script_and_the_media_they_show(generate, campaign, photo, clip):
    response = generate(script=..., campaign_id=campaign.pk, layout="product", headline=" Spring is here ",
                        scenes=[scene("Meet Rocket Shoes.", photo), scene("  Light,\n fast   and bright. ", clip),
                                scene("Tap the link.", photo)])
    assert response.status_code == 202, response.json()
    body = response.json()
    job = VideoGenerationJob.objects.get(pk=body["id"])
    assert job.script == "Meet Rocket Shoes. Light, fast and bright. Tap the link."
    assert job.scenes == [scene("Meet Rocket Shoes.", photo), scene("Light, fast and bright.", clip),
                          scene("Tap the link.", photo)]
    assert set(job.media.all()) == {photo, clip}
    assert (job.layout, job.headline, job.end_card) == ("product", "Spring is here", {})
    assert (body["layout"], body["headline"], body["end_card"]) == ("product", "Spring is here", {})
    assert body["scenes"] == job.scenes
    assert body["script"] == job.script


def test_one_media_item_for_the_whole_reel_is_one_scene_with_the_whole_script(generate, campaign, photo):
    response = generate(script="Meet Rocket Shoes.\nTap the link.", campaign_id=campaign.pk, media_id=str(photo.pk))
    assert response.status_code == 202, response.json()
    job = VideoGenerationJob.objects.get(pk=response.json()["id"])
    assert job.scenes == [scene("Meet Rocket Shoes. Tap the link.", photo)]
    assert list(job.media.all()) == [photo]


def test_media_id_works_with_a_template(generate, campaign, photo, user):
    template = TemplateFactory(owner=user)
    response = generate(script=..., template_id=template.pk, variables={"product": "Rocket"},
                        campaign_id=campaign.pk, media_id=str(photo.pk))
    assert response.status_code == 202, response.json()
    assert VideoGenerationJob.objects.get().scenes == [scene("Meet Rocket. Tap the link.", photo)]


@pytest.mark.parametrize(("end_card", "stored"), [
    (True, {"text": "Shop the spring drop", "seconds": 2.0}),
    ({}, {"text": "Shop the spring drop", "seconds": 2.0}),
    ({"seconds": 4}, {"text": "Shop the spring drop", "seconds": 4.0}),
    ({"text": "Visit rocket.shoes", "seconds": 1.5}, {"text": "Visit rocket.shoes", "seconds": 1.5}),
    ({"text": ""}, {"text": "", "seconds": 2.0}),
    (False, {}),
    (None, {}),
])
def test_the_end_card_defaults_to_the_campaigns_call_to_action(generate, campaign, end_card, stored):
    response = generate(campaign_id=campaign.pk, end_card=end_card)
    assert response.status_code == 202, response.json()
    assert VideoGenerationJob.objects.get().end_card == stored
    assert response.json()["end_card"] == stored


def test_without_a_campaign_or_its_call_to_action_the_end_card_says_learn_more(generate, user):
    assert generate(end_card=True).json()["end_card"] == {"text": "Learn more", "seconds": 2.0}
    silent = CampaignFactory(owner=user, call_to_action="")
    assert generate(campaign_id=silent.pk, end_card=True).json()["end_card"]["text"] == "Learn more"


def test_without_the_new_fields_a_job_looks_as_before(generate):
    body = generate().json()
    assert (body["layout"], body["headline"], body["end_card"], body["scenes"]) == ("", "", {}, [])


@pytest.mark.parametrize(("overrides", "field"), [
    ({"layout": "collage"}, "layout"),
    ({"headline": "h" * 121}, "headline"),
    ({"end_card": "yes"}, "end_card"),
    ({"end_card": 1}, "end_card"),
    ({"end_card": {"text": "t" * 81}}, "end_card"),
    ({"end_card": {"seconds": 0.5}}, "end_card"),
    ({"end_card": {"seconds": 6}}, "end_card"),
    ({"end_card": {"colour": "red"}}, "end_card"),
    ({"media_id": "not-a-uuid"}, "media_id"),
])
def test_invalid_look_fields_are_a_400_naming_the_field(generate, overrides, field):
    assert field in fields_of(generate(**overrides))
    assert not VideoGenerationJob.objects.exists()


def test_end_card_errors_name_the_option(generate):
    assert fields_of(generate(end_card={"seconds": 9}))["end_card"] == {
        "seconds": ["Ensure this value is less than or equal to 5.0."]}


def test_scenes_replace_the_script_and_the_template(generate, campaign, photo, user):
    scenes = [scene("Meet Rocket Shoes.", photo)]
    assert "scenes" in fields_of(generate(campaign_id=campaign.pk, scenes=scenes))  # the default body has a script
    template = TemplateFactory(owner=user)
    assert "scenes" in fields_of(generate(script=..., template_id=template.pk, variables={"product": "X"},
                                          campaign_id=campaign.pk, scenes=scenes))
    assert "media_id" in fields_of(generate(script=..., campaign_id=campaign.pk, scenes=scenes,
                                            media_id=str(photo.pk)))


@pytest.mark.parametrize(("make_scenes", "expected"), [
    (lambda photo: [], {"scenes": {"non_field_errors": ["Ensure this field has at least 1 elements."]}}),
    (lambda photo: [scene("Hi.", photo)] * 21,
     {"scenes": {"non_field_errors": ["Ensure this field has no more than 20 elements."]}}),
    (lambda photo: [scene("Hi.", photo), scene("   ", photo)],
     {"scenes": {"1": {"text": ["This field may not be blank."]}}}),
    (lambda photo: [{"text": "Hi."}], {"scenes": {"0": {"media_id": ["This field is required."]}}}),
    (lambda photo: [scene("word " * 500, photo), scene("word " * 400, photo)],
     {"scenes": ["The script is 4499 characters; the limit is 4096."]}),
])
def test_each_scene_needs_text_and_media_within_the_limits(generate, campaign, photo, make_scenes, expected):
    assert fields_of(generate(script=..., campaign_id=campaign.pk, scenes=make_scenes(photo))) == expected


def test_media_needs_the_campaign_it_belongs_to(generate, photo):
    fields = fields_of(generate(script=..., scenes=[scene("Hi.", photo)]))
    assert fields == {"campaign_id": ["Choose the campaign whose media library the reel shows."]}
    assert "campaign_id" in fields_of(generate(media_id=str(photo.pk)))


def test_media_of_another_campaign_or_another_user_is_refused(generate, campaign, photo, user, other_user):
    mine_elsewhere = stored_media(CampaignFactory(owner=user))
    someone_elses = stored_media(CampaignFactory(owner=other_user))
    missing = "No media with this id in the campaign's media library."
    fields = fields_of(generate(script=..., campaign_id=campaign.pk, scenes=[
        scene("One.", photo), scene("Two.", mine_elsewhere), scene("Three.", someone_elses)]))
    assert fields == {"scenes": {"1": {"media_id": [missing]}, "2": {"media_id": [missing]}}}
    for media in (mine_elsewhere, someone_elses):
        assert fields_of(generate(campaign_id=campaign.pk, media_id=str(media.pk))) == {"media_id": [missing]}
    assert not VideoGenerationJob.objects.exists()


def test_the_product_layout_needs_media(generate, campaign, photo):
    assert fields_of(generate(campaign_id=campaign.pk, layout="product")) == {
        "layout": ["The product layout shows the campaign's media: add scenes or a media_id."]}
    assert generate(campaign_id=campaign.pk, layout="product", media_id=str(photo.pk)).status_code == 202
    assert generate(layout="presenter").status_code == 202


@pytest.mark.parametrize("layout", ["presenter", "card"])
def test_media_needs_a_layout_that_shows_it(generate, campaign, photo, layout):
    """Refused before anything is spoken, rather than failing the job at its render."""
    assert fields_of(generate(campaign_id=campaign.pk, layout=layout, media_id=str(photo.pk))) == {"layout": [
        f"The {layout} layout shows no media: choose one that does (e.g. product), or leave it blank."]}
    assert generate(campaign_id=campaign.pk, media_id=str(photo.pk)).json()["layout"] == ""  # blank: the default


def test_an_idempotent_replay_of_a_request_with_scenes_returns_the_same_job(generate, campaign, photo):
    body = {"script": ..., "campaign_id": campaign.pk, "scenes": [scene("Hi there.", photo)], "end_card": True}
    first = generate(headers={"HTTP_IDEMPOTENCY_KEY": "scenes-1"}, **body)
    again = generate(headers={"HTTP_IDEMPOTENCY_KEY": "scenes-1"}, **body)
    assert first.json()["id"] == again.json()["id"]
    other = generate(headers={"HTTP_IDEMPOTENCY_KEY": "scenes-1"}, **(body | {"end_card": False}))
    assert other.status_code == 409


def test_a_job_whose_media_was_deleted_cannot_be_retried(auth_client, generate, campaign, photo):
    job_id = generate(campaign_id=campaign.pk, media_id=str(photo.pk)).json()["id"]
    VideoGenerationJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED)
    photo.delete()
    response = auth_client.post(f"/api/ai-studio/generation-jobs/{job_id}/retry")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "media_deleted"
    assert VideoGenerationJob.objects.get(pk=job_id).status == JobStatus.FAILED


def test_the_schema_documents_the_look_and_scenes(api_client):
    schema = api_client.get("/api/schema", {"format": "json"}).json()
    request = schema["components"]["schemas"]["GenerateVideoRequest"]["properties"]
    assert {"layout", "headline", "end_card", "scenes", "media_id"} <= set(request)
    assert {option.get("type") for option in request["end_card"]["oneOf"]} == {"boolean", "object"}
    examples = schema["paths"]["/api/ai-studio/generate-video"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    assert any("scenes" in example["value"] for example in examples.values())
    job = schema["components"]["schemas"]["GenerationJob"]["properties"]
    assert {"layout", "headline", "end_card", "scenes"} <= set(job)
