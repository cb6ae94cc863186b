"""The first reel a newcomer sees after `make run`."""
from __future__ import annotations

from ai_studio.models import AIAvatar, AIVoice, JobStatus, VideoGenerationJob, VoiceProvider
from ai_studio.services import jobs as job_service

DEMO_SCRIPT = (
    "Meet ReelMate. Write a script, pick an avatar and a voice, and get a finished reel with "
    "captions in about a minute. This one was made on your own machine, with an offline voice. "
    "Now try yours!"
)
DEMO_KEY = "demo-reel-v1"


def queue_demo_reel(user) -> VideoGenerationJob:
    """Queue the demo reel once per user (an Idempotency-Key); a failed one is retried."""
    avatar = AIAvatar.objects.filter(is_active=True).exclude(portrait="").order_by("sort_order", "pk").first()
    voice = AIVoice.objects.filter(is_active=True, provider=VoiceProvider.LOCAL).order_by("sort_order", "pk").first()
    if avatar is None or voice is None:
        raise LookupError("The starter catalog is missing: run `manage.py seed_catalog` first.")
    fields = {"avatar": avatar, "voice": voice, "script": DEMO_SCRIPT, "title": "Welcome to ReelMate"}
    fingerprint = job_service.request_fingerprint({"demo": DEMO_KEY})
    job = job_service.submit_job(owner=user, fields=fields, idempotency_key=DEMO_KEY, fingerprint=fingerprint).job
    if job.status in (JobStatus.FAILED, JobStatus.CANCELED):
        job = job_service.retry_job(job)
    return job
