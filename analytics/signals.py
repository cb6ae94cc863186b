"""Analytics' reactions to job events (``ai_studio.events.job_changed``)."""
from __future__ import annotations

from django.dispatch import receiver

from ai_studio.events import COMPLETED, job_changed

from . import services


@receiver(job_changed, dispatch_uid="analytics.share_completed_variant")
def share_completed_variant(sender, job_id, kind, **kwargs):
    """A variant of a group that completes gets its share link at once: one link per variant."""
    if kind == COMPLETED:
        services.share_variant_video(job_id=job_id)
