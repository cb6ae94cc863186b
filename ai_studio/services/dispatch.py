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

Fair queueing. Only *released* jobs are sent: each user has at most their plan's
``max_in_flight`` jobs released and unfinished (waiting on the render queue or rendering); the
others are *held* in the database (queued, ``released_at`` null) and take a slot as one frees up.
So one user's 1,000-job batch puts a few jobs on the render queue, not 1,000, and another user's
job is sent at once, behind only those few. Slots are handed out by `release_held_jobs`, under
the owner's plan-row lock (the lock submissions take too), so two releases of one user take turns
and a slot is never given twice; it runs when a job is submitted or retried (in that
transaction), when one of the user's jobs reaches a final status (an `ai_studio.events.job_changed`
receiver, `ai_studio.receivers`), and in every dispatcher round for every user with held jobs,
oldest waiting first, sending the released jobs round-robin across users. A user's only job in
flight is sent ahead of other users' further ones (FIRST_IN_FLIGHT_PRIORITY), so a newcomer waits
for the next free worker only, not behind another user's whole share. The release is a
committed fact in the database before anything is sent: a dispatcher that dies after releasing
leaves released-but-unsent jobs, which rule 2 above sends in the next round.
"""
from __future__ import annotations

import itertools
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User, UserPlan
from accounts.services import lock_user_plan

# ai_studio.tasks imports this module too (a service and its task know each other): the module, not
# its names, is imported here, so either may be imported first.
from ai_studio import tasks
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.selectors.queue import HELD, IN_FLIGHT
from ai_studio.services.execution import lease_lapsed_before
from reelmate import broker

logger = logging.getLogger(__name__)

# A job whose worker died goes ahead of the jobs that are only waiting; ordinary renders are sent
# with the render task's own (low) priority, below other tasks too, so that a dispatch round is not
# stuck behind a queue of renders either.
RECOVERY_PRIORITY = broker.HIGH_PRIORITY
# A user's only job in flight goes ahead of other users' second, third... jobs (fair queueing): a
# newcomer waits for a free worker, not behind another user's share too.
FIRST_IN_FLIGHT_PRIORITY = broker.MEDIUM_PRIORITY
# A job just created is being sent by its request (after commit): give that a moment.
SEND_GRACE = timedelta(seconds=3)
STALE_AFTER = timedelta(minutes=10)
BATCH_SIZE = 500
# Users with a free slot whose held jobs one dispatcher round releases at most (longest waiting first).
RELEASE_OWNERS_PER_ROUND = 200


def send_job(job_id: uuid.UUID | str, *, recovery: bool = False, countdown: float | None = None,
             priority: int | None = None) -> bool:
    """Publish the job's message (after `countdown` seconds); True once the broker accepted it."""
    options = {"priority": RECOVERY_PRIORITY} if recovery else ({"priority": priority} if priority is not None else {})
    if countdown:
        options["countdown"] = countdown
    if not broker.publish(tasks.run_generation_job, args=[str(job_id)], **options):
        logger.warning("job not sent (broker unavailable); the dispatcher will send it", extra={"job_id": str(job_id)})
        return False
    VideoGenerationJob.objects.filter(pk=job_id).update(dispatched_at=timezone.now())
    return True


class Released(list):
    """The ids of the jobs a release gave slots to, oldest first; ``first_in_flight``: whether the
    first of them is its owner's only job in flight (it is then sent ahead: FIRST_IN_FLIGHT_PRIORITY)."""

    first_in_flight: bool = False


def send_jobs(job_ids) -> int:
    """Send each job in turn; stop at the first the broker refuses (the dispatcher sends the rest later)."""
    sent = 0
    for index, job_id in enumerate(job_ids):
        ahead = index == 0 and getattr(job_ids, "first_in_flight", False)
        if not send_job(job_id, priority=FIRST_IN_FLIGHT_PRIORITY if ahead else None):
            break
        sent += 1
    return sent


def release_held_jobs(owner_id: int) -> Released:
    """Give the owner's oldest held jobs the slots their plan has free; returns the released ids.

    Takes the owner's plan-row lock (already held when called from a submission's transaction) until
    the transaction ends: releases of one user take turns, so `max_in_flight` is never exceeded.
    The caller sends the released jobs once the transaction has committed (`release_and_send`).
    """
    released = Released()
    with transaction.atomic():
        cap = lock_user_plan(User(pk=owner_id)).plan.max_in_flight
        mine = VideoGenerationJob.objects.filter(owner_id=owner_id)
        in_flight = mine.filter(IN_FLIGHT).count()
        if in_flight >= cap:
            return released
        # Jobs locked elsewhere (being canceled right now) are skipped: their turn comes next time.
        released.extend(mine.filter(HELD).order_by("created_at", "batch_row", "pk")
                        .select_for_update(skip_locked=True).values_list("pk", flat=True)[:cap - in_flight])
        released.first_in_flight = in_flight == 0
        if released:
            now = timezone.now()
            VideoGenerationJob.objects.filter(HELD, pk__in=released).update(released_at=now, updated_at=now)
    return released


def release_and_send(owner_id: int) -> Released:
    """`release_held_jobs`, and send the released jobs once the current transaction commits (at once
    outside one)."""
    job_ids = release_held_jobs(owner_id)
    if job_ids:
        transaction.on_commit(lambda: send_jobs(job_ids))
    return job_ids


def owners_waiting() -> list[int]:
    """Users with held jobs and a free slot, the one whose oldest held job waits longest first (one
    query: users whose share is full cost the round nothing)."""
    in_flight = (VideoGenerationJob.objects.filter(IN_FLIGHT, owner_id=OuterRef("owner_id")).order_by()
                 .values("owner_id").annotate(jobs=Count("pk")).values("jobs"))
    share = UserPlan.objects.filter(user_id=OuterRef("owner_id")).values("plan__max_in_flight")
    return list(VideoGenerationJob.objects.filter(HELD).order_by().values("owner_id").annotate(
        oldest=Min("created_at"), in_flight=Coalesce(Subquery(in_flight, output_field=IntegerField()), 0),
        share=Coalesce(Subquery(share, output_field=IntegerField()), 1),
    ).filter(in_flight__lt=F("share")).order_by("oldest").values_list("owner_id", flat=True)[:RELEASE_OWNERS_PER_ROUND])


def round_robin(lists: list[list]) -> list:
    """[a1, a2], [b1] -> [a1, b1, a2]: one of each in turn."""
    return [item for group in itertools.zip_longest(*lists) for item in group if item is not None]


@dataclass
class DispatchReport:
    broker_forgot: bool = False  # the broker had lost its messages: every job that must run is sent
    sent: int = 0
    recovered: int = 0  # of which processing jobs (their worker died, or the broker forgot them)
    released: int = 0  # held jobs given a slot this round (sent round-robin across their owners)
    stopped: bool = False  # the broker went away during the round: the rest waits for the next one


def jobs_to_send(*, broker_forgot: bool) -> QuerySet[VideoGenerationJob]:
    now = timezone.now()
    if broker_forgot:
        return VideoGenerationJob.objects.filter(IN_FLIGHT)  # held jobs were never on the broker
    lease = timedelta(seconds=settings.GENERATION_LEASE_SECONDS)
    released = Q(released_at__isnull=False)
    never_sent = Q(status=JobStatus.QUEUED, dispatched_at__isnull=True, updated_at__lt=now - SEND_GRACE) & released
    stale = Q(status=JobStatus.QUEUED, dispatched_at__lt=now - STALE_AFTER) & released
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
    if not report.stopped:
        _release_round(report)
    if report.broker_forgot and not report.stopped:
        broker.mark_broker_epoch()
    if report.sent > report.released or report.stopped:
        logger.warning("dispatcher sent %d jobs (%d resumed, %d released)%s%s", report.sent, report.recovered,
                       report.released,
                       "; the broker had lost its messages" if report.broker_forgot else "",
                       "; the broker went away, the rest waits" if report.stopped else "")
    return report


def _release_round(report: DispatchReport) -> None:
    """Release every waiting user's free slots, then send the released jobs round-robin across users."""
    released = [job_ids for job_ids in (release_held_jobs(owner_id) for owner_id in owners_waiting()) if job_ids]
    ahead = {job_ids[0] for job_ids in released if job_ids.first_in_flight}
    ordered = round_robin(released)
    report.released = len(ordered)
    for job_id in ordered:
        if not send_job(job_id, priority=FIRST_IN_FLIGHT_PRIORITY if job_id in ahead else None):
            report.stopped = True
            break
        report.sent += 1
