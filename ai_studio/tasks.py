"""AI Studio's Celery tasks: thin wrappers that load rows and call services."""
from __future__ import annotations

import logging

from celery import shared_task
from celery.schedules import crontab

from ai_studio.models import AIVoice
from ai_studio.services import catalog as catalog_services
from ai_studio.services import execution
from reelmate.celery import register_periodic

logger = logging.getLogger(__name__)


@shared_task(name="ai_studio.tasks.generate_voice_sample", bind=True, max_retries=3)
def generate_voice_sample(self, voice_id: int) -> bool:
    """Synthesise and store a voice's preview sample, unless it already has one (cached in storage).

    Transient speech failures (rate limits, provider outages) are retried with backoff; permanent
    ones are logged and dropped: staff can still upload a sample in the admin.
    """
    from ai_studio.generation.speech import PermanentSpeechError, TransientSpeechError

    voice = AIVoice.objects.filter(pk=voice_id).first()
    if voice is None:
        return False
    try:
        return catalog_services.generate_voice_sample(voice)
    except TransientSpeechError as error:
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error
    except PermanentSpeechError as error:
        logger.error("voice sample failed: %s", error, extra={"voice": voice.slug, "code": error.code})
        return False


@shared_task(name="ai_studio.tasks.run_generation_job", bind=True, max_retries=None)
def run_generation_job(self, job_id: str) -> str:
    """Run one generation job (on the `render` queue). Retries are decided by the service, which
    records every attempt on the job; this task only schedules the next run."""
    outcome = execution.execute_job(job_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="ai_studio.tasks.requeue_stalled_jobs")
def requeue_stalled_jobs() -> int:
    """Beat: re-send jobs whose worker died or whose message was lost (claiming stays exclusive)."""
    return execution.requeue_stalled_jobs()


register_periodic("requeue-stalled-generation-jobs", "ai_studio.tasks.requeue_stalled_jobs", crontab(minute="*/5"))
