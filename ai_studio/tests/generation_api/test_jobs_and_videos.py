"""Following, canceling and retrying jobs; listing, reading and deleting videos; isolation."""
import urllib.error
import urllib.request

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from ai_studio.tests.catalog.factories import GenerationJobFactory
from ai_studio.tests.generation_api.factories import completed_job_with_video
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


# --- status -----------------------------------------------------------------------------------
def test_status_shows_progress_and_no_video_while_queued(auth_client, user):
    job = GenerationJobFactory(owner=user, metadata={"k": "v"})
    body = auth_client.get(f"/api/ai-studio/generation-status/{job.pk}").json()
    assert {key: body[key] for key in ("status", "stage", "progress", "error", "video", "metadata")} == {
        "status": "queued", "stage": "queued", "progress": 0, "error": None, "video": None, "metadata": {"k": "v"}}
    assert {"created_at", "started_at", "completed_at"} <= set(body)


def test_status_of_a_failed_job_explains_why(auth_client, user):
    job = GenerationJobFactory(owner=user, status=JobStatus.FAILED, error_code="speech_rate_limited",
                               error_message="The provider said slow down.")
    body = auth_client.get(f"/api/ai-studio/generation-status/{job.pk}/").json()
    assert body["error"] == {"code": "speech_rate_limited", "message": "The provider said slow down."}


def test_completed_status_carries_working_presigned_urls(auth_client, user):
    job, video = completed_job_with_video(owner=user)
    urls = auth_client.get(f"/api/ai-studio/generation-status/{job.pk}").json()["video"]["urls"]
    assert set(urls) == {"video", "thumbnail", "audio", "captions_srt", "captions_vtt", "download"}
    assert fetch(urls["captions_vtt"]) == f"captions_vtt of {job.pk}".encode()
    assert fetch(urls["video"]) == f"video of {job.pk}".encode()


# --- lists ------------------------------------------------------------------------------------
def test_job_list_is_own_only_newest_first_and_filterable(auth_client, user, other_user):
    campaign = CampaignFactory(owner=user)
    queued = GenerationJobFactory(owner=user)
    failed = GenerationJobFactory(owner=user, status=JobStatus.FAILED, campaign=campaign)
    GenerationJobFactory(owner=other_user)
    listed = auth_client.get("/api/ai-studio/generation-jobs").json()
    assert listed["count"] == 2
    assert [item["id"] for item in listed["results"]] == [str(failed.pk), str(queued.pk)]
    by_status = auth_client.get("/api/ai-studio/generation-jobs?status=failed").json()
    assert [item["id"] for item in by_status["results"]] == [str(failed.pk)]
    by_campaign = auth_client.get(f"/api/ai-studio/generation-jobs?campaign={campaign.pk}").json()
    assert [item["id"] for item in by_campaign["results"]] == [str(failed.pk)]
    oldest_first = auth_client.get("/api/ai-studio/generation-jobs?ordering=created_at").json()
    assert [item["id"] for item in oldest_first["results"]] == [str(queued.pk), str(failed.pk)]


def test_video_list_is_own_only_and_filterable_by_campaign(auth_client, user, other_user):
    campaign = CampaignFactory(owner=user)
    _, in_campaign = completed_job_with_video(owner=user, campaign=campaign)
    completed_job_with_video(owner=user)
    completed_job_with_video(owner=other_user)
    assert auth_client.get("/api/ai-studio/generated-videos").json()["count"] == 2
    filtered = auth_client.get(f"/api/ai-studio/generated-videos?campaign={campaign.pk}").json()
    assert [item["id"] for item in filtered["results"]] == [str(in_campaign.pk)]


@pytest.mark.parametrize("path", ["/api/ai-studio/generated-videos", "/api/ai-studio/generation-jobs"])
def test_created_filters_take_any_iso_offset_even_beyond_what_postgresql_stores(auth_client, user, path):
    job, _ = completed_job_with_video(owner=user)
    GeneratedVideo.objects.update(created_at=job.created_at.replace(year=2026, month=3, day=3, hour=5))
    VideoGenerationJob.objects.update(created_at=job.created_at.replace(year=2026, month=3, day=3, hour=5))

    # 21:53 at +17:12 is 04:41 UTC; at 05:00 UTC the item is after it and before 05:41 (+17:12 is legal ISO 8601).
    after = auth_client.get(path, {"created_after": "2026-03-03T21:53:00+17:12"})
    before = auth_client.get(path, {"created_before": "2026-03-03T21:53:00+17:12"})

    assert after.status_code == before.status_code == 200
    assert (after.json()["count"], before.json()["count"]) == (1, 0)


def test_video_list_costs_the_same_queries_for_one_or_many(auth_client, user, django_assert_max_num_queries):
    for _ in range(5):
        completed_job_with_video(owner=user)
    with django_assert_max_num_queries(3):
        assert len(auth_client.get("/api/ai-studio/generated-videos").json()["results"]) == 5
    with django_assert_max_num_queries(3):
        assert len(auth_client.get("/api/ai-studio/generation-jobs").json()["results"]) == 5


# --- cancel and retry -------------------------------------------------------------------------
def test_canceling_a_queued_job_cancels_it_at_once(auth_client, user):
    job = GenerationJobFactory(owner=user)
    response = auth_client.post(f"/api/ai-studio/generation-jobs/{job.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"


def test_canceling_a_processing_job_asks_the_worker_to_stop(auth_client, user):
    job = GenerationJobFactory(owner=user, status=JobStatus.PROCESSING, heartbeat_at=timezone.now())
    body = auth_client.post(f"/api/ai-studio/generation-jobs/{job.pk}/cancel").json()
    assert (body["status"], body["cancel_requested"]) == ("processing", True)


def test_a_finished_job_cannot_be_canceled(auth_client, user):
    job, _ = completed_job_with_video(owner=user)
    response = auth_client.post(f"/api/ai-studio/generation-jobs/{job.pk}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "job_not_cancelable"


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.CANCELED])
def test_retry_gives_a_failed_or_canceled_job_a_fresh_attempt(auth_client, user, status):
    job = GenerationJobFactory(owner=user, status=status, error_code="x", error_message="y", attempts=3, progress=40)
    response = auth_client.post(f"/api/ai-studio/generation-jobs/{job.pk}/retry")
    assert response.status_code == 202
    body = response.json()
    assert (body["id"], body["status"], body["progress"], body["error"], body["attempts"]) == (
        str(job.pk), "queued", 0, None, 0)


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.COMPLETED])
def test_only_failed_or_canceled_jobs_can_be_retried(auth_client, user, status):
    job = GenerationJobFactory(owner=user, status=status)
    response = auth_client.post(f"/api/ai-studio/generation-jobs/{job.pk}/retry")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "job_not_retryable"


# --- videos -----------------------------------------------------------------------------------
def test_reading_a_video_gives_fresh_presigned_urls(auth_client, user):
    _, video = completed_job_with_video(owner=user, title="Spring sale")
    first = auth_client.get(f"/api/ai-studio/generated-videos/{video.pk}").json()
    assert first["width"] == 720 and first["video_codec"] == "h264"
    assert fetch(first["urls"]["thumbnail"]) == f"thumbnail of {video.job_id}".encode()
    with urllib.request.urlopen(first["urls"]["download"], timeout=10) as response:
        assert "attachment" in response.headers["Content-Disposition"]


def test_deleting_a_video_removes_its_files(auth_client, user):
    job, video = completed_job_with_video(owner=user)
    keys = [video.video_key, video.thumbnail_key, video.audio_key, video.captions_srt_key, video.captions_vtt_key]
    assert all(default_storage.exists(key) for key in keys)
    assert auth_client.delete(f"/api/ai-studio/generated-videos/{video.pk}").status_code == 204
    assert not GeneratedVideo.objects.filter(pk=video.pk).exists()
    assert not any(default_storage.exists(key) for key in keys)
    assert VideoGenerationJob.objects.get(pk=job.pk).status == JobStatus.COMPLETED


# --- isolation --------------------------------------------------------------------------------
def test_another_users_jobs_and_videos_are_not_found(auth_client, other_client, user):
    job, video = completed_job_with_video(owner=user)
    queued = GenerationJobFactory(owner=user)
    for method, path in [
        ("get", f"/api/ai-studio/generation-status/{job.pk}"),
        ("get", f"/api/ai-studio/generation-jobs/{job.pk}"),
        ("post", f"/api/ai-studio/generation-jobs/{queued.pk}/cancel"),
        ("post", f"/api/ai-studio/generation-jobs/{job.pk}/retry"),
        ("get", f"/api/ai-studio/generated-videos/{video.pk}"),
        ("delete", f"/api/ai-studio/generated-videos/{video.pk}"),
    ]:
        response = getattr(other_client, method)(path)
        assert response.status_code == 404, (method, path)
        assert "urls" not in response.content.decode()
    assert other_client.get("/api/ai-studio/generation-jobs").json()["count"] == 0
    assert other_client.get("/api/ai-studio/generated-videos").json()["count"] == 0
    assert GeneratedVideo.objects.filter(pk=video.pk).exists()
    assert VideoGenerationJob.objects.get(pk=queued.pk).status == JobStatus.QUEUED


def test_a_presigned_url_cannot_be_bent_to_another_users_file(auth_client, user, other_user):
    _, mine = completed_job_with_video(owner=user)
    _, theirs = completed_job_with_video(owner=other_user)
    url = auth_client.get(f"/api/ai-studio/generated-videos/{mine.pk}").json()["urls"]["video"]
    bent = url.replace(mine.video_key, theirs.video_key)
    assert bent != url
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(bent)
    assert refused.value.code == 403
