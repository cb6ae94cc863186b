"""Plans enforced on generation: a run of a job (its submission, or a retry) is admitted only within
its owner's limits, and charged for.

The transaction that creates or requeues the job first takes `lock_limits`, which locks the
owner's plan row (``accounts.services.lock_user_plan``), then asks `admit_run`: a user's
concurrent requests are admitted one after the other, each counting the jobs and charges the
ones before it committed, so no limit can be overshot. The caller then creates the job and
`open_charge`s it.

A charge is closed in the transaction that gives the job its final status: `settle_charge` when
it completes (the video's real length), `refund_charge` when it fails or is canceled. Both change
only an open (estimated) charge, so each happens once, whichever worker or request gets there.
What counts against each limit: ``ai_studio.selectors.usage``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.models import User
from accounts.selectors import Limits, effective_limits
from accounts.services import lock_user_plan
from ai_studio import templating
from ai_studio.models import AIVoice, ChargeStatus, JobCharge, VideoGenerationJob
from ai_studio.selectors.usage import periods_at, usage_counts
from ai_studio.services.script_writer import engine_of
from ai_studio.writing import pacing
from reelmate.errors import QuotaExceeded

# Retry-After when too many jobs are active: a short reel renders in about a minute, so look again
# soon (a hint; a job's end cannot be known in advance).
CONCURRENT_RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class Run:
    """What one run of a job will make: the script its voice speaks at its speed, then any end card."""

    script: str
    voice: AIVoice
    speed: float
    end_card: dict  # {} or {"text", "seconds"}

    @classmethod
    def of_job(cls, job: VideoGenerationJob) -> Run:
        return cls(script=job.script, voice=job.voice, speed=job.speed, end_card=job.end_card)


def estimated_seconds(run: Run) -> float:
    """The video a run makes, estimated before it is spoken: its words at the measured pace of its
    voice's engine and language (``ai_studio.writing.pacing``, which the script writer sizes scripts
    by too), and the end card's seconds."""
    rate = pacing.words_per_second(engine_of(run.voice), run.voice.language, run.speed)
    return round(templating.count_words(run.script) / rate + run.end_card.get("seconds", 0), 1)


def lock_limits(owner: User) -> Limits:
    """Lock the owner's plan row until the transaction ends, and return the owner's limits."""
    return effective_limits(lock_user_plan(owner))


def admit_run(owner: User, limits: Limits, run: Run, *, retried_job: VideoGenerationJob | None = None) -> float:
    """Check one more run against every limit; return its estimated seconds.

    Call in the transaction that took `lock_limits`. Raises QuotaExceeded naming the first limit
    the run would break. ``retried_job``: the run is a retry of this (failed or canceled) job.
    """
    estimate = estimated_seconds(run)
    _check(owner, limits, script=run.script, estimate=estimate, retried_job=retried_job, now=timezone.now())
    return estimate


def admit_runs(owner: User, limits: Limits, runs: list[Run], *, retried: int = 0) -> list[float]:
    """Check a batch's runs against every limit at once (its jobs count as one concurrent job: they go
    to the workers at the plan's `max_in_flight` pace); return each run's estimated seconds.

    Call in the transaction that took `lock_limits`. All or nothing: QuotaExceeded names the first
    limit the whole batch would break. ``retried``: how many retries of one job the runs are at most
    (checked against ``retries_per_job``).
    """
    estimates = [estimated_seconds(run) for run in runs]
    longest = max(runs, key=lambda run: len(run.script))
    _check(owner, limits, script=longest.script, estimate=sum(estimates), retried_job=None, now=timezone.now(),
           jobs=len(runs))
    if limits.retries_per_job is not None and retried > limits.retries_per_job:
        raise _exceeded("retries_per_job", f"A job of this batch would be retried {retried} times; your plan "
                                           f"allows {limits.retries_per_job} retries of one job.")
    return estimates


def _check(owner: User, limits: Limits, *, script: str, estimate: float,
           retried_job: VideoGenerationJob | None, now: datetime, jobs: int = 1) -> None:
    if limits.script_characters is not None and len(script) > limits.script_characters:
        raise _exceeded("script_characters", f"The script is {len(script)} characters; your plan allows "
                                             f"{limits.script_characters}.")
    if (retried_job is not None and limits.retries_per_job is not None
            and retried_job.user_retries >= limits.retries_per_job):
        raise _exceeded("retries_per_job", f"This job was retried {retried_job.user_retries} times; your plan "
                                           f"allows {limits.retries_per_job} retries of one job.")
    periods = periods_at(now)
    counts = usage_counts(owner, periods)
    if limits.concurrent_jobs is not None and counts.active_jobs >= limits.concurrent_jobs:
        raise _exceeded("concurrent_jobs", f"You have {counts.active_jobs} job(s) queued or processing; your plan "
                                           f"allows {limits.concurrent_jobs} at a time. Try again when one "
                                           "finishes.", retry_after=CONCURRENT_RETRY_AFTER_SECONDS)
    if limits.jobs_per_day is not None and counts.jobs_today + jobs > limits.jobs_per_day:
        adding = "" if jobs == 1 else f" and this batch has {jobs}"
        raise _exceeded("jobs_per_day", f"You have made {counts.jobs_today} job(s) today{adding}; your plan allows "
                                        f"{limits.jobs_per_day} a day (UTC).",
                        retry_after=(periods.day_end - now).total_seconds())
    if limits.video_minutes_per_month is not None:
        allowed = limits.video_minutes_per_month * 60
        if counts.seconds_this_month + estimate > allowed:
            left = max(allowed - counts.seconds_this_month, 0)
            needs = "This video needs" if jobs == 1 else f"These {jobs} videos need"
            raise _exceeded("video_minutes_per_month",
                            f"{needs} about {estimate / 60:.1f} minute(s); {left / 60:.1f} of your plan's "
                            f"{limits.video_minutes_per_month} minutes this month (UTC) are left.",
                            retry_after=(periods.month_end - now).total_seconds())


def _exceeded(limit: str, message: str, *, retry_after: float | None = None) -> QuotaExceeded:
    return QuotaExceeded(message, retry_after=retry_after, extra={"limit": limit})


def open_charge(job: VideoGenerationJob, estimate: float) -> JobCharge:
    """Charge the run just admitted for ``job``, at its estimate."""
    return JobCharge.objects.create(owner_id=job.owner_id, job=job, estimated_seconds=estimate, seconds=estimate)


def open_charges(jobs: list[VideoGenerationJob], estimates: list[float]) -> None:
    """`open_charge` for many jobs in one query (a batch)."""
    JobCharge.objects.bulk_create([JobCharge(owner_id=job.owner_id, job_id=job.pk, estimated_seconds=estimate,
                                             seconds=estimate) for job, estimate in zip(jobs, estimates, strict=True)])


def refund_charges(job_ids) -> None:
    """`refund_charge` for many jobs in one query."""
    JobCharge.objects.filter(job_id__in=job_ids, status=ChargeStatus.ESTIMATED).update(
        status=ChargeStatus.REFUNDED, seconds=0.0, closed_at=timezone.now())


def settle_charge(job: VideoGenerationJob, seconds: float) -> None:
    """The job completed: its open charge becomes the video's real length."""
    _close(job, ChargeStatus.SETTLED, seconds)


def refund_charge(job: VideoGenerationJob) -> None:
    """The job failed or was canceled: its open charge is given back (0 seconds, not one of the day's jobs)."""
    _close(job, ChargeStatus.REFUNDED, 0.0)


def _close(job: VideoGenerationJob, status: str, seconds: float) -> None:
    JobCharge.objects.filter(job=job, status=ChargeStatus.ESTIMATED).update(
        status=status, seconds=seconds, closed_at=timezone.now())
