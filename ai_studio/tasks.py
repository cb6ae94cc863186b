"""AI Studio's Celery tasks: thin wrappers that load rows and call services; and the job
dispatcher's clock, which runs in the beat process (`JobDispatcher`).

Each task declares its own policy (time limits, retries) next to its code.
"""
from __future__ import annotations

import logging
import threading
import time

from celery import shared_task
from celery.signals import beat_init, worker_ready
from django.conf import settings
from django.db import DatabaseError, connections

from ai_studio.generation.speech import PermanentSpeechError, TransientSpeechError
from ai_studio.models import AIVoice
from ai_studio.services import artifact_storage, batch_progress, dispatch, execution
from ai_studio.services import catalog as catalog_services
from reelmate.broker import LOW_PRIORITY
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


@shared_task(name="ai_studio.tasks.purge_pending_file_deletions", soft_time_limit=60, time_limit=90)
def purge_pending_file_deletions() -> int:
    """Beat: remove files that could not be removed while storage was down."""
    return artifact_storage.purge_pending_deletions()


def dispatch_round() -> None:
    """One dispatcher round in a thread of its own (see `services.dispatch`); failures are logged,
    the next round tries again, and the thread's database connection is closed."""
    try:
        dispatch.dispatch_jobs()
        batch_progress.finish_done_batches()
    except Exception:  # the database or the broker is away
        logger.exception("dispatch round failed")
    finally:
        connections.close_all()  # this thread's own


class JobDispatcher(threading.Thread):
    """The dispatcher's clock: a round every GENERATION_DISPATCH_SECONDS, in the beat process.

    Not a beat *task*: a task waits for a free worker, and while every worker renders (exactly when
    a dead worker's job must be resumed, or Redis lost the queue) that can take minutes.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True, name="job-dispatcher")

    def run(self) -> None:
        while True:
            time.sleep(settings.GENERATION_DISPATCH_SECONDS)
            dispatch_round()


@beat_init.connect  # `celery beat`, and the beat a worker embeds with -B (`make run`)
def start_the_dispatcher(sender, **kwargs) -> None:
    JobDispatcher().start()


@worker_ready.connect
def dispatch_when_a_worker_starts(sender, **kwargs) -> None:
    """A worker that (re)starts, e.g. after a crash, runs one round at once, in a thread of its main
    process: it waits neither for a free pool process nor for beat's next round."""
    threading.Thread(target=dispatch_round, name="job-dispatcher-at-start", daemon=True).start()


register_periodic("purge-pending-file-deletions", "ai_studio.tasks.purge_pending_file_deletions", 60.0)
