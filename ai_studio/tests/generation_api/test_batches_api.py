"""Batches: one reel per row of variables, queued all or nothing, followed, canceled and retried.

POST /api/ai-studio/batches takes a template or a script with {{variables}}, shared settings, and
rows as JSON or a CSV upload; every row is validated before anything is queued, errors come back
per row and column, and the plan is checked for the whole batch at once.
"""
from __future__ import annotations

import io

import pytest

from ai_studio.events import batch_changed, job_changed_on_commit
from ai_studio.models import BatchStatus, ChargeStatus, GenerationBatch, JobCharge, JobStatus, VideoGenerationJob
from ai_studio.services import batch_progress
from ai_studio.services import batches as batch_service
from ai_studio.tests.catalog.factories import GenerationJobFactory, TemplateFactory, VoiceFactory
from testkit.concurrency import run_at_once

pytestmark = pytest.mark.django_db

SCRIPT = "Hi {{city}}! Rocket Shoes are in our {{store}} store from Monday."


@pytest.fixture
def post_batch(auth_client, avatar, voice):
    """POST a batch with valid shared settings; `rows`, `script` etc. overridable."""

    def post(client=None, headers=None, settings=None, **body):
        body = {"script": SCRIPT, "settings": {"avatar_id": avatar.pk, "voice_id": voice.pk} | (settings or {}),
                "rows": [{"city": "Leeds", "store": "Briggate"}, {"city": "York", "store": "Coney Street"}]} | body
        body = {key: value for key, value in body.items() if value is not ...}
        return (client or auth_client).post("/api/ai-studio/batches", body, format="json", **(headers or {}))

    return post


def csv_upload(text: str, name: str = "rows.csv") -> io.BytesIO:
    upload = io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text)
    upload.name = name
    return upload


def fields_of(response) -> dict:
    assert response.status_code == 400, response.json()
    return response.json()["error"]["fields"]


# --- creating ---------------------------------------------------------------------------------
def test_a_batch_queues_one_job_per_row_with_the_rows_variables_in_the_script(post_batch, user, voice):
    other_voice = VoiceFactory(provider="local", provider_voice_id="en_US-other", slug="other")
    response = post_batch(settings={"title": "Rocket Shoes in {{city}}", "resolution": "1080p"}, rows=[
        {"city": "Leeds", "store": "Briggate"},
        {"city": "York", "store": "Coney Street", "voice_id": other_voice.pk, "title": "York special"}])

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["total_jobs"] == 2 and body["counts"]["queued"] == 2 and body["status"] == "active"
    assert response["Location"].endswith(f"/api/ai-studio/batches/{body['id']}")
    first, second = VideoGenerationJob.objects.filter(batch_id=body["id"]).order_by("batch_row")
    assert first.script == "Hi Leeds! Rocket Shoes are in our Briggate store from Monday."
    assert (first.title, first.voice, first.resolution) == ("Rocket Shoes in Leeds", voice, "1080p")
    assert (second.title, second.voice, second.batch_row) == ("York special", other_voice, 1)
    assert second.template_variables == {"city": "York", "store": "Coney Street"}
    assert JobCharge.objects.filter(job__batch_id=body["id"], status=ChargeStatus.ESTIMATED).count() == 2


def test_rows_may_come_as_a_csv_upload_with_settings_as_json_text(auth_client, avatar, voice):
    csv_text = "\ufeffcity,store,title\nLeeds,Briggate,Leeds!\nYork,\"Coney Street, 12\",\n\n"
    response = auth_client.post("/api/ai-studio/batches", {
        "script": SCRIPT, "settings": f'{{"avatar_id": {avatar.pk}, "voice_id": {voice.pk}}}',
        "file": csv_upload(csv_text)}, format="multipart")

    assert response.status_code == 202, response.json()
    jobs = list(VideoGenerationJob.objects.filter(batch_id=response.json()["id"]).order_by("batch_row"))
    assert [job.title for job in jobs] == ["Leeds!", ""]  # an empty override cell keeps the shared value
    assert jobs[1].script == "Hi York! Rocket Shoes are in our Coney Street, 12 store from Monday."
    assert GenerationBatch.objects.get().source == "csv"


def test_a_template_batch_fills_the_templates_variables_and_counts_its_uses(post_batch, user):
    template = TemplateFactory(owner=user, body="{{product}} is here. Get yours!",
                                     variables=[{"name": "product", "label": "Product"}])
    response = post_batch(script=..., template_id=template.pk, rows=[{"product": "Rocket"}, {"product": "Comet"}])

    assert response.status_code == 202, response.json()
    assert sorted(VideoGenerationJob.objects.values_list("script", flat=True)) == [
        "Comet is here. Get yours!", "Rocket is here. Get yours!"]
    template.refresh_from_db()
    assert template.usage_count == 2 and VideoGenerationJob.objects.filter(template=template).count() == 2


@pytest.mark.parametrize("csv_bytes, message", [
    (b"city,store\n\xff\xfeLeeds,Briggate\n", "not UTF-8"),
    (b"city,city\nLeeds,Briggate\n", "named twice"),
    (b"city,store\nLeeds\n", "has 1 cells"),
    (b"city,store\n", "no rows"),
    (b"", "empty"),
])
def test_a_csv_that_is_not_clean_utf8_csv_is_refused_before_any_row(auth_client, avatar, voice, csv_bytes, message):
    response = auth_client.post("/api/ai-studio/batches", {
        "script": SCRIPT, "settings": f'{{"avatar_id": {avatar.pk}, "voice_id": {voice.pk}}}',
        "file": csv_upload(csv_bytes)}, format="multipart")
    assert message in " ".join(fields_of(response)["file"])
    assert not VideoGenerationJob.objects.exists()


def test_a_csv_over_the_row_limit_is_refused(auth_client, avatar, voice):
    rows = "".join(f"City {n},Store {n}\n" for n in range(batch_service.MAX_ROWS + 1))
    response = auth_client.post("/api/ai-studio/batches", {
        "script": SCRIPT, "settings": f'{{"avatar_id": {avatar.pk}, "voice_id": {voice.pk}}}',
        "file": csv_upload("city,store\n" + rows)}, format="multipart")
    assert "more than 1000 rows" in fields_of(response)["file"][0]


# --- validation: all or nothing ---------------------------------------------------------------
def test_every_rows_errors_are_reported_by_row_and_column_and_nothing_is_queued(post_batch):
    rows = [{"city": "Leeds", "store": "Briggate"}] * 20
    rows[3] = {"city": "York"}  # no store
    rows[17] = {"city": "Hull", "store": "Main", "voice_id": 999999, "resolution": "8k"}
    rows[18] = {"city": "Bath", "store": "Main", "colour": "red"}  # not a variable of the script

    fields = fields_of(post_batch(rows=rows))

    assert set(fields["rows"]) == {"3", "17", "18"}
    assert "store" in fields["rows"]["3"]
    assert set(fields["rows"]["17"]) == {"voice_id", "resolution"}
    assert "colour" in fields["rows"]["18"]
    assert not GenerationBatch.objects.exists() and not VideoGenerationJob.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"script": ...}, "template_id"),  # neither a script nor a template
    ({"template_id": 1}, "template_id"),  # both
    ({"rows": []}, "rows"),
    ({"script": "Hello {{ user.email }}"}, "script"),
    ({"settings": {"avatar": 1}}, "settings"),
])
def test_malformed_batches_are_refused(post_batch, body, field):
    assert field in fields_of(post_batch(**body))


def test_settings_missing_a_voice_are_an_error_in_every_row_that_does_not_name_one(post_batch, avatar, voice):
    response = post_batch(settings={"voice_id": None}, rows=[
        {"city": "Leeds", "store": "Briggate", "voice_id": voice.pk}, {"city": "York", "store": "Main"}])
    assert set(fields_of(response)["rows"]) == {"1"}


def test_a_thousand_rows_are_validated_and_queued_in_a_bounded_number_of_queries(
        post_batch, django_assert_max_num_queries):
    rows = [{"city": f"City {n}", "store": f"Store {n}"} for n in range(batch_service.MAX_ROWS)]
    with django_assert_max_num_queries(40):
        response = post_batch(rows=rows)
    assert response.status_code == 202, response.json()
    assert VideoGenerationJob.objects.filter(batch_id=response.json()["id"]).count() == 1000


# --- quotas -----------------------------------------------------------------------------------
def test_the_plan_is_checked_for_the_whole_batch_at_once(post_batch, set_limits):
    set_limits(jobs_per_day=3)
    response = post_batch(rows=[{"city": f"C{n}", "store": "S"} for n in range(4)])

    assert response.status_code == 429
    assert (response.json()["error"]["code"], response.json()["error"]["limit"]) == ("quota_exceeded", "jobs_per_day")
    assert "this batch has 4" in response.json()["error"]["message"]
    assert not VideoGenerationJob.objects.exists()
    assert post_batch(rows=[{"city": f"C{n}", "store": "S"} for n in range(3)]).status_code == 202


def test_the_batch_is_charged_the_sum_of_its_estimates(post_batch, set_limits):
    set_limits(video_minutes_per_month=1)  # each row is ~5 s: 20 rows are over a minute
    response = post_batch(rows=[{"city": f"C{n}", "store": "S"} for n in range(20)])
    assert response.json()["error"]["limit"] == "video_minutes_per_month"
    assert post_batch(rows=[{"city": "C", "store": "S"}] * 2).status_code == 202


def test_a_batch_counts_as_one_concurrent_job(post_batch, set_limits, generate):
    set_limits(concurrent_jobs=2)
    assert post_batch(rows=[{"city": f"C{n}", "store": "S"} for n in range(10)]).status_code == 202
    assert generate().status_code == 202  # the batch is one, this is two
    assert post_batch().json()["error"]["limit"] == "concurrent_jobs"


def test_the_same_idempotency_key_replays_the_batch_and_another_body_conflicts(post_batch):
    first = post_batch(headers={"HTTP_IDEMPOTENCY_KEY": "k1"})
    replay = post_batch(headers={"HTTP_IDEMPOTENCY_KEY": "k1"})
    assert (first.status_code, replay.status_code) == (202, 202)
    assert replay.json()["id"] == first.json()["id"] and replay["Idempotent-Replayed"] == "true"
    assert VideoGenerationJob.objects.count() == 2
    other = post_batch(headers={"HTTP_IDEMPOTENCY_KEY": "k1"}, rows=[{"city": "Hull", "store": "Main"}])
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"


# --- reading ----------------------------------------------------------------------------------
def test_a_batch_shows_its_counts_progress_and_its_jobs_by_status(post_batch, auth_client):
    batch_id = post_batch(rows=[{"city": f"C{n}", "store": "S"} for n in range(5)]).json()["id"]
    jobs = list(VideoGenerationJob.objects.filter(batch_id=batch_id).order_by("batch_row"))
    VideoGenerationJob.objects.filter(pk=jobs[0].pk).update(status=JobStatus.FAILED)
    VideoGenerationJob.objects.filter(pk=jobs[1].pk).update(status=JobStatus.PROCESSING, progress=50)

    body = auth_client.get(f"/api/ai-studio/batches/{batch_id}").json()
    assert body["counts"] == {"total": 5, "queued": 3, "processing": 1, "completed": 0, "failed": 1, "canceled": 0}
    assert body["progress"] == 30  # one of five finished, half of one more
    assert body["estimated_finish_at"] is None  # no job has completed yet: nothing to go by

    failed = auth_client.get(f"/api/ai-studio/batches/{batch_id}/jobs?status=failed").json()
    assert [job["id"] for job in failed["results"]] == [str(jobs[0].pk)]
    listed = auth_client.get(f"/api/ai-studio/batches/{batch_id}/jobs?page_size=2").json()
    assert listed["count"] == 5 and [job["batch_row"] for job in listed["results"]] == [0, 1]
    assert auth_client.get("/api/ai-studio/batches").json()["results"][0]["counts"]["failed"] == 1


def test_another_users_batch_is_not_found(post_batch, other_client):
    batch_id = post_batch().json()["id"]
    for path in ("", "/jobs"):
        assert other_client.get(f"/api/ai-studio/batches/{batch_id}{path}").status_code == 404
    for path in ("/cancel", "/retry-failed"):
        assert other_client.post(f"/api/ai-studio/batches/{batch_id}{path}").status_code == 404
    assert other_client.get("/api/ai-studio/batches").json()["count"] == 0


# --- cancel and retry -------------------------------------------------------------------------
def test_canceling_a_batch_cancels_what_has_not_finished_and_refunds_it(post_batch, auth_client):
    batch_id = post_batch(rows=[{"city": f"C{n}", "store": "S"} for n in range(4)]).json()["id"]
    done = VideoGenerationJob.objects.filter(batch_id=batch_id, batch_row=0)
    done.update(status=JobStatus.COMPLETED)

    body = auth_client.post(f"/api/ai-studio/batches/{batch_id}/cancel").json()

    assert body["status"] == "canceled" and body["counts"]["canceled"] == 3 and body["counts"]["completed"] == 1
    assert body["finished_at"] is not None  # nothing was rendering: it is over at once
    assert JobCharge.objects.filter(job__batch_id=batch_id, status=ChargeStatus.REFUNDED).count() == 3
    again = auth_client.post(f"/api/ai-studio/batches/{batch_id}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "batch_not_cancelable"


def test_retrying_the_failed_jobs_queues_them_again_and_reopens_the_batch(post_batch, auth_client):
    batch_id = post_batch(rows=[{"city": f"C{n}", "store": "S"} for n in range(3)]).json()["id"]
    VideoGenerationJob.objects.filter(batch_id=batch_id, batch_row__lt=2).update(
        status=JobStatus.FAILED, error_code="boom")
    VideoGenerationJob.objects.filter(batch_id=batch_id, batch_row=2).update(status=JobStatus.COMPLETED)
    JobCharge.objects.filter(job__batch_id=batch_id).update(status=ChargeStatus.REFUNDED)
    assert batch_progress.finish_if_done(batch_id)

    response = auth_client.post(f"/api/ai-studio/batches/{batch_id}/retry-failed")

    assert response.status_code == 202, response.json()
    assert response.json()["retried"] == 2
    assert response.json()["batch"]["status"] == "active" and response.json()["batch"]["finished_at"] is None
    retried = VideoGenerationJob.objects.filter(batch_id=batch_id, batch_row__lt=2)
    assert {(job.status, job.user_retries, job.error_code) for job in retried} == {("queued", 1, "")}
    assert auth_client.post(f"/api/ai-studio/batches/{batch_id}/retry-failed").status_code == 409


def test_a_batch_finishes_once_when_its_last_job_ends(post_batch):
    batch_id = post_batch().json()["id"]
    VideoGenerationJob.objects.filter(batch_id=batch_id, batch_row=0).update(status=JobStatus.COMPLETED)
    assert not batch_progress.finish_if_done(batch_id)
    VideoGenerationJob.objects.filter(batch_id=batch_id).update(status=JobStatus.FAILED)
    assert batch_progress.finish_if_done(batch_id)
    assert not batch_progress.finish_if_done(batch_id)
    assert GenerationBatch.objects.get(pk=batch_id).status == BatchStatus.FINISHED


def test_retrying_failed_jobs_respects_the_plans_retries_of_one_job(post_batch, auth_client, set_limits):
    batch_id = post_batch().json()["id"]
    VideoGenerationJob.objects.filter(batch_id=batch_id).update(status=JobStatus.FAILED, user_retries=1)
    set_limits(retries_per_job=1)
    response = auth_client.post(f"/api/ai-studio/batches/{batch_id}/retry-failed")
    assert response.status_code == 429 and response.json()["error"]["limit"] == "retries_per_job"
    assert not VideoGenerationJob.objects.filter(batch_id=batch_id, status=JobStatus.QUEUED).exists()


# --- events -----------------------------------------------------------------------------------
@pytest.fixture
def batch_events():
    seen = []

    def record(sender, batch_id, owner_id, kind, **kwargs):
        seen.append((str(batch_id), kind))

    batch_changed.connect(record, dispatch_uid="test.batch_events")
    yield seen
    batch_changed.disconnect(dispatch_uid="test.batch_events")


def test_batch_events_tell_created_progress_and_completed_exactly_once(
        post_batch, user, batch_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch_id = post_batch().json()["id"]
    first, second = VideoGenerationJob.objects.filter(batch_id=batch_id).order_by("batch_row")
    for job, status in ((first, JobStatus.COMPLETED), (second, JobStatus.FAILED)):
        with django_capture_on_commit_callbacks(execute=True):
            VideoGenerationJob.objects.filter(pk=job.pk).update(status=status)
            job_changed_on_commit(job.pk, user.pk, status)
    with django_capture_on_commit_callbacks(execute=True):
        batch_progress.finish_done_batches()  # the dispatcher's safety net finds nothing left to do
        batch_progress.job_finished(batch_id, user.pk)  # nor does a late receiver

    kinds = [kind for event_batch, kind in batch_events if event_batch == batch_id]
    assert kinds == ["created", "progress", "completed", "progress"]
    assert kinds.count("completed") == 1


@pytest.mark.django_db(transaction=True)
def test_two_last_jobs_ending_at_once_finish_the_batch_once(user):
    batch = GenerationBatch.objects.create(owner=user, total_jobs=2)
    for row in range(2):
        GenerationJobFactory(owner=user, batch=batch, batch_row=row, status=JobStatus.COMPLETED)
    results = run_at_once(lambda _: batch_progress.finish_if_done(batch.pk), 4)
    assert sorted(results) == [False, False, False, True]
