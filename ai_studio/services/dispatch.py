"""Getting jobs to workers. The database says which jobs must run; the broker only carries the news.

`send_job` publishes a job's message and records `dispatched_at` once the broker accepted it. It
never raises: with the broker away the job simply stays undispatched (and the API still answers
202), and `dispatch_jobs` sends it later.

`dispatch_jobs` runs every GENERATION_DISPATCH_SECONDS in the beat process, and once in every
worker as it starts (`ai_studio.tasks`: threads, not tasks, so that a round never waits for a
free worker):

1. The broker forgot its messages (Redis restarted empty, see `reelmate.broker`): every queued
   and every processing job is sent again — a running job's message is gone too, and if its
   worker dies later nothing would bring it back.
2. Queued jobs the broker never received (`dispatched_at` null), e.g. submitted while it was down.
3. Processing jobs whose lease lapsed — their worker died (SIGKILL, OOM) — and that were not sent
   since: sent at once, ahead of the waiting jobs (RECOVERY_PRIORITY), without waiting for the
   broker's visibility timeout. The next worker claims the job and resumes it.
4. A safety net: queued jobs whose message has not been taken for STALE_AFTER (lost some other way).

Sending a job twice is harmless: claiming it is exclusive (`services.execution.claim`).
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

import redis
from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

# ai_studio.tasks imports this module too (a service and its task know each other): the module, not
# its names, is imported here, so either may be imported first.
from ai_studio import tasks
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.services.execution import lease_lapsed_before
from reelmate import broker

logger = logging.getLogger(__name__)

# A job whose worker died goes ahead of the jobs that are only waiting; ordinary renders are sent
# with the render task's own (low) priority, below other tasks too, so that a dispatch round is not
# stuck behind a queue of renders either.
RECOVERY_PRIORITY = broker.HIGH_PRIORITY
# A job just created is being sent by its request (after commit): give that a moment.
SEND_GRACE = timedelta(seconds=3)
STALE_AFTER = timedelta(minutes=10)
BATCH_SIZE = 500


def send_job(job_id: uuid.UUID | str, *, recovery: bool = False, countdown: float | None = None) -> bool:
    """Publish the job's message (after `countdown` seconds); True once the broker accepted it."""
    options = {"priority": RECOVERY_PRIORITY} if recovery else {}
    if countdown:
        options["countdown"] = countdown
    if not broker.publish(tasks.run_generation_job, args=[str(job_id)], **options):
        logger.warning("job not sent (broker unavailable); the dispatcher will send it", extra={"job_id": str(job_id)})
        return False
    VideoGenerationJob.objects.filter(pk=job_id).update(dispatched_at=timezone.now())
    return True


@dataclass
class DispatchReport:
    broker_forgot: bool = False  # the broker had lost its messages: every job that must run is sent
    sent: int = 0
    recovered: int = 0  # of which processing jobs (their worker died, or the broker forgot them)
    stopped: bool = False  # the broker went away during the round: the rest waits for the next one


def jobs_to_send(*, broker_forgot: bool) -> QuerySet[VideoGenerationJob]:
    now = timezone.now()
    if broker_forgot:
        return VideoGenerationJob.objects.filter(status__in=(JobStatus.QUEUED, JobStatus.PROCESSING))
    lease = timedelta(seconds=settings.GENERATION_LEASE_SECONDS)
    never_sent = Q(status=JobStatus.QUEUED, dispatched_at__isnull=True, updated_at__lt=now - SEND_GRACE)
    stale = Q(status=JobStatus.QUEUED, dispatched_at__lt=now - STALE_AFTER)
    # Lapsed, and not sent since it lapsed (the lease ran out at heartbeat_at + lease).
    worker_died = Q(status=JobStatus.PROCESSING, heartbeat_at__lt=lease_lapsed_before()) & (
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=F("heartbeat_at") + lease))
    return VideoGenerationJob.objects.filter(never_sent | stale | worker_died)


def dispatch_jobs() -> DispatchReport:
    """One round of the dispatcher (see the module docstring)."""
    report = DispatchReport()
    try:
        report.broker_forgot = broker.broker_forgot_messages()
    except redis.RedisError:
        logger.info("broker unreachable; dispatching waits for it")
        return report
    candidates = jobs_to_send(broker_forgot=report.broker_forgot).order_by("created_at").values_list("pk", "status")
    for job_id, status in candidates if report.broker_forgot else candidates[:BATCH_SIZE]:
        processing = status == JobStatus.PROCESSING
        if not send_job(job_id, recovery=processing):
            report.stopped = True
            break
        report.sent += 1
        report.recovered += processing
    if report.broker_forgot and not report.stopped:
        broker.mark_broker_epoch()
    if report.sent or report.stopped:
        logger.warning("dispatcher sent %d jobs (%d resumed)%s%s", report.sent, report.recovered,
                       "; the broker had lost its messages" if report.broker_forgot else "",
                       "; the broker went away, the rest waits" if report.stopped else "")
    return report
