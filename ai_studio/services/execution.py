"""Running a generation job on a worker: claim it, run the engine, record the outcome.

Exactly once: a job is claimed with a conditional UPDATE that hands it a fresh lease token; every
later write (progress, completion, failure) is conditional on that token. A heartbeat renews the
lease every GENERATION_LEASE_SECONDS / 4. A worker that died (SIGKILL, OOM) stops renewing it;
once the lease has lapsed the dispatcher (`services.dispatch`) sends the job again and the next
worker claims it. Completion flips the status and creates the GeneratedVideo in one transaction,
and GeneratedVideo.job is one-to-one, so a job completes once.

Each run uploads under a prefix of its own (`run_prefix`: the job's folder and the run's lease
token), so a run that lost its lease cannot overwrite the files of the run that took over; the
GeneratedVideo records the keys of the run that completed. Every other run's files are removed:
by the run itself when it stops without completing, by the next run that claims the job when the
previous one died, and later (`PendingFileDeletion`) when storage was down at that moment.

The job's charge against its owner's plan (``ai_studio.services.quotas``) is settled or refunded
in the transaction that gives the job its final status, so it is accounted once however many
runs the job had.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
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

from ai_studio import events
from ai_studio.events import CANCELED, COMPLETED, FAILED, PROGRESS, QUEUED, STARTED, job_changed_on_commit
from ai_studio.generation.errors import GenerationError
from ai_studio.generation.pipeline import Canceled, PipelineResult, run_pipeline
from ai_studio.models import GeneratedVideo, JobStage, JobStatus, VideoGenerationJob
from ai_studio.selectors.queue import RELEASED_WAITING
from ai_studio.services import engine_requests, quotas
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore, discard_files
from campaigns.models import Campaign
from reelmate.backoff import jittered_backoff

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker took the job over (ours was presumed dead); stop without writing."""


@dataclass
class Outcome:
    # "completed" | "failed" | "canceled" | "retry" | "skipped" | "busy" | "interrupted"
    status: str
    retry_in: float | None = None  # seconds, when the task should run again


def artifact_prefix(job: VideoGenerationJob) -> str:
    """The job's folder; each run's files are in a folder of their own inside it (`run_prefix`)."""
    return f"users/{job.owner_id}/videos/{job.id}"


def run_prefix(job: VideoGenerationJob, token: uuid.UUID | str) -> str:
    return f"{artifact_prefix(job)}/{token}"


def discard_run_files(job: VideoGenerationJob, token: uuid.UUID | str | None) -> None:
    """Remove what a run that will not complete uploaded (later, if storage is down)."""
    if token is not None:
        discard_files(run_prefix(job, token))


# --- claiming ---------------------------------------------------------------------------------
def lease_lapsed_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.GENERATION_LEASE_SECONDS)


def heartbeat_seconds() -> float:
    return max(settings.GENERATION_LEASE_SECONDS / 4, 0.5)


def claim(job_id) -> tuple[VideoGenerationJob | None, uuid.UUID]:
    """Take the job if it is queued and released (it holds one of its owner's slots, see
    `services.dispatch`), or processing under a lapsed lease (its worker died) with attempts left.
    Returns (job, token).

    A held job is never taken, even when a message for it reaches a worker: a message sent before
    the job was retried (and put back in line) would otherwise start it outside its owner's share.
    Its own message is sent when it is released.

    The UPDATE is also conditional on the lease token read just before, so the run whose lease
    this claim ends is known: it died, and its files are removed here.
    """
    token = uuid.uuid4()
    previous = VideoGenerationJob.objects.filter(pk=job_id).values_list("lease_token", flat=True).first()
    now = timezone.now()
    claimable = RELEASED_WAITING | Q(
        status=JobStatus.PROCESSING, heartbeat_at__lt=lease_lapsed_before(),
        attempts__lt=settings.GENERATION_MAX_ATTEMPTS,
    )
    updated = VideoGenerationJob.objects.filter(
        claimable, pk=job_id, cancel_requested=False, lease_token=previous,
    ).update(
        status=JobStatus.PROCESSING, lease_token=token, heartbeat_at=now, attempts=F("attempts") + 1,
        started_at=now, stage=JobStage.PREPARING_SCRIPT, updated_at=now,
    )
    if not updated:
        return None, token
    job = VideoGenerationJob.objects.select_related("avatar", "voice", "campaign", "music", "owner").get(pk=job_id)
    job_changed_on_commit(job.pk, job.owner_id, STARTED)
    if previous is not None:
        logger.warning("resuming a job whose worker stopped", extra={"job_id": str(job.pk), "attempt": job.attempts})
        discard_run_files(job, previous)
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
        try:
            while not self.stopped.wait(heartbeat_seconds()):
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
    """Persists stage + progress (never going backwards) and notices cancellation or a lost lease.

    A database error while recording progress is logged and the run goes on: the heartbeat keeps
    the lease (or finds it lost), and completion retries its own write."""

    def __init__(self, job: VideoGenerationJob, token: uuid.UUID, heartbeat: _Heartbeat) -> None:
        self.job, self.token, self.heartbeat = job, token, heartbeat

    def stage(self, stage: str, progress: int) -> None:
        if self.heartbeat.lost:
            raise LeaseLost()
        try:
            updated = _owned(self.job, self.token).filter(cancel_requested=False).update(
                stage=stage, progress=Greatest(F("progress"), progress), heartbeat_at=timezone.now(),
                updated_at=timezone.now(),
            )
            if updated:
                job_changed_on_commit(self.job.pk, self.job.owner_id, PROGRESS)
                return
            current = VideoGenerationJob.objects.filter(pk=self.job.pk).values("cancel_requested", "lease_token").get()
        except DatabaseError:
            logger.warning("could not record progress; going on", exc_info=True, extra={"job_id": str(self.job.pk)})
            connection.close()
            return
        if current["cancel_requested"] and current["lease_token"] == self.token:
            raise Canceled()
        raise LeaseLost()


# --- running ----------------------------------------------------------------------------------
def execute_job(job_id) -> Outcome:
    """Claim and run the job. Raises DatabaseError only when the job could not even be claimed."""
    close_old_connections()
    job, token = claim(job_id)
    if job is None:
        return _not_claimed(job_id)
    heartbeat = _Heartbeat(job, token)
    heartbeat.start()
    workdir = Path(tempfile.mkdtemp(prefix=f"reel-{job.pk}-"))
    try:
        outcome = _run(job, token, heartbeat, workdir)
    except DatabaseError:
        # The database went away and stayed away. Whether our last write landed is unknown, so
        # our files stay: whoever next takes the job (the dispatcher resends it once our lease
        # lapses) removes them, unless they became the video.
        logger.warning("database unavailable; the job resumes once its lease lapses", exc_info=True,
                       extra={"job_id": str(job.pk)})
        return Outcome("interrupted")
    finally:
        heartbeat.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if outcome.status != "completed":
        discard_run_files(job, token)
    return outcome


def _run(job: VideoGenerationJob, token: uuid.UUID, heartbeat: _Heartbeat, workdir: Path) -> Outcome:
    store = DjangoStorageArtifactStore()
    try:
        result = run_pipeline(
            engine_requests.generation_request(job, workdir, store), workdir=workdir,
            speech_provider=engine_requests.speech_provider_for(job.voice), store=store,
            key_prefix=run_prefix(job, token), reporter=_DatabaseReporter(job, token, heartbeat),
            **engine_requests.render_options(),
        )
    except Canceled:
        return _cancel(job, token)
    except LeaseLost:
        logger.warning("lease lost; another worker runs the job", extra={"job_id": str(job.pk)})
        return Outcome("skipped")
    except SoftTimeLimitExceeded:
        return _time_limit_exceeded(job, token)
    except GenerationError as error:
        if error.transient:
            return _transient_failure(job, token, error.code, error.message)
        return _fail(job, token, error.code, error.message)
    except DatabaseError:
        raise
    except Exception as error:  # a bug: fail the job visibly, keep the traceback in the logs
        if _caused_by(error, SoftTimeLimitExceeded):
            # Some libraries turn the limit's exception into their own, e.g. onnxruntime into an
            # ImportError when the limit strikes while it is being imported: still the time limit.
            return _time_limit_exceeded(job, token)
        logger.exception("generation job crashed", extra={"job_id": str(job.pk)})
        return _fail(job, token, "internal_error", f"Unexpected error ({type(error).__name__}); it has been logged.")
    return _complete_retrying(job, token, result)


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _time_limit_exceeded(job: VideoGenerationJob, token: uuid.UUID) -> Outcome:
    # The limit may have struck in the middle of a query, leaving the connection busy with it:
    # record the failure (and its refund, in a transaction) on a fresh connection.
    connection.close()
    return _fail(job, token, "time_limit_exceeded",
                 f"The job took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s and was stopped.")


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
    if job.heartbeat_at >= lease_lapsed_before():
        lapses_at = job.heartbeat_at + timedelta(seconds=settings.GENERATION_LEASE_SECONDS)
        return Outcome("busy", retry_in=max((lapses_at - timezone.now()).total_seconds(), 0) + 1)
    # The dead run's lease, matched exactly: if another run claims the job meanwhile, this is a no-op.
    orphaned = VideoGenerationJob.objects.filter(pk=job.pk, status=JobStatus.PROCESSING, lease_token=job.lease_token,
                                                 heartbeat_at__lt=lease_lapsed_before())
    if job.cancel_requested:
        outcome = Outcome("canceled")
        finished = _finish(job, orphaned, JobStatus.CANCELED, "canceled", CANCELED_MESSAGE)
    else:
        outcome = Outcome("failed")
        finished = _finish(job, orphaned, JobStatus.FAILED, "worker_lost",
                           f"The worker running this job stopped {job.attempts} times (crash or out of memory).")
    if not finished:
        return Outcome("skipped")
    discard_run_files(job, job.lease_token)
    return outcome


# --- outcomes ---------------------------------------------------------------------------------
COMPLETION_RETRY_SECONDS = (0.5, 1, 2, 4, 8)  # a database restart usually takes seconds


def _complete_retrying(job: VideoGenerationJob, token: uuid.UUID, result: PipelineResult) -> Outcome:
    """The finished work is worth a few retries of its one write while the database restarts.

    A failure may hide a commit that landed (the connection broke before the answer): each retry
    first looks whether the job already completed with this run's video.
    """
    pauses = iter(COMPLETION_RETRY_SECONDS)
    while True:
        try:
            if GeneratedVideo.objects.filter(job_id=job.pk, video_key=result.keys["video"]).exists():
                return Outcome("completed")
            return _complete(job, token, result)
        except DatabaseError:
            pause = next(pauses, None)
            if pause is None:
                raise
            logger.warning("could not record the completion; retrying", extra={"job_id": str(job.pk)})
            connection.close()
            time.sleep(pause)


def _complete(job: VideoGenerationJob, token: uuid.UUID, result: PipelineResult) -> Outcome:
    now = timezone.now()
    with transaction.atomic():
        campaign_id = _current_campaign_id(job)
        updated = _owned(job, token).filter(cancel_requested=False).update(
            status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=100, completed_at=now, updated_at=now,
            lease_token=None, error_code="", error_message="", speech_provider=result.speech.provider,
            lip_sync=result.lip_sync, stage_timings=result.stage_timings,
            total_seconds=result.total_seconds,
        )
        if updated:
            rendered = result.render
            GeneratedVideo.objects.create(
                owner_id=job.owner_id, job=job, campaign_id=campaign_id, title=job.title,
                video_key=result.keys["video"], thumbnail_key=result.keys["thumbnail"],
                audio_key=result.keys["audio"], captions_srt_key=result.keys["captions_srt"],
                captions_vtt_key=result.keys["captions_vtt"], duration_seconds=rendered.duration,
                width=rendered.width, height=rendered.height, fps=rendered.fps, size_bytes=rendered.size_bytes,
                video_codec=rendered.video_codec, audio_codec=rendered.audio_codec,
                checksum_sha256=result.checksum_sha256, aspect_ratio=job.aspect_ratio,
                stage_timings=result.stage_timings,
            )
            quotas.settle_charge(job, rendered.duration)
            events.job_outcome_in_transaction(job.pk, job.owner_id, COMPLETED)
    if updated:
        job_changed_on_commit(job.pk, job.owner_id, COMPLETED)
        logger.info("generation job completed", extra={"job_id": str(job.pk), "seconds": result.total_seconds,
                                                       "lip_sync": result.lip_sync})
        return Outcome("completed")
    if VideoGenerationJob.objects.filter(pk=job.pk, cancel_requested=True, lease_token=token).exists():
        return _cancel(job, token)
    logger.warning("lease lost before completion; another worker runs the job", extra={"job_id": str(job.pk)})
    return Outcome("skipped")


def _current_campaign_id(job: VideoGenerationJob) -> int | None:
    """The job's campaign as it is now, locked until the transaction ends; None if it was deleted.

    An archived campaign may be deleted while its job renders: the job's campaign becomes empty,
    and so must its video's (README). The campaign is read again rather than taken from the claim,
    and locked, so that a delete either finishes first (then None) or waits for the video and
    empties its campaign too (``campaigns.services.delete_campaign`` locks the campaign first).
    """
    campaign_id = VideoGenerationJob.objects.filter(pk=job.pk).values_list("campaign_id", flat=True).first()
    if campaign_id is None:
        return None
    return (Campaign.objects.select_for_update(no_key=True).filter(pk=campaign_id)
            .values_list("pk", flat=True).first())


CANCELED_MESSAGE = "Canceled by the user while processing."


def _finish(job: VideoGenerationJob, queryset, status: str, code: str, message: str) -> bool:
    """Move the job (if `queryset` still matches it) to a final status, failed or canceled, and
    refund its charge in the same transaction; True if it did."""
    with transaction.atomic():
        finished = bool(queryset.update(status=status, lease_token=None, completed_at=timezone.now(),
                                        error_code=code[:64], error_message=message[:2000]))
        if finished:
            quotas.refund_charge(job)
            kind = CANCELED if status == JobStatus.CANCELED else FAILED
            if kind == FAILED:  # a cancellation is no outcome to announce (webhooks have no such event)
                events.job_outcome_in_transaction(job.pk, job.owner_id, kind)
            job_changed_on_commit(job.pk, job.owner_id, kind)
    return finished


def _cancel(job: VideoGenerationJob, token: uuid.UUID) -> Outcome:
    if not _finish(job, _owned(job, token), JobStatus.CANCELED, "canceled", CANCELED_MESSAGE):
        return Outcome("skipped")  # another run owns the job now
    return Outcome("canceled")


def _fail(job: VideoGenerationJob, token: uuid.UUID, code: str, message: str) -> Outcome:
    if not _finish(job, _owned(job, token), JobStatus.FAILED, code, message):
        return Outcome("skipped")
    logger.warning("generation job failed", extra={"job_id": str(job.pk), "error_code": code})
    return Outcome("failed")


def _transient_failure(job: VideoGenerationJob, token: uuid.UUID, code: str, message: str) -> Outcome:
    attempts = VideoGenerationJob.objects.filter(pk=job.pk).values_list("attempts", flat=True).get()
    if attempts >= settings.GENERATION_MAX_ATTEMPTS:
        return _fail(job, token, code, f"{message} (gave up after {attempts} attempts)")
    # Back to the queue, keeping the reason visible while it waits — unless it was canceled
    # meanwhile. The task sends the delayed retry and records it (dispatched_at).
    requeued = _owned(job, token).filter(cancel_requested=False).update(
        status=JobStatus.QUEUED, stage=JobStage.QUEUED, lease_token=None, dispatched_at=None,
        updated_at=timezone.now(), error_code=code[:64], error_message=f"Retrying after: {message}"[:2000])
    if not requeued:
        return _cancel(job, token)
    job_changed_on_commit(job.pk, job.owner_id, QUEUED)
    return Outcome("retry", retry_in=backoff_seconds(attempts))


def backoff_seconds(attempt: int) -> float:
    return jittered_backoff(attempt, base=settings.GENERATION_RETRY_BASE_SECONDS,
                            cap=settings.GENERATION_RETRY_MAX_SECONDS)
