"""Events that become webhook deliveries: a job completed or failed
(`ai_studio.events.job_outcome`, sent inside the transaction that records it: the deliveries commit
with the outcome), a batch completed (`ai_studio.events.batch_outcome`, likewise in the transaction
that marks it finished), a video shared (a new
`analytics.ShareLink`, in the transaction that creates it). Receivers are quick (a few queries; the
HTTP request is a task's) and never break what they react to: a failure is logged and dropped.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from ai_studio import events as job_events
from ai_studio.models import GenerationBatch, VideoGenerationJob
from analytics.models import ShareLink

from . import payloads, services
from .models import EventType

logger = logging.getLogger(__name__)

JOB_EVENTS = {job_events.COMPLETED: EventType.JOB_COMPLETED, job_events.FAILED: EventType.JOB_FAILED}


@receiver(job_events.job_outcome, dispatch_uid="webhooks.job_outcome")
def job_finished(sender, *, job_id, owner_id, kind, **kwargs) -> None:
    event_type = JOB_EVENTS.get(kind)
    if event_type is None:
        return
    job = VideoGenerationJob.objects.select_related("video").filter(pk=job_id).first()
    if job is None:
        return
    payload = payloads.job(job)
    with transaction.atomic():
        services.emit_event(owner_id, event_type, payload)
        services.emit_job_callback(job, event_type, payload)


@receiver(job_events.batch_outcome, dispatch_uid="webhooks.batch_outcome")
def batch_completed(sender, *, batch_id, owner_id, kind, **kwargs) -> None:
    """`batch.completed`: sent once each time every job of a batch has reached a final status."""
    if kind != job_events.BATCH_COMPLETED:
        return
    batch = GenerationBatch.objects.filter(pk=batch_id).first()
    if batch is not None:
        with transaction.atomic():
            services.emit_event(owner_id, EventType.BATCH_COMPLETED, payloads.batch(batch))


@receiver(post_save, sender=ShareLink, dispatch_uid="webhooks.video_shared")
def video_shared(sender, *, instance: ShareLink, created: bool, **kwargs) -> None:
    if not created:
        return
    try:
        with transaction.atomic():  # a failure here rolls back only this, never the share itself
            link = ShareLink.objects.select_related("video").get(pk=instance.pk)
            services.emit_event(link.video.owner_id, EventType.VIDEO_SHARED, payloads.share(link))
    except Exception:
        logger.exception("video.shared webhook not queued", extra={"share_link_id": instance.pk})
