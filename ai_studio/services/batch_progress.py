"""When a batch is over: the moment its last job reaches a final status.

`finish_if_done` sets ``finished_at`` under the batch's row lock, so ``batch_outcome`` (in that
transaction: the ``batch.completed`` webhook commits with it) and ``batch_changed(kind="completed")``
(after it: the live stream) fire exactly once per finish (a retry of failed jobs reopens the batch,
and it finishes again). It is called by the `job_changed` receiver (``ai_studio.receivers``) as each
job of a batch ends and, as a safety net for a process that died right after a job's commit, by every
dispatcher round (`finish_done_batches`). No dispatch here: the dispatcher's clock imports this module.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ai_studio.events import BATCH_COMPLETED, BATCH_PROGRESS, batch_changed_on_commit, batch_outcome_in_transaction
from ai_studio.models import BatchStatus, GenerationBatch, JobStatus, VideoGenerationJob

logger = logging.getLogger(__name__)

UNFINISHED = (JobStatus.QUEUED, JobStatus.PROCESSING)


def finish_if_done(batch_id) -> bool:
    """If every job of the batch has reached a final status and the batch is not marked finished yet,
    mark it (under its row lock: exactly once) and send ``completed``; True if this call did."""
    with transaction.atomic():
        batch = GenerationBatch.objects.select_for_update().filter(pk=batch_id, finished_at__isnull=True).first()
        if batch is None or batch.jobs.filter(status__in=UNFINISHED).exists():
            return False
        if batch.status == BatchStatus.ACTIVE:
            batch.status = BatchStatus.FINISHED
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "finished_at", "updated_at"])
        batch_outcome_in_transaction(batch.pk, batch.owner_id, BATCH_COMPLETED)
        batch_changed_on_commit(batch.pk, batch.owner_id, BATCH_COMPLETED)
    logger.info("generation batch finished", extra={"batch_id": str(batch_id)})
    return True


def job_finished(batch_id, owner_id: int) -> None:
    """One of the batch's jobs reached a final status: the batch finishes, or reports progress."""
    if not finish_if_done(batch_id):
        batch_changed_on_commit(batch_id, owner_id, BATCH_PROGRESS)


def finish_done_batches(limit: int = 100) -> int:
    """Safety net for the dispatcher: finish batches whose last job ended without its receiver running
    (its process died right after the commit)."""
    unfinished = VideoGenerationJob.objects.filter(batch=OuterRef("pk"), status__in=UNFINISHED)
    candidates = (GenerationBatch.objects.filter(finished_at__isnull=True).exclude(Exists(unfinished))
                  .values_list("pk", flat=True)[:limit])
    return sum(finish_if_done(batch_id) for batch_id in list(candidates))
