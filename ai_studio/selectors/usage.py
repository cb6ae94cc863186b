"""A user's usage of their plan: what counts against each limit, over which period, and when it resets.

Periods are calendar periods in UTC: a day runs from midnight to midnight, a month from its first
day to the next month's; everything counted in one resets at its end (``resets_at``).

- ``concurrent_jobs``: the user's jobs queued or processing now, a batch's counting as one;
- ``jobs_per_day``: runs (submissions and retries) admitted today, except those refunded (failed or
  canceled);
- ``video_minutes_per_month``: the seconds of video charged to runs submitted this month (the
  estimate while a run is unfinished, the real length once it completed, 0 if refunded);
- ``script_characters`` and ``retries_per_job`` limit each request and each job: nothing is used
  up, nothing resets.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Plan, User
from accounts.selectors import Limits
from ai_studio.models import ChargeStatus, JobCharge, JobStatus, VideoGenerationJob

ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.PROCESSING)
UNITS = {"concurrent_jobs": "jobs", "jobs_per_day": "jobs", "video_minutes_per_month": "minutes",
         "script_characters": "characters", "retries_per_job": "retries"}


@dataclass(frozen=True)
class Periods:
    day_start: datetime
    day_end: datetime
    month_start: datetime
    month_end: datetime


def periods_at(now: datetime) -> Periods:
    """The UTC day and month ``now`` falls in."""
    now = now.astimezone(UTC)
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    return Periods(day_start, day_start + timedelta(days=1), month_start, month_end)


def _per_owner(queryset: QuerySet, aggregate, output_field) -> Coalesce:
    """``aggregate`` over the rows of ``queryset`` owned by the outer query's user (0 when none)."""
    rows = queryset.filter(owner=OuterRef("pk")).order_by().values("owner").annotate(total=aggregate)
    return Coalesce(Subquery(rows.values("total"), output_field=output_field), Value(0),
                    output_field=output_field)


def with_usage_counts(users: QuerySet, periods: Periods) -> QuerySet:
    """``users`` annotated with ``active_jobs``, ``jobs_today`` and ``seconds_this_month``."""
    charges_today = JobCharge.objects.filter(created_at__gte=periods.day_start, created_at__lt=periods.day_end
                                             ).exclude(status=ChargeStatus.REFUNDED)
    charges_this_month = JobCharge.objects.filter(created_at__gte=periods.month_start,
                                                  created_at__lt=periods.month_end)
    return users.annotate(
        # A batch counts as one: its jobs reach the workers a few at a time (Plan.max_in_flight).
        active_jobs=_per_owner(VideoGenerationJob.objects.filter(status__in=ACTIVE_STATUSES),
                               Count("pk", filter=Q(batch__isnull=True)) + Count("batch", distinct=True),
                               IntegerField()),
        jobs_today=_per_owner(charges_today, Count("pk"), IntegerField()),
        seconds_this_month=_per_owner(charges_this_month, Sum("seconds"), FloatField()),
    )


@dataclass(frozen=True)
class Counts:
    active_jobs: int
    jobs_today: int
    seconds_this_month: float


def usage_counts(user: User, periods: Periods) -> Counts:
    """What ``user`` has used now, in one query."""
    row = with_usage_counts(User.objects.filter(pk=user.pk), periods).values(
        "active_jobs", "jobs_today", "seconds_this_month").get()
    return Counts(**row)


@dataclass(frozen=True)
class LimitUsage:
    limit: int | None  # None: unlimited
    used: float | None  # None: a per-request or per-job limit, nothing is used up
    remaining: float | None  # None: unlimited, or nothing is used up
    resets_at: datetime | None  # None: not periodic
    unit: str


@dataclass(frozen=True)
class Usage:
    plan: Plan
    limits: dict[str, LimitUsage]


def usage_of(user: User, plan: Plan, limits: Limits, now: datetime) -> Usage:
    periods = periods_at(now)
    counts = usage_counts(user, periods)

    def counted(name: str, used: float, resets_at: datetime | None) -> LimitUsage:
        limit = getattr(limits, name)
        remaining = None if limit is None else round(max(limit - used, 0), 2)
        return LimitUsage(limit, used, remaining, resets_at, UNITS[name])

    def per_request(name: str) -> LimitUsage:
        return LimitUsage(getattr(limits, name), None, None, None, UNITS[name])

    return Usage(plan, {
        "concurrent_jobs": counted("concurrent_jobs", counts.active_jobs, None),
        "jobs_per_day": counted("jobs_per_day", counts.jobs_today, periods.day_end),
        "video_minutes_per_month": counted("video_minutes_per_month", round(counts.seconds_this_month / 60, 2),
                                           periods.month_end),
        "script_characters": per_request("script_characters"),
        "retries_per_job": per_request("retries_per_job"),
    })
