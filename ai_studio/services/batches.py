"""Batches: many reels from one script and a row of variables each, queued all or nothing.

`create_batch` admits the whole batch against the owner's plan under one lock (the sum of the
estimates, the number of jobs), creates the batch, its jobs and their charges in a few queries
(bulk inserts), and releases as many jobs as the owner's plan lets run at once
(``services.dispatch``, fair queueing); the others wait their turn in the database.

A batch finishes when its last job reaches a final status (``services.batch_progress``).
`retry_failed` reopens a batch; `cancel_batch` cancels what has not finished.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ai_studio.events import (
    BATCH_CANCELED,
    BATCH_CREATED,
    BATCH_PROGRESS,
    CANCELED,
    QUEUED,
    batch_changed_on_commit,
    job_changed_on_commit,
)
from ai_studio.models import BatchStatus, GenerationBatch, JobStage, JobStatus, PromptTemplate, VideoGenerationJob
from ai_studio.services import batch_progress, dispatch, quotas
from ai_studio.services import jobs as job_service
from reelmate.errors import Conflict

logger = logging.getLogger(__name__)

MAX_ROWS = 1000


@dataclass
class BatchSubmission:
    batch: GenerationBatch
    created: bool  # False when an Idempotency-Key replay returned the existing batch


@dataclass(frozen=True)
class NewBatch:
    """A validated batch: its own fields and, per row, the job's model fields (``serializers.batches``)."""

    name: str
    template: PromptTemplate | None
    script: str
    campaign: object | None
    settings: dict
    source: str
    rows: list[dict]


def create_batch(*, owner, batch: NewBatch, idempotency_key: str | None, fingerprint: str) -> BatchSubmission:
    """Queue every row's job, or none: over a limit of the owner's plan, QuotaExceeded and nothing is
    stored. With an Idempotency-Key, the same key and body return the first batch (not charged again);
    another body is a Conflict."""
    if idempotency_key:
        existing = _find_by_key(owner, idempotency_key)
        if existing is not None:
            return BatchSubmission(_replay(existing, fingerprint), created=False)
    try:
        with transaction.atomic():
            limits = quotas.lock_limits(owner)
            existing = _find_by_key(owner, idempotency_key) if idempotency_key else None
            if existing is not None:  # the same key's request held the lock before us and committed
                return BatchSubmission(_replay(existing, fingerprint), created=False)
            estimates = quotas.admit_runs(owner, limits, [
                quotas.Run(script=row["script"], voice=row["voice"], speed=row.get("speed", 1.0),
                           end_card=row.get("end_card") or {}) for row in batch.rows])
            created = GenerationBatch.objects.create(
                owner=owner, name=batch.name, template=batch.template, script=batch.script, campaign=batch.campaign,
                settings=batch.settings, source=batch.source, total_jobs=len(batch.rows),
                idempotency_key=idempotency_key or None, request_fingerprint=fingerprint)
            jobs = VideoGenerationJob.objects.bulk_create([
                VideoGenerationJob(owner=owner, batch=created, batch_row=index, **row)
                for index, row in enumerate(batch.rows)], batch_size=500)
            quotas.open_charges(jobs, estimates)
            if batch.template is not None:
                PromptTemplate.objects.filter(pk=batch.template.pk).update(usage_count=F("usage_count") + len(jobs))
            for job in jobs:  # announced before the jobs are sent, so "queued" always precedes "started"
                job_changed_on_commit(job.pk, owner.id, QUEUED)
            batch_changed_on_commit(created.pk, owner.id, BATCH_CREATED)
            dispatch.release_and_send(owner.id)
    except IntegrityError:
        existing = _find_by_key(owner, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return BatchSubmission(_replay(existing, fingerprint), created=False)
    logger.info("generation batch queued", extra={"batch_id": str(created.pk), "owner_id": owner.id,
                                                  "jobs": len(jobs)})
    return BatchSubmission(created, created=True)


def _find_by_key(owner, key: str) -> GenerationBatch | None:
    return GenerationBatch.objects.filter(owner=owner, idempotency_key=key).first()


def _replay(existing: GenerationBatch, fingerprint: str) -> GenerationBatch:
    if existing.request_fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was already used with a different request body.",
                       code="idempotency_key_reused")
    return existing


def cancel_batch(batch: GenerationBatch) -> GenerationBatch:
    """Cancel every job of the batch that has not finished: queued ones at once, rendering ones at
    their next stage boundary (as `jobs.cancel_job`). Finished jobs and their videos stay."""
    with transaction.atomic():
        batch = GenerationBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != BatchStatus.ACTIVE:
            raise Conflict(f"A {batch.status} batch cannot be canceled.", code="batch_not_cancelable")
        queued = batch.jobs.filter(status=JobStatus.QUEUED).select_for_update()
        queued_ids = list(queued.values_list("pk", flat=True))
        now = timezone.now()
        VideoGenerationJob.objects.filter(pk__in=queued_ids, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELED, cancel_requested=True, completed_at=now, updated_at=now,
            error_code="canceled", error_message="Canceled with its batch before it started.")
        quotas.refund_charges(queued_ids)
        for job_id in queued_ids:
            job_changed_on_commit(job_id, batch.owner_id, CANCELED)
        for job in batch.jobs.filter(status=JobStatus.PROCESSING):
            job_service.cancel_job(job)
        batch.status, batch.canceled_at = BatchStatus.CANCELED, now
        batch.save(update_fields=["status", "canceled_at", "updated_at"])
        batch_changed_on_commit(batch.pk, batch.owner_id, BATCH_CANCELED)
        batch_progress.finish_if_done(batch.pk)  # over at once unless a job is still rendering
        dispatch.release_and_send(batch.owner_id)  # slots freed: the owner's other batches go on
    batch.refresh_from_db()
    return batch


def retry_failed(batch: GenerationBatch) -> int:
    """Run the batch's failed jobs again, charged and counted like new submissions (all or nothing:
    QuotaExceeded if the plan cannot take them all); the batch is active again. Returns how many."""
    with transaction.atomic():
        limits = quotas.lock_limits(batch.owner)
        batch = GenerationBatch.objects.select_for_update().get(pk=batch.pk)
        failed = list(batch.jobs.filter(status=JobStatus.FAILED).select_for_update().select_related("voice"))
        if not failed:
            raise Conflict("This batch has no failed jobs to retry.", code="no_failed_jobs")
        estimates = quotas.admit_runs(batch.owner, limits, [quotas.Run.of_job(job) for job in failed],
                                      retried=max(job.user_retries for job in failed) + 1)
        now = timezone.now()
        VideoGenerationJob.objects.filter(pk__in=[job.pk for job in failed]).update(
            status=JobStatus.QUEUED, stage=JobStage.QUEUED, progress=0, error_code="", error_message="",
            cancel_requested=False, attempts=0, user_retries=F("user_retries") + 1, lease_token=None,
            heartbeat_at=None, started_at=None, completed_at=None, dispatched_at=None, released_at=None,
            stage_timings={}, total_seconds=None, updated_at=now)
        quotas.open_charges(failed, estimates)
        batch.status, batch.finished_at, batch.canceled_at = BatchStatus.ACTIVE, None, None
        batch.save(update_fields=["status", "finished_at", "canceled_at", "updated_at"])
        for job in failed:  # announced before the jobs are sent, so "queued" always precedes "started"
            job_changed_on_commit(job.pk, batch.owner_id, QUEUED)
        batch_changed_on_commit(batch.pk, batch.owner_id, BATCH_PROGRESS)
        dispatch.release_and_send(batch.owner_id)
    return len(failed)
