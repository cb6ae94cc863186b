"""Generation jobs and batches on the live stream (reelmate.live): every `job_changed` is published
to the job's owner with the job as `GET /api/ai-studio/generation-status/:jobId` shows it (on
completion the video with freshly signed URLs), every `batch_changed` with the batch as
`GET /api/ai-studio/batches/:id` shows it; subscribers can ask for either's current state."""
from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse

from ai_studio.models import JobStatus
from ai_studio.selectors.batches import batches_with_relations, progress_of
from ai_studio.selectors.generation import jobs_with_relations
from ai_studio.serializers.batches import GenerationBatchSerializer
from ai_studio.serializers.generation import GenerationJobSerializer
from reelmate import live
from reelmate.public_urls import public_url

STREAM = "job"
FINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED})


def job_state(owner_id: int, job_id: str) -> dict[str, Any] | None:
    """The job as the status endpoint shows it, or None if it is not `owner_id`'s."""
    job = jobs_with_relations().filter(owner_id=owner_id, pk=job_id).first()
    if job is None:
        return None
    data = GenerationJobSerializer(job, context={}).data
    data["status_url"] = public_url(reverse("generation-status-detail", kwargs={"pk": job.pk}))
    return data


def is_final(data: dict[str, Any]) -> bool:
    return data.get("status") in FINAL_STATUSES


def is_job_id(key: str) -> bool:
    try:
        uuid.UUID(key)
    except ValueError:
        return False
    return True


JOB_STREAM = live.Stream(STREAM, snapshot=job_state, is_final=is_final, valid_key=is_job_id)


def publish_job_change(sender, job_id, owner_id, kind, **kwargs) -> None:
    """`job_changed` receiver: one read of the job, then the publish (which never raises)."""
    data = job_state(owner_id, str(job_id))
    if data is not None:
        live.publish(owner_id, STREAM, str(job_id), kind, data)


# --- batches ------------------------------------------------------------------------------------
BATCH_STREAM_NAME = "batch"
FINAL_BATCH_STATUSES = frozenset({"finished", "canceled"})


def batch_state(owner_id: int, batch_id: str) -> dict[str, Any] | None:
    """The batch as `GET /api/ai-studio/batches/:id` shows it (counts, progress, estimated finish),
    or None if it is not `owner_id`'s."""
    batch = batches_with_relations().filter(owner_id=owner_id, pk=batch_id).first()
    if batch is None:
        return None
    data = GenerationBatchSerializer(batch, context={"progress": progress_of([batch])}).data
    data["jobs_url"] = public_url(data["jobs_url"])
    return data


def is_final_batch(data: dict[str, Any]) -> bool:
    # A canceled batch still has jobs finishing: it is final once nothing in it can change.
    return data.get("status") in FINAL_BATCH_STATUSES and not (
        data["counts"].get("queued") or data["counts"].get("processing"))


BATCH_STREAM = live.Stream(BATCH_STREAM_NAME, snapshot=batch_state, is_final=is_final_batch, valid_key=is_job_id)


def publish_batch_change(sender, batch_id, owner_id, kind, **kwargs) -> None:
    """`batch_changed` receiver: the batch's counts and progress to its owner's subscribers."""
    data = batch_state(owner_id, str(batch_id))
    if data is not None:
        live.publish(owner_id, BATCH_STREAM_NAME, str(batch_id), kind, data)
