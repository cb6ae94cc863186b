"""Running a generation job on a worker: claim it, run the engine, record the outcome.

Exactly-once: a job is claimed with a conditional UPDATE that hands it a fresh lease token; every
later write (progress, completion, failure) is conditional on that token. A worker that died
(SIGKILL) stops renewing its lease, the broker redelivers the task (acks_late), and the next
worker claims the job once the lease has lapsed. Completion flips the status and creates the
GeneratedVideo in one transaction, and GeneratedVideo.job is one-to-one, so a job completes once.
Artifact keys are deterministic per job, so a rerun overwrites rather than orphans files.
"""
from __future__ import annotations

import logging
import random
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

# ai_studio.tasks imports this module too (a service and its task know each other): the module, not
# its names, is imported here, so either may be imported first.
from ai_studio import tasks
from ai_studio.generation.artifacts import ArtifactError, delete_artifacts
from ai_studio.generation.errors import GenerationError
from ai_studio.generation.pipeline import Canceled, PipelineResult, run_pipeline
from ai_studio.models import GeneratedVideo, JobStage, JobStatus, VideoGenerationJob
from ai_studio.services import engine_requests
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker took the job over (ours was presumed dead); stop without writing."""


@dataclass
class Outcome:
    status: str  # "completed" | "failed" | "canceled" | "retry" | "skipped" | "busy"
    retry_in: float | None = None  # seconds, when the task should run again


def artifact_prefix(job: VideoGenerationJob) -> str:
    return f"users/{job.owner_id}/videos/{job.id}"


# --- claiming ---------------------------------------------------------------------------------
def lease_lapsed_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.GENERATION_LEASE_SECONDS)


def claim(job_id) -> tuple[VideoGenerationJob | None, uuid.UUID]:
    """Take the job if it is queued, or processing under a lapsed lease (its worker died) with
    attempts left. Returns (job, token)."""
    token = uuid.uuid4()
    now = timezone.now()
    claimable = Q(status=JobStatus.QUEUED) | Q(
        status=JobStatus.PROCESSING, heartbeat_at__lt=lease_lapsed_before(),
        attempts__lt=settings.GENERATION_MAX_ATTEMPTS,
    )
    updated = VideoGenerationJob.objects.filter(claimable, pk=job_id, cancel_requested=False).update(
        status=JobStatus.PROCESSING, lease_token=token, heartbeat_at=now, attempts=F("attempts") + 1,
        started_at=now, stage=JobStage.PREPARING_SCRIPT, updated_at=now,
    )
    if not updated:
        return None, token
    job = VideoGenerationJob.objects.select_related("avatar", "voice", "campaign", "music", "owner").get(pk=job_id)
    return job, token


def _owned(job: VideoGenerationJob, token: uuid.UUID):
    return VideoGenerationJob.objects.filter(pk=job.pk, lease_token=token, status=JobStatus.PROCESSING)


class _Heartbeat(threading.Thread):
    """Renews the lease while a long stage (speech, ffmpeg) runs. A database hiccup is logged and
    retried at the next beat; finding the lease gone sets `lost`, which stops the run at the next
    stage boundary."""

    def __init__(self, job: VideoGenerationJob, token: uuid.UUID) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job.pk}")
        self.job, self.token = job, token
        self.stopped = threading.Event()
        self.lost = False

    def run(self) -> None:
        interval = max(settings.GENERATION_LEASE_SECONDS / 4, 0.5)
        try:
            while not self.stopped.wait(interval):
                try:
                    if not _owned(self.job, self.token).update(heartbeat_at=timezone.now()):
                        self.lost = True
                        return
                except DatabaseError:
                    logger.warning("heartbeat failed; retrying", exc_info=True, extra={"job_id": str(self.job.pk)})
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


class _DatabaseReporter:
    """Persists stage + progress (never going backwards) and notices cancellation or a lost lease."""

    def __init__(self, job: VideoGenerationJob, token: uuid.UUID, heartbeat: _Heartbeat) -> None:
        self.job, self.token, self.heartbeat = job, token, heartbeat

    def stage(self, stage: str, progress: int) -> None:
        if self.heartbeat.lost:
            raise LeaseLost()
        updated = _owned(self.job, self.token).filter(cancel_requested=False).update(
            stage=stage, progress=Greatest(F("progress"), progress), heartbeat_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not updated:
            current = VideoGenerationJob.objects.filter(pk=self.job.pk).values("cancel_requested", "lease_token").get()
            if current["cancel_requested"] and current["lease_token"] == self.token:
                raise Canceled()
            raise LeaseLost()


# --- running ----------------------------------------------------------------------------------
def execute_job(job_id) -> Outcome:
    close_old_connections()
    job, token = claim(job_id)
    if job is None:
        return _not_claimed(job_id)
    heartbeat = _Heartbeat(job, token)
    heartbeat.start()
    workdir = Path(tempfile.mkdtemp(prefix=f"reel-{job.pk}-"))
    store = DjangoStorageArtifactStore()
    try:
        result = run_pipeline(
            engine_requests.generation_request(job, workdir, store), workdir=workdir,
            speech_provider=engine_requests.speech_provider_for(job.voice), store=store,
            key_prefix=artifact_prefix(job), reporter=_DatabaseReporter(job, token, heartbeat),
            **engine_requests.render_options(),
        )
        return _complete(job, token, result)
    except Canceled:
        return _cancel(job, token)
    except LeaseLost:
        logger.warning("lease lost; another worker runs the job", extra={"job_id": str(job.pk)})
        return Outcome("skipped")
    except SoftTimeLimitExceeded:
        return _fail(job, token, "time_limit_exceeded",
                     f"The job took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s and was stopped.")
    except GenerationError as error:
        if error.transient:
            return _transient_failure(job, token, error.code, error.message)
        return _fail(job, token, error.code, error.message)
    except Exception as error:  # a bug: fail the job visibly, keep the traceback in the logs
        logger.exception("generation job crashed", extra={"job_id": str(job.pk)})
        return _fail(job, token, "internal_error", f"Unexpected error ({type(error).__name__}); it has been logged.")
    finally:
        heartbeat.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _not_claimed(job_id) -> Outcome:
    """Why the job could not be claimed, and what to do about it:

    - finished, or queued-but-canceled: nothing to do;
    - processing under a live lease: another worker runs it; look again when the lease would lapse;
    - processing under a lapsed lease (its worker died) and canceled meanwhile: cancel it now;
    - processing under a lapsed lease with no attempts left (workers keep dying on it): fail it.
    """
    job = VideoGenerationJob.objects.filter(pk=job_id).first()
    if job is None or job.status != JobStatus.PROCESSING:
        return Outcome("skipped")
    orphaned = VideoGenerationJob.objects.filter(pk=job.pk, status=JobStatus.PROCESSING,
                                                 heartbeat_at__lt=lease_lapsed_before())
    if job.heartbeat_at >= lease_lapsed_before():
        lapses_at = job.heartbeat_at + timedelta(seconds=settings.GENERATION_LEASE_SECONDS)
        return Outcome("busy", retry_in=max((lapses_at - timezone.now()).total_seconds(), 0) + 1)
    if job.cancel_requested:
        if _finish(orphaned, JobStatus.CANCELED, "canceled", CANCELED_MESSAGE):
            discard_job_files(job)
            return Outcome("canceled")
        return Outcome("skipped")
    if _finish(orphaned, JobStatus.FAILED, "worker_lost",
               f"The worker running this job stopped {job.attempts} times (crash or out of memory)."):
        discard_job_files(job)
        return Outcome("failed")
    return Outcome("skipped")


# --- outcomes ---------------------------------------------------------------------------------
def _complete(job: VideoGenerationJob, token: uuid.UUID, result: PipelineResult) -> Outcome:
    now = timezone.now()
    with transaction.atomic():
        updated = _owned(job, token).filter(cancel_requested=False).update(
            status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=100, completed_at=now, updated_at=now,
            lease_token=None, error_code="", error_message="", speech_provider=result.speech.provider,
            lip_sync=result.lip_sync, stage_timings=result.stage_timings,
            total_seconds=result.total_seconds,
        )
        if updated:
            rendered = result.render
            GeneratedVideo.objects.create(
                owner_id=job.owner_id, job=job, campaign_id=job.campaign_id, title=job.title,
                video_key=result.keys["video"], thumbnail_key=result.keys["thumbnail"],
                audio_key=result.keys["audio"], captions_srt_key=result.keys["captions_srt"],
                captions_vtt_key=result.keys["captions_vtt"], duration_seconds=rendered.duration,
                width=rendered.width, height=rendered.height, fps=rendered.fps, size_bytes=rendered.size_bytes,
                video_codec=rendered.video_codec, audio_codec=rendered.audio_codec,
                checksum_sha256=result.checksum_sha256, aspect_ratio=job.aspect_ratio,
                stage_timings=result.stage_timings,
            )
    if updated:
        logger.info("generation job completed", extra={"job_id": str(job.pk), "seconds": result.total_seconds,
                                                       "lip_sync": result.lip_sync})
        return Outcome("completed")
    if VideoGenerationJob.objects.filter(pk=job.pk, cancel_requested=True, lease_token=token).exists():
        return _cancel(job, token)
    return Outcome("skipped")  # our lease lapsed and another run owns the job (same keys)


CANCELED_MESSAGE = "Canceled by the user while processing."


def _finish(queryset, status: str, code: str, message: str) -> bool:
    """Move the job (if `queryset` still matches it) to a final status; True if it did."""
    return bool(queryset.update(status=status, lease_token=None, completed_at=timezone.now(),
                                error_code=code[:64], error_message=message[:2000]))


def discard_job_files(job: VideoGenerationJob) -> None:
    """Remove what a job that will never complete uploaded; storage trouble is only logged."""
    try:
        delete_artifacts(DjangoStorageArtifactStore(), artifact_prefix(job))
    except ArtifactError:
        logger.warning("could not remove the files of an unfinished job", exc_info=True,
                       extra={"job_id": str(job.pk)})


def _cancel(job: VideoGenerationJob, token: uuid.UUID) -> Outcome:
    if not _finish(_owned(job, token), JobStatus.CANCELED, "canceled", CANCELED_MESSAGE):
        return Outcome("skipped")  # another run owns the job now: its files are its business
    discard_job_files(job)
    return Outcome("canceled")


def _fail(job: VideoGenerationJob, token: uuid.UUID, code: str, message: str) -> Outcome:
    if not _finish(_owned(job, token), JobStatus.FAILED, code, message):
        return Outcome("skipped")
    discard_job_files(job)
    logger.warning("generation job failed", extra={"job_id": str(job.pk), "error_code": code})
    return Outcome("failed")


def _transient_failure(job: VideoGenerationJob, token: uuid.UUID, code: str, message: str) -> Outcome:
    attempts = VideoGenerationJob.objects.filter(pk=job.pk).values_list("attempts", flat=True).get()
    if attempts >= settings.GENERATION_MAX_ATTEMPTS:
        return _fail(job, token, code, f"{message} (gave up after {attempts} attempts)")
    # Back to the queue, keeping the reason visible while it waits — unless it was canceled meanwhile.
    requeued = _owned(job, token).filter(cancel_requested=False).update(
        status=JobStatus.QUEUED, stage=JobStage.QUEUED, lease_token=None,
        error_code=code[:64], error_message=f"Retrying after: {message}"[:2000])
    if not requeued:
        return _cancel(job, token)
    return Outcome("retry", retry_in=backoff_seconds(attempts))


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter (half to full of the capped delay)."""
    delay = min(settings.GENERATION_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0),
                settings.GENERATION_RETRY_MAX_SECONDS)
    return round(delay * random.uniform(0.5, 1.0), 2)


# --- housekeeping -----------------------------------------------------------------------------
def requeue_stalled_jobs(*, queued_for: timedelta = timedelta(minutes=10)) -> int:
    """Re-send jobs whose message may be lost: processing under a lapsed lease, or queued too long.

    Sending a job twice is harmless: only one run can claim it.
    """
    now = timezone.now()
    lapsed = now - timedelta(seconds=settings.GENERATION_LEASE_SECONDS * 3)
    stalled = VideoGenerationJob.objects.filter(
        Q(status=JobStatus.PROCESSING, heartbeat_at__lt=lapsed)
        | Q(status=JobStatus.QUEUED, updated_at__lt=now - queued_for)
    ).values_list("pk", flat=True)[:500]
    count = 0
    for job_id in stalled:
        tasks.run_generation_job.delay(str(job_id))
        count += 1
    return count
