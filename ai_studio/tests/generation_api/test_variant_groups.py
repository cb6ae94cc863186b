"""`/api/ai-studio/variant-groups`: one brief rendered several ways, one job per variant, all or nothing."""
import pytest
from django.db import DataError

from ai_studio.models import GenerationBatch, JobStatus, Variant, VariantGroup, VideoGenerationJob
from ai_studio.services import execution
from ai_studio.services.variant_groups import VariantSpec, submit_variant_group
from ai_studio.tests.catalog.factories import VoiceFactory
from analytics.models import ShareLink
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

URL = "/api/ai-studio/variant-groups"
BASE = {"hook": "Wet socks on mile three? Not anymore.", "body": "TrailFlex keeps your feet dry on any trail.",
        "call_to_action": "Tap the link and grab your pair."}


@pytest.fixture
def campaign(user):
    return CampaignFactory(owner=user, call_to_action="Grab your pair")


@pytest.fixture
def submit(auth_client, campaign, avatar, voice):
    """POST a valid group (three hooks), overridable field by field."""

    def post(client=None, headers=None, **overrides):
        body = {
            "campaign_id": campaign.pk, "name": "Spring hooks", "base": BASE,
            "settings": {"avatar_id": avatar.pk, "voice_id": voice.pk},
            "variants": [{"label": "Socks"}, {"label": "Question", "hook": "What if your shoes never got wet?"},
                         {"label": "Promise", "hook": "Dry feet, every mile."}],
        } | overrides
        return (client or auth_client).post(URL, body, format="json", **(headers or {}))

    return post


def fields_of(response) -> dict:
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "validation_error"
    return response.json()["error"]["fields"]


# --- creating a group ---------------------------------------------------------------------------
def test_a_group_queues_one_job_per_variant_with_its_own_hook(submit, user, campaign, voice):
    response = submit()

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["campaign_id"], body["jobs_by_status"]) == ("Spring hooks", campaign.pk, {"queued": 3})
    assert body["results_url"].endswith(f"/api/analytics/variant-groups/{body['id']}")
    assert [variant["label"] for variant in body["variants"]] == ["Socks", "Question", "Promise"]
    scripts = [variant["job"]["script"] for variant in body["variants"]]
    assert scripts == [
        "Wet socks on mile three? Not anymore. TrailFlex keeps your feet dry on any trail. Tap the link and grab "
        "your pair.",
        "What if your shoes never got wet? TrailFlex keeps your feet dry on any trail. Tap the link and grab your "
        "pair.",
        "Dry feet, every mile. TrailFlex keeps your feet dry on any trail. Tap the link and grab your pair.",
    ]
    jobs = VideoGenerationJob.objects.filter(owner=user).order_by("variant__position")
    assert [job.title for job in jobs] == ["Spring hooks · Socks", "Spring hooks · Question", "Spring hooks · Promise"]
    assert {(job.status, job.campaign_id, job.voice_id) for job in jobs} == {(JobStatus.QUEUED, campaign.pk, voice.pk)}
    assert body["variants"][1]["overrides"] == {"hook": "What if your shoes never got wet?"}


def test_a_group_is_submitted_as_a_batch_with_one_row_per_variant(submit, auth_client, user, campaign):
    body = submit().json()

    batch = GenerationBatch.objects.get(pk=body["batch_id"])
    assert (batch.owner, batch.campaign, batch.total_jobs, batch.name) == (user, campaign, 3, "Spring hooks")
    rows = VideoGenerationJob.objects.filter(batch=batch).order_by("batch_row")
    assert [str(job.pk) for job in rows] == [variant["job"]["id"] for variant in body["variants"]]
    # The batch's own endpoints follow the group: progress, its jobs in variant order, cancel.
    shown = auth_client.get(f"/api/ai-studio/batches/{batch.pk}").json()
    assert shown["counts"]["total"] == 3 and shown["counts"]["queued"] == 3
    listed = auth_client.get(f"/api/ai-studio/batches/{batch.pk}/jobs").json()["results"]
    assert [job["id"] for job in listed] == [variant["job"]["id"] for variant in body["variants"]]
    assert auth_client.post(f"/api/ai-studio/batches/{batch.pk}/cancel").status_code == 200
    assert set(VideoGenerationJob.objects.filter(batch=batch).values_list("status", flat=True)) == {JobStatus.CANCELED}


def test_variants_may_change_the_voice_avatar_layout_headline_or_whole_script(submit, avatar, rigged_avatar):
    other_voice = VoiceFactory(provider="local", provider_voice_id="en_US-joe-medium-2")
    response = submit(settings={"avatar_id": avatar.pk, "voice_id": avatar.default_voice_id, "layout": "card",
                                "end_card": True, "title": "Trail test", "not_a_setting": 1},
                      variants=[{}, {"voice_id": other_voice.pk, "headline": "Dry feet"},
                                {"avatar_id": rigged_avatar.pk, "layout": "presenter",
                                 "script": "A whole new script. Shop now."}])

    assert response.status_code == 201, response.json()
    jobs = [variant["job"] for variant in response.json()["variants"]]
    assert [variant["label"] for variant in response.json()["variants"]] == ["A", "B", "C"]
    assert [job["voice_id"] for job in jobs] == [avatar.default_voice_id, other_voice.pk, avatar.default_voice_id]
    assert [job["avatar_id"] for job in jobs] == [avatar.pk, avatar.pk, rigged_avatar.pk]
    assert [job["layout"] for job in jobs] == ["card", "card", "presenter"]
    assert [job["headline"] for job in jobs] == ["", "Dry feet", ""]
    assert jobs[2]["script"] == "A whole new script. Shop now."
    assert jobs[0]["title"] == "Trail test · A"
    assert {job["end_card"]["text"] for job in jobs} == {"Grab your pair"}  # the campaign's call to action
    assert response.json()["settings"] == {"avatar_id": avatar.pk, "voice_id": avatar.default_voice_id,
                                           "layout": "card", "end_card": True, "title": "Trail test"}


def test_a_whole_base_script_has_its_first_sentence_replaced_by_a_hook(submit):
    response = submit(base={"script": "Old hook here. The middle part. Buy it today."},
                      variants=[{"label": "Old"}, {"label": "New", "hook": "Brand new hook!"}])

    assert response.status_code == 201, response.json()
    assert [variant["job"]["script"] for variant in response.json()["variants"]] == [
        "Old hook here. The middle part. Buy it today.", "Brand new hook! The middle part. Buy it today."]


def test_groups_are_listed_newest_first_and_read_one_by_one(submit, auth_client, campaign,
                                                            django_assert_max_num_queries):
    first, second, _ = submit(name="First").json(), submit(name="Second").json(), submit(name="Third").json()

    with django_assert_max_num_queries(8):  # auth, count, groups, variants with jobs and videos: not per group
        listing = auth_client.get(URL).json()
    assert [group["name"] for group in listing["results"]] == ["Third", "Second", "First"]
    assert auth_client.get(f"{URL}?search=firs").json()["results"][0]["id"] == first["id"]
    assert auth_client.get(f"{URL}?campaign={campaign.pk}").json()["count"] == 3
    assert auth_client.get(f"{URL}?campaign={campaign.pk + 1}").json()["count"] == 0
    detail = auth_client.get(f"{URL}/{second['id']}")
    assert detail.status_code == 200
    assert [variant["job"]["id"] for variant in detail.json()["variants"]] == [
        variant["job"]["id"] for variant in second["variants"]]


def test_an_idempotency_key_replays_the_group_instead_of_queueing_it_again(submit, set_limits):
    first = submit(headers={"HTTP_IDEMPOTENCY_KEY": "group-1"})
    assert first.status_code == 201 and first["Idempotent-Replayed"] == "false"
    set_limits(concurrent_jobs=3)  # full now: a replay is never refused by a limit

    replay = submit(headers={"HTTP_IDEMPOTENCY_KEY": "group-1"})

    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert VariantGroup.objects.count() == 1 and VideoGenerationJob.objects.count() == 3

    reused = submit(headers={"HTTP_IDEMPOTENCY_KEY": "group-1"}, name="Another group")
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"


# --- validation ---------------------------------------------------------------------------------
def test_each_variant_is_validated_as_the_request_it_becomes(submit, avatar):
    fields = fields_of(submit(variants=[
        {"label": "Fine"},
        {"label": "Bad voice", "voice_id": 999_999},
        {"label": "Product", "layout": "product"},
        {"label": "Both", "hook": "A hook.", "script": "And a script."},
    ]))

    assert set(fields["variants"]) == {"1", "2", "3"}
    assert fields["variants"]["1"] == {"voice_id": ["No active voice with this id."]}
    assert fields["variants"]["2"] == {"layout": [
        "The product layout shows the campaign's media: add scenes or a media_id."]}
    assert fields["variants"]["3"] == {"hook": ["Give a hook or a whole script, not both."]}
    assert not VariantGroup.objects.exists() and not VideoGenerationJob.objects.exists()


@pytest.mark.parametrize("variants, message", [
    ([{"label": "Only"}], "at least 2"),
    ([{"label": str(n)} for n in range(11)], "no more than 10"),
])
def test_a_group_has_two_to_ten_variants(submit, variants, message):
    assert message in str(fields_of(submit(variants=variants))["variants"])


def test_labels_are_unique_within_a_group(submit):
    fields = fields_of(submit(variants=[{"label": "Hook"}, {"label": "hook", "hook": "Another."}]))
    assert fields["variants"] == {"0": {"label": ["Each variant needs its own label."]},
                                  "1": {"label": ["Each variant needs its own label."]}}


def test_an_avatar_and_a_voice_are_needed_in_the_settings_or_every_variant(submit, voice, avatar):
    fields = fields_of(submit(settings={"voice_id": voice.pk}, variants=[{"avatar_id": avatar.pk}, {}]))
    assert fields == {"settings": {"avatar_id": ["Give it here, or in every variant."]}}

    response = submit(settings={"voice_id": voice.pk}, variants=[{"avatar_id": avatar.pk}, {"avatar_id": avatar.pk}])
    assert response.status_code == 201, response.json()


def test_the_base_is_a_script_or_its_pieces(submit):
    assert "base" in fields_of(submit(base={"script": "A script.", "hook": "And a hook."}))
    assert fields_of(submit(base={"body": "No hook."}))["base"] == {
        "hook": ["Give a script, or a hook with the body and call to action."]}


def test_shared_settings_are_validated_once(submit, avatar):
    fields = fields_of(submit(settings={"avatar_id": avatar.pk, "voice_id": 999_999, "speed": 9}))
    assert set(fields["settings"]) == {"voice_id", "speed"}


def test_another_users_campaign_cannot_be_used(submit, other_user):
    fields = fields_of(submit(campaign_id=CampaignFactory(owner=other_user).pk))
    assert fields == {"campaign_id": ["No such campaign."]}
    assert not VideoGenerationJob.objects.exists()


# --- isolation ----------------------------------------------------------------------------------
def test_another_users_group_is_not_found(submit, other_user, make_client):
    group_id = submit().json()["id"]
    stranger = make_client(other_user)

    assert stranger.get(f"{URL}/{group_id}").status_code == 404
    assert stranger.get(f"/api/analytics/variant-groups/{group_id}").status_code == 404
    assert stranger.get(URL).json()["count"] == 0


# --- the plan, for the whole group ----------------------------------------------------------------
def refusal(response, limit: str) -> dict:
    assert response.status_code == 429, response.json()
    error = response.json()["error"]
    assert (error["code"], error["limit"], error["variants"]) == ("quota_exceeded", limit, 3)
    assert "No variant was queued." in error["message"]
    return error


def test_a_group_that_does_not_fit_the_concurrent_limit_queues_nothing(submit, set_limits, generate):
    set_limits(concurrent_jobs=3)
    assert generate().status_code == 202  # one active job already: room for two more, the group needs three

    response = submit()
    error = refusal(response, "concurrent_jobs")
    assert "needs 3 jobs at once; you have 1 queued or processing" in error["message"]
    assert response["Retry-After"] == "30"
    assert VideoGenerationJob.objects.count() == 1 and not VariantGroup.objects.exists()


def test_a_group_larger_than_the_plan_allows_at_once_is_told_waiting_will_not_help(submit, set_limits):
    set_limits(concurrent_jobs=2)
    response = submit()
    assert "smaller group" in refusal(response, "concurrent_jobs")["message"]
    assert "Retry-After" not in response


def test_a_group_over_the_daily_jobs_is_refused_whole(submit, set_limits, generate):
    set_limits(jobs_per_day=3)
    generate()
    refusal(submit(), "jobs_per_day")
    assert not Variant.objects.exists()

    set_limits(jobs_per_day=4)
    assert submit().status_code == 201
    assert VideoGenerationJob.objects.count() == 4


def test_the_groups_minutes_are_counted_together(submit, set_limits):
    long_body = " ".join(["word"] * 150) + "."
    set_limits(video_minutes_per_month=2)  # one variant (~50 s) fits, three (~150 s) do not
    error = refusal(submit(base={**BASE, "body": long_body}), "video_minutes_per_month")
    assert "This group's 3 videos need about" in error["message"]
    assert not VideoGenerationJob.objects.exists()


def test_a_variant_script_over_the_plans_length_is_named(submit, set_limits):
    set_limits(script_characters=100)
    error = refusal(submit(variants=[{"label": "Short", "script": "Short."}, {"label": "Long"},
                                     {"label": "Short too", "script": "Also short."}]), "script_characters")
    assert error["message"].startswith("Variant Long's script is 114 characters")


# --- through the real pipeline ------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_variant_rendered_by_the_pipeline_gets_its_share_link_and_shows_in_the_results(submit, auth_client):
    """The worker completes the job; `job_changed` (completed) reaches analytics, which shares the video."""
    body = submit(variants=[{"label": "Rendered", "script": "Dry feet on every trail."},
                            {"label": "Waiting", "script": "Still in the queue."}]).json()
    rendered, waiting = body["variants"]

    assert execution.execute_job(rendered["job"]["id"]).status == "completed"

    video = VideoGenerationJob.objects.get(pk=rendered["job"]["id"]).video
    link = ShareLink.objects.get(video=video, revoked_at__isnull=True)
    results = auth_client.get(body["results_url"]).json()
    assert [row["share_url"] is not None for row in results["variants"]] == [True, False]
    assert results["variants"][0]["share_url"].endswith(f"/v/{link.token}")
    assert results["variants"][0]["video_id"] == str(video.pk)
    assert auth_client.get(f"{URL}/{body['id']}").json()["jobs_by_status"] == {"completed": 1, "queued": 1}
    assert waiting["job"]["status"] == "queued"


def test_a_variant_that_fails_after_the_others_were_made_takes_them_all_back(user, avatar, voice, campaign,
                                                                             django_capture_on_commit_callbacks):
    """The plan admitted the group, but the third job cannot be stored: the first two go too, and
    nothing is sent to the broker."""
    fields = {"avatar": avatar, "voice": voice, "campaign": campaign, "script": "Dry feet.", "title": "Fine"}
    specs = [VariantSpec("A", {}, fields), VariantSpec("B", {}, fields),
             VariantSpec("C", {}, fields | {"title": "x" * 500})]  # longer than the column
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(DataError):
        submit_variant_group(owner=user, campaign=campaign, name="Doomed", base={"script": "Dry feet."},
                             settings={}, variants=specs)

    assert callbacks == []
    assert not VariantGroup.objects.exists() and not VideoGenerationJob.objects.exists()
