"""User-facing commands on generation jobs: submit, cancel, retry; and deleting videos.

The worker side (claiming and running a job) lives in `ai_studio.services.execution`.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from ai_studio.events import CANCELED, QUEUED, job_changed_on_commit
from ai_studio.generation.artifacts import ArtifactError
from ai_studio.models import GeneratedVideo, JobStage, JobStatus, VideoGenerationJob
from ai_studio.selectors.generation import find_job_by_idempotency_key
from ai_studio.services import dispatch, quotas
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore
from ai_studio.services.execution import discard_run_files, lease_lapsed_before
from ai_studio.services.templates import record_template_use
from campaigns.models import CampaignMedia
from reelmate.errors import Conflict, Unavailable

logger = logging.getLogger(__name__)


@dataclass
class Submission:
    job: VideoGenerationJob
    created: bool  # False when an Idempotency-Key replay returned the existing job


def request_fingerprint(body: dict) -> str:
    """A stable hash of a request body, to tell an idempotent replay from a different request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit_job(*, owner, fields: dict, idempotency_key: str | None, fingerprint: str) -> Submission:
    """Create a queued job, charged to the owner's plan, and enqueue it once the transaction commits.

    `fields` are validated model fields (avatar, voice, campaign, template, script, ...), and ``media``:
    the campaign media items the scenes show. Over a limit of the owner's plan: QuotaExceeded, and no
    job. With an Idempotency-Key, the same key and body return the first job (never refused by a
    limit, not charged again); the same key with another body is a Conflict.
    """
    if idempotency_key:
        existing = find_job_by_idempotency_key(owner, idempotency_key)
        if existing is not None:
            return Submission(_replay(existing, fingerprint), created=False)
    fields = dict(fields)
    media = fields.pop("media", [])
    try:
        with transaction.atomic():
            limits = quotas.lock_limits(owner)
            # The lock serializes this user's submissions: a request with the same key that held
            # it before this one has committed its job by now, and this one is its replay.
            existing = find_job_by_idempotency_key(owner, idempotency_key) if idempotency_key else None
            if existing is not None:
                return Submission(_replay(existing, fingerprint), created=False)
            estimate = quotas.admit_run(owner, limits, quotas.Run(
                script=fields["script"], voice=fields["voice"], speed=fields.get("speed", 1.0),
                end_card=fields.get("end_card") or {}))
            _lock_media([item.pk for item in media])  # after the plan: every path takes the plan's lock first
            job = VideoGenerationJob.objects.create(
                owner=owner, idempotency_key=idempotency_key or None, request_fingerprint=fingerprint, **fields
            )
            job.media.set(media)
            quotas.open_charge(job, estimate)
            if job.template_id:
                record_template_use(job.template)
            enqueue(job)
    except IntegrityError:
        # Two requests with the same key raced; the loser answers like a replay.
        existing = find_job_by_idempotency_key(owner, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return Submission(_replay(existing, fingerprint), created=False)
    logger.info("generation job queued", extra={"job_id": str(job.id), "owner_id": owner.id})
    return Submission(job, created=True)


def _replay(existing: VideoGenerationJob, fingerprint: str) -> VideoGenerationJob:
    if existing.request_fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was already used with a different request body.",
                       code="idempotency_key_reused")
    return existing


def _lock_media(media_ids) -> None:
    """Lock the media rows a job is about to need, until the transaction ends: a concurrent delete
    (which locks them too) then sees the job, or the job sees them gone (Conflict ``media_deleted``)."""
    ids = set(media_ids)
    if ids and len(list(CampaignMedia.objects.select_for_update().filter(pk__in=ids))) < len(ids):
        raise Conflict("A media item this reel shows has been deleted from the campaign's library.",
                       code="media_deleted")


def enqueue(job: VideoGenerationJob) -> None:
    """Queue the job: if its owner has a free slot (Plan.max_in_flight) it is released and sent to the
    render queue after commit, so the worker always finds the row; otherwise it waits its turn in the
    database (`services.dispatch`, fair queueing).

    The job is stored whatever the broker does: if it is unreachable, the job waits undispatched
    and the dispatcher sends it once the broker is back.
    """
    # on_commit callbacks run in order: "queued" is published before the message that lets a worker
    # start the job (and announce "started") is sent.
    job_changed_on_commit(job.id, job.owner_id, QUEUED)
    dispatch.release_and_send(job.owner_id)


def cancel_job(job: VideoGenerationJob) -> VideoGenerationJob:
    """Queued → canceled at once; processing → canceled by the worker at its next stage boundary,
    or at once if its worker is gone (its lease lapsed)."""
    with transaction.atomic():
        job = VideoGenerationJob.objects.select_for_update().get(pk=job.pk)
        if job.status == JobStatus.QUEUED:
            job.status, job.cancel_requested = JobStatus.CANCELED, True
            job.completed_at = timezone.now()
            job.error_code, job.error_message = "canceled", "Canceled by the user before it started."
            job.save(update_fields=["status", "cancel_requested", "completed_at", "error_code", "error_message",
                                    "updated_at"])
            quotas.refund_charge(job)
        elif job.status == JobStatus.PROCESSING:
            job.cancel_requested = True
            if job.heartbeat_at is None or job.heartbeat_at < lease_lapsed_before():
                dead_run = job.lease_token
                job.status, job.lease_token, job.completed_at = JobStatus.CANCELED, None, timezone.now()
                job.error_code, job.error_message = "canceled", "Canceled by the user; its worker had stopped."
                quotas.refund_charge(job)
                transaction.on_commit(lambda: discard_run_files(job, dead_run))
            job.save()
        else:
            raise Conflict(f"A {job.status} job cannot be canceled.", code="job_not_cancelable")
        if job.status == JobStatus.CANCELED:
            job_changed_on_commit(job.pk, job.owner_id, CANCELED)
    return job


def retry_job(job: VideoGenerationJob, *, by_staff: bool = False) -> VideoGenerationJob:
    """A failed or canceled job gets a fresh run under the same id, charged like a new submission.

    The user's retries of one job are counted (``user_retries``) and capped by their plan, and a
    retry must fit the plan's other limits (QuotaExceeded otherwise). Staff retrying from the admin
    are not refused and do not use up the user's retries; the run is charged all the same.
    """
    with transaction.atomic():
        job = VideoGenerationJob.objects.select_for_update().get(pk=job.pk)
        if job.status not in (JobStatus.FAILED, JobStatus.CANCELED):
            raise Conflict(f"Only failed or canceled jobs can be retried; this one is {job.status}.",
                           code="job_not_retryable")
        quotas.refund_charge(job)  # a failed or canceled job owes nothing (already refunded when it ended)
        if by_staff:
            estimate = quotas.estimated_seconds(quotas.Run.of_job(job))
        else:
            limits = quotas.lock_limits(job.owner)
            estimate = quotas.admit_run(job.owner, limits, quotas.Run.of_job(job), retried_job=job)
            job.user_retries += 1
        _lock_media({scene["media_id"] for scene in job.scenes})
        job.status, job.stage, job.progress = JobStatus.QUEUED, JobStage.QUEUED, 0
        job.error_code = job.error_message = ""
        job.cancel_requested = False
        job.attempts = 0  # worker attempts of this run; the plan's cap reads user_retries
        job.lease_token = job.heartbeat_at = job.started_at = job.completed_at = job.dispatched_at = None
        job.released_at = None  # back in line for a slot
        job.stage_timings, job.total_seconds = {}, None
        job.save()
        quotas.open_charge(job, estimate)
        enqueue(job)
    return job


def delete_video(video: GeneratedVideo) -> None:
    """Remove the stored files, then the record. If storage fails, nothing is deleted (Unavailable)."""
    store = DjangoStorageArtifactStore()
    try:
        for key in video_keys(video).values():
            store.delete(key)
    except ArtifactError as error:
        raise Unavailable(f"Storage is unavailable, the video was kept: {error.message}", code="storage_unavailable")
    video.delete()


def video_keys(video: GeneratedVideo) -> dict[str, str]:
    """The storage key of each of a video's files, by role (matches ARTIFACT_FILES)."""
    return {
        "video": video.video_key, "thumbnail": video.thumbnail_key, "audio": video.audio_key,
        "captions_srt": video.captions_srt_key, "captions_vtt": video.captions_vtt_key,
    }
