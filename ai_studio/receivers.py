"""Reactions to job events (``ai_studio.events``), connected in ``AiStudioConfig.ready``.

When a job reaches a final status its owner has a free slot on the render queue: their next held
job is released at once (``services.dispatch``, fair queueing), rather than at the dispatcher's
next round; and if the job belongs to a batch, the batch reports progress or finishes.
Errors are logged by the sender (``send_robust``) and never reach the job.
"""
from __future__ import annotations

from django.dispatch import receiver

from ai_studio.events import FINAL_KINDS, job_changed
from ai_studio.models import VideoGenerationJob
from ai_studio.services import batch_progress, dispatch


@receiver(job_changed, dispatch_uid="ai_studio.release_and_follow_batches")
def job_reached_a_final_status(sender, job_id, owner_id, kind, **kwargs) -> None:
    if kind not in FINAL_KINDS:
        return
    dispatch.release_and_send(owner_id)
    batch_id = VideoGenerationJob.objects.filter(pk=job_id).values_list("batch_id", flat=True).first()
    if batch_id is not None:
        batch_progress.job_finished(batch_id, owner_id)
