"""A run that lost its lease cannot overwrite the files of the run that took the job over.

Each run uploads under a prefix of its own; the GeneratedVideo records the keys of the run that
completed; a run that finds it lost the job removes what it uploaded. Real S3, real pipeline.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from ai_studio.models import GeneratedVideo, VideoGenerationJob
from ai_studio.services import execution
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore
from ai_studio.tests.generation_api.observe import assert_only_the_videos_files_are_stored

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_run_overtaken_while_uploading_leaves_the_winners_files_intact_and_removes_its_own(
        generate, s3_server, monkeypatch):
    job_id = generate(script="Meet the new Rocket Shoes. Tap the link and run further today!").json()["id"]
    second_run: list[execution.Outcome] = []
    overtaken = False
    upload = DjangoStorageArtifactStore.put

    def put_after_being_overtaken(store, local_path, key, content_type):
        nonlocal overtaken
        if not overtaken:
            # The first run stalls just before its upload (a long GC pause, a frozen VM): its lease
            # lapses and another run takes the job over and completes it meanwhile.
            overtaken = True
            VideoGenerationJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now() - timedelta(hours=1))
            second_run.append(execution.execute_job(job_id))
        return upload(store, local_path, key, content_type)

    monkeypatch.setattr(DjangoStorageArtifactStore, "put", put_after_being_overtaken)
    first_run = execution.execute_job(job_id)  # then uploads all its files, late

    assert (first_run.status, second_run[0].status) == ("skipped", "completed")
    job = VideoGenerationJob.objects.get(pk=job_id)
    assert job.attempts == 2
    video = GeneratedVideo.objects.get(job=job)
    assert_only_the_videos_files_are_stored(s3_server, job)  # the late run's files are gone
    with default_storage.open(video.video_key, "rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == video.checksum_sha256  # the winner's, untouched
