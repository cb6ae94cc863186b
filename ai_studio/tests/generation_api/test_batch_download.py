"""GET /api/ai-studio/batches/:id/download: every finished video in one ZIP (STORED) plus a CSV manifest,
streamed from S3 (the session's SeaweedFS server) into the response as it is written, never holding
a video in memory; and the manifest alone, with presigned URLs."""
from __future__ import annotations

import csv
import io
import os
import tracemalloc
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.tests.catalog.factories import GeneratedVideoFactory

pytestmark = pytest.mark.django_db

VIDEO_BYTES = 3 * 1024 * 1024


@pytest.fixture
def batch_with_videos(auth_client, avatar, voice):
    """A batch of four rows: rows 0, 1 and 3 completed with a 3 MB video each in S3, row 2 failed."""
    body = {"script": "Hi {{city}}!", "settings": {"avatar_id": avatar.pk, "voice_id": voice.pk,
                                                   "title": "Shoes in {{city}}"},
            "rows": [{"city": city} for city in ("Leeds", "York", "Hull", "Bath")]}
    batch_id = auth_client.post("/api/ai-studio/batches", body, format="json").json()["id"]
    contents = {}
    for job in VideoGenerationJob.objects.filter(batch_id=batch_id).order_by("batch_row"):
        if job.batch_row == 2:
            VideoGenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error_code="speech_failed")
            continue
        data = os.urandom(VIDEO_BYTES)
        key = default_storage.save(f"users/{job.owner_id}/videos/{job.pk}/run/video.mp4", ContentFile(data))
        GeneratedVideoFactory(owner=job.owner, job=job, title=job.title, video_key=key, size_bytes=len(data))
        VideoGenerationJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED)
        contents[job.batch_row] = data
    return batch_id, contents


def test_the_zip_holds_every_finished_video_stored_and_a_manifest_of_every_row(auth_client, batch_with_videos):
    batch_id, contents = batch_with_videos
    response = auth_client.get(f"/api/ai-studio/batches/{batch_id}/download")

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == ["0000-shoes-in-leeds.mp4", "0001-shoes-in-york.mp4", "0003-shoes-in-bath.mp4", "manifest.csv"]
    assert all(archive.getinfo(name).compress_type == zipfile.ZIP_STORED for name in names[:3])
    assert archive.read("0001-shoes-in-york.mp4") == contents[1]

    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [(row["row"], row["status"], row["file"]) for row in manifest] == [
        ("0", "completed", "0000-shoes-in-leeds.mp4"), ("1", "completed", "0001-shoes-in-york.mp4"),
        ("2", "failed", ""), ("3", "completed", "0003-shoes-in-bath.mp4")]
    assert manifest[2]["error"] == "speech_failed" and manifest[2]["url"] == ""
    assert manifest[0]["url"].startswith("http") and manifest[0]["video_id"]


def test_the_zip_is_streamed_in_small_pieces_without_holding_a_video_in_memory(auth_client, batch_with_videos):
    batch_id, _ = batch_with_videos
    response = auth_client.get(f"/api/ai-studio/batches/{batch_id}/download")
    pieces = iter(response.streaming_content)

    tracemalloc.start()
    try:
        first = next(pieces)  # the first entry starts before the rest of the archive exists
        sizes, total = [len(first)], len(first)
        for piece in pieces:
            sizes.append(len(piece))
            total += len(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert first.startswith(b"PK\x03\x04")  # a local file header: the first video is on its way
    assert total > 3 * VIDEO_BYTES
    assert max(sizes) <= 1024 * 1024 + 64 * 1024  # chunks of at most ~1 MB, as read from S3
    assert peak < VIDEO_BYTES  # never a whole video (nor the 9 MB archive) in memory


def test_the_manifest_alone_lists_presigned_urls(auth_client, batch_with_videos):
    batch_id, _ = batch_with_videos
    for path in ("download?manifest=only", "manifest"):
        response = auth_client.get(f"/api/ai-studio/batches/{batch_id}/{path}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert [row["status"] for row in rows] == ["completed", "completed", "failed", "completed"]
        assert rows[3]["file"] == "" and "X-Amz-Signature" in rows[3]["url"]


def test_another_users_batch_cannot_be_downloaded(other_client, batch_with_videos):
    batch_id, _ = batch_with_videos
    assert other_client.get(f"/api/ai-studio/batches/{batch_id}/download").status_code == 404
    assert other_client.get(f"/api/ai-studio/batches/{batch_id}/manifest").status_code == 404


def test_an_unknown_manifest_option_is_a_400(auth_client, batch_with_videos):
    batch_id, _ = batch_with_videos
    assert auth_client.get(f"/api/ai-studio/batches/{batch_id}/download?manifest=yes").status_code == 400


def test_a_title_a_spreadsheet_would_run_as_a_formula_is_written_as_text(auth_client, batch_with_videos):
    batch_id, _ = batch_with_videos
    VideoGenerationJob.objects.filter(batch_id=batch_id, batch_row=2).update(title='=HYPERLINK("http://x")')
    response = auth_client.get(f"/api/ai-studio/batches/{batch_id}/manifest")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[2]["title"] == "'=HYPERLINK(\"http://x\")"
