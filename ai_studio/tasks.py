"""AI Studio's Celery tasks: thin wrappers that load rows and call services.

Each task declares its own policy (time limits, retries) next to its code.
"""
from __future__ import annotations

import logging

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings

from ai_studio.generation.speech import PermanentSpeechError, TransientSpeechError
from ai_studio.models import AIVoice
from ai_studio.services import catalog as catalog_services
from ai_studio.services import execution
from reelmate.celery import register_periodic

logger = logging.getLogger(__name__)

# A sample is one short sentence: at most one speech request and its transcription, each bounded
# by OPENAI_TIMEOUT (the SDK does not retry), plus loading the local voice model and storing the file.
VOICE_SAMPLE_SOFT_TIME_LIMIT = 2 * settings.OPENAI_TIMEOUT + 60


@shared_task(
    name="ai_studio.tasks.generate_voice_sample",
    soft_time_limit=VOICE_SAMPLE_SOFT_TIME_LIMIT,
    time_limit=VOICE_SAMPLE_SOFT_TIME_LIMIT + 30,
    # Transient speech failures (rate limits, provider outages) are retried after 30 s, 60 s and
    # 120 s at most, each wait drawn at random below that ("full jitter"), then given up.
    autoretry_for=(TransientSpeechError,),
    retry_backoff=30,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=3,
)
def generate_voice_sample(voice_id: int) -> bool:
    """Synthesise and store a voice's preview sample, unless it already has one (cached in storage).

    Transient speech failures are retried (see the decorator); permanent ones are logged and
    dropped: staff can still upload a sample in the admin.
    """
    voice = AIVoice.objects.filter(pk=voice_id).first()
    if voice is None:
        return False
    try:
        return catalog_services.generate_voice_sample(voice)
    except PermanentSpeechError as error:
        logger.error("voice sample failed: %s", error, extra={"voice": voice.slug, "code": error.code})
        return False


@shared_task(
    name="ai_studio.tasks.run_generation_job",
    bind=True,
    max_retries=None,  # the service counts attempts (GENERATION_MAX_ATTEMPTS) on the job itself
    # A soft limit makes the job fail with `time_limit_exceeded`; the hard one kills the process if
    # the job ignores it. The broker's visibility timeout is kept above the hard limit (settings).
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def run_generation_job(self, job_id: str) -> str:
    """Run one generation job (on the `render` queue). Retries are decided by the service, which
    records every attempt on the job; this task only schedules the next run."""
    outcome = execution.execute_job(job_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="ai_studio.tasks.requeue_stalled_jobs", soft_time_limit=60, time_limit=90)  # one query, 500 sends
def requeue_stalled_jobs() -> int:
    """Beat: re-send jobs whose worker died or whose message was lost (claiming stays exclusive)."""
    return execution.requeue_stalled_jobs()


register_periodic("requeue-stalled-generation-jobs", "ai_studio.tasks.requeue_stalled_jobs", crontab(minute="*/5"))
