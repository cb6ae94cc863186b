"""AI Studio's Celery tasks: thin wrappers that load rows and call services.

Each task declares its own policy (time limits, retries) next to its code.
"""
from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError

from ai_studio.generation.speech import PermanentSpeechError, TransientSpeechError
from ai_studio.models import AIVoice
from ai_studio.services import artifact_storage, dispatch, execution
from ai_studio.services import catalog as catalog_services
from reelmate.broker import LOW_PRIORITY, publish
from reelmate.celery import register_periodic

logger = logging.getLogger(__name__)

DATABASE_RETRY_SECONDS = 5

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
    priority=LOW_PRIORITY,  # behind other tasks and resumed jobs (dispatch.RECOVERY_PRIORITY)
)
def run_generation_job(self, job_id: str) -> str:
    """Run one generation job (on the `render` queue). Retries are decided by the service, which
    records every attempt on the job; this task only schedules the next run."""
    try:
        outcome = execution.execute_job(job_id)
    except DatabaseError:  # the job could not even be claimed: the database is away for now
        raise self.retry(countdown=DATABASE_RETRY_SECONDS)
    if outcome.status == "retry":  # back in the queue after a transient failure, sent with its backoff
        dispatch.send_job(job_id, countdown=outcome.retry_in)
    elif outcome.retry_in is not None:  # another run holds the job: look again when its lease would lapse
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


# One round is a few queries and at most a batch of publishes; a round that waited longer than
# two periods for a free worker is dropped, the next one is already on its way.
@shared_task(name="ai_studio.tasks.dispatch_jobs", soft_time_limit=30, time_limit=45,
             expires=2 * settings.GENERATION_DISPATCH_SECONDS)
def dispatch_jobs() -> int:
    """Beat (and every worker as it starts): send the jobs the broker does not have; resume the
    jobs whose worker died. Returns how many jobs were sent."""
    return dispatch.dispatch_jobs().sent


@shared_task(name="ai_studio.tasks.purge_pending_file_deletions", soft_time_limit=60, time_limit=90)
def purge_pending_file_deletions() -> int:
    """Beat: remove files that could not be removed while storage was down."""
    return artifact_storage.purge_pending_deletions()


@worker_ready.connect
def dispatch_when_a_worker_starts(sender, **kwargs) -> None:
    """A worker that (re)starts, e.g. after a crash, asks for a dispatch round at once."""
    publish(dispatch_jobs, args=[])


register_periodic("dispatch-generation-jobs", "ai_studio.tasks.dispatch_jobs", settings.GENERATION_DISPATCH_SECONDS)
register_periodic("purge-pending-file-deletions", "ai_studio.tasks.purge_pending_file_deletions", 60.0)
