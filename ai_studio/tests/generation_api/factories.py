"""A finished job with real files in storage, without running the pipeline (fast API tests)."""
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from ai_studio.generation.artifacts import ARTIFACT_FILES, artifact_keys
from ai_studio.models import JobStage, JobStatus
from ai_studio.services.execution import artifact_prefix
from ai_studio.tests.catalog.factories import GeneratedVideoFactory, GenerationJobFactory


def completed_job_with_video(**job_fields):
    job = GenerationJobFactory(status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=100,
                               completed_at=timezone.now(), **job_fields)
    keys = artifact_keys(artifact_prefix(job))
    for item in ARTIFACT_FILES:
        default_storage.save(keys[item.role], ContentFile(f"{item.role} of {job.pk}".encode()))
    video = GeneratedVideoFactory(
        owner=job.owner, job=job, campaign=job.campaign, title=job.title or "A reel", video_key=keys["video"],
        thumbnail_key=keys["thumbnail"], audio_key=keys["audio"], captions_srt_key=keys["captions_srt"],
        captions_vtt_key=keys["captions_vtt"], aspect_ratio=job.aspect_ratio,
    )
    return job, video
