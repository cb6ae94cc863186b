"""Reads: share links, audience reports, generation metrics and the staff dashboard's figures.

Metric definitions (views, unique viewers, watch time, rates) are in `analytics.services`.
Generation metrics come from the columns the pipeline fills on each job: `total_seconds`,
`stage_timings`, `speech_provider`, `error_code`. Percentiles are continuous (linear
interpolation, as PostgreSQL's percentile_cont): computed in the database on PostgreSQL and in
Python elsewhere, with the same results.
"""
from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ai_studio.models import GeneratedVideo, JobStatus, VariantGroup, VideoGenerationJob
from ai_studio.selectors.variant_groups import groups_with_variants
from campaigns.models import Campaign
from reelmate.broker import broker_client, queue_depth
from reelmate.celery import app as celery_app

from . import ab_testing
from .models import DailyViewer, ShareLink, VideoDailyStats

logger = logging.getLogger(__name__)

DEFAULT_PERIOD_DAYS = 30
TOP_CAMPAIGN_VIDEOS = 5
CAMPAIGN_VARIANT_GROUPS = 10
DASHBOARD_VARIANT_GROUPS = 10
CELERY_QUEUES = ("render", "default")

_SUMMED_COUNTERS = ("views", "plays", "watch_seconds", "completes", "cta_clicks", "shares", "downloads")


@dataclass(frozen=True)
class Period:
    """Inclusive range of UTC days."""

    start: date
    end: date

    @classmethod
    def ending_today(cls, days: int = DEFAULT_PERIOD_DAYS) -> Period:
        today = timezone.localdate()
        return cls(start=today - timedelta(days=days - 1), end=today)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range((self.end - self.start).days + 1)]


# --- Sharing ----------------------------------------------------------------------------------
def active_share_link(*, token: str) -> ShareLink | None:
    return (ShareLink.objects.select_related("video", "video__campaign")
            .filter(token=token, revoked_at__isnull=True).first())


def video_ids_for_share_tokens(tokens: set[str]) -> dict:
    """Active tokens → their video's id; unknown and revoked tokens are left out."""
    if not tokens:
        return {}
    return dict(ShareLink.objects.filter(token__in=tokens, revoked_at__isnull=True).values_list("token", "video_id"))


def owned_video_ids(*, owner, video_ids: set) -> set:
    if not video_ids:
        return set()
    return set(GeneratedVideo.objects.filter(owner=owner, pk__in=video_ids).values_list("pk", flat=True))


# --- Audience reports -------------------------------------------------------------------------
def _percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def _audience_metrics(sums: dict, unique_viewers: int) -> dict:
    """Counter sums (plus the watchable seconds: viewer-days x duration) → the reported metrics."""
    views, plays = sums.get("views") or 0, sums.get("plays") or 0
    completes, cta_clicks = sums.get("completes") or 0, sums.get("cta_clicks") or 0
    watch_seconds = sums.get("watch_seconds") or 0.0
    return {
        "views": views,
        "unique_viewers": unique_viewers,
        "plays": plays,
        "watch_seconds": round(watch_seconds, 2),
        "average_percent_watched": _percent(watch_seconds, sums.get("watchable_seconds") or 0.0),
        "completes": completes,
        "completion_rate_percent": _percent(completes, plays),
        "cta_clicks": cta_clicks,
        "click_through_rate_percent": _percent(cta_clicks, views),
        "shares": sums.get("shares") or 0,
        "downloads": sums.get("downloads") or 0,
    }


def _counter_sums() -> dict:
    sums = {name: Sum(name) for name in _SUMMED_COUNTERS}
    sums["watchable_seconds"] = Sum(F("unique_viewers") * F("video__duration_seconds"), output_field=FloatField())
    return sums


def _in_period(queryset: QuerySet, period: Period | None) -> QuerySet:
    return queryset if period is None else queryset.filter(date__range=(period.start, period.end))


def viewer_rows_kept_from() -> date:
    """The first day whose per-viewer rows are kept (ANALYTICS_VIEWER_RETENTION_DAYS); earlier ones are pruned."""
    return timezone.localdate() - timedelta(days=settings.ANALYTICS_VIEWER_RETENTION_DAYS)


def _unique_viewers(videos: QuerySet, period: Period | None, by: str | None = None) -> int | Counter:
    """Unique viewers of `videos` in the period, in total or per `by` ("date" or "video").

    Distinct across days and videos where the per-viewer rows are kept; days before
    `viewer_rows_kept_from()` add their daily rollups' unique viewers (a viewer who came back on
    another of those days, or watched another of the videos, counts again there).
    """
    kept_from = viewer_rows_kept_from()
    rows = _in_period(DailyViewer.objects.filter(video__in=videos, date__gte=kept_from), period)
    rollups = _in_period(VideoDailyStats.objects.filter(video__in=videos, date__lt=kept_from), period)
    if by is None:
        return (rows.values("viewer_hash").distinct().count()
                + (rollups.aggregate(viewers=Sum("unique_viewers"))["viewers"] or 0))
    counts = Counter(dict(rows.values(by).annotate(viewers=Count("viewer_hash", distinct=True))
                          .order_by().values_list(by, "viewers")))
    counts.update(dict(rollups.values(by).annotate(viewers=Sum("unique_viewers")).order_by()
                       .values_list(by, "viewers")))
    return counts


def audience_totals(*, videos: QuerySet, period: Period | None = None) -> dict:
    """Totals over `videos` (all time when `period` is None); viewers are distinct across them all."""
    sums = _in_period(VideoDailyStats.objects.filter(video__in=videos), period).aggregate(**_counter_sums())
    return _audience_metrics(sums, _unique_viewers(videos, period))


def audience_daily(*, videos: QuerySet, period: Period) -> list[dict]:
    """One entry per day of the period, days without events included (as zeros)."""
    sums_by_day = {row["date"]: row for row in _in_period(VideoDailyStats.objects.filter(video__in=videos), period)
                   .values("date").annotate(**_counter_sums()).order_by()}
    viewers_by_day = _unique_viewers(videos, period, by="date")
    return [{"date": day, **_audience_metrics(sums_by_day.get(day, {}), viewers_by_day.get(day, 0))}
            for day in period.days()]


def video_report(*, video: GeneratedVideo, period: Period) -> dict:
    videos = GeneratedVideo.objects.filter(pk=video.pk)
    return {
        "video": video,
        "period": period,
        "totals": audience_totals(videos=videos, period=period),
        "daily": audience_daily(videos=videos, period=period),
    }


def campaign_report(*, campaign: Campaign, period: Period, top: int = TOP_CAMPAIGN_VIDEOS) -> dict:
    # Owner too: a campaign handed to another user by staff does not carry its old owner's videos.
    videos = GeneratedVideo.objects.filter(campaign=campaign, owner_id=campaign.owner_id)
    return {
        "campaign": campaign,
        "period": period,
        "totals": audience_totals(videos=videos, period=period),
        "daily": audience_daily(videos=videos, period=period),
        "top_videos": top_videos_by_views(videos=videos, period=period, limit=top),
        # A/B results are over each group's whole life, as GET /api/analytics/variant-groups/:id has them.
        "variant_groups": variant_group_summaries(VariantGroup.objects.filter(
            campaign=campaign, owner_id=campaign.owner_id).order_by("-created_at")[:CAMPAIGN_VARIANT_GROUPS]),
    }


def audience_by_video(*, videos: QuerySet, period: Period | None = None) -> dict:
    """Each of `videos`' audience metrics in the period (all time when None), by video id; videos
    without events are left out."""
    stats = _in_period(VideoDailyStats.objects.filter(video__in=videos), period)
    sums_by_video = {row["video"]: row for row in stats.values("video").annotate(**_counter_sums()).order_by()}
    viewers_by_video = _unique_viewers(videos, period, by="video")
    return {video_id: _audience_metrics(sums, viewers_by_video.get(video_id, 0))
            for video_id, sums in sums_by_video.items()}


def top_videos_by_views(*, videos: QuerySet, period: Period, limit: int) -> list[dict]:
    """The most viewed of `videos` in the period (ties: most plays, then newest), with their totals."""
    metrics = audience_by_video(videos=videos, period=period)
    empty = _audience_metrics({}, 0)
    ranked = sorted(videos.order_by("-created_at"), key=lambda video: (
        -metrics.get(video.pk, empty)["views"], -metrics.get(video.pk, empty)["plays"]))
    return [{"video": video, **metrics.get(video.pk, empty)} for video in ranked[:limit]]


# --- Variant groups (A/B results) ------------------------------------------------------------
def variant_group_report(*, group: VariantGroup) -> dict:
    """Each variant's audience over all time (its video's: none yet counts as zero), its active share
    link, and the comparison on CTA click-through (``analytics.ab_testing``: method and thresholds).
    `group` should come with its variants, jobs and videos (``groups_with_variants``)."""
    variants = list(group.variants.all())
    video_for = {variant.pk: _variant_video(variant) for variant in variants}
    video_ids = {video.pk for video in video_for.values() if video is not None}
    videos = GeneratedVideo.objects.filter(pk__in=video_ids, owner_id=group.owner_id)
    metrics = audience_by_video(videos=videos)
    links = dict(ShareLink.objects.filter(video__in=videos, revoked_at__isnull=True).values_list("video_id", "token"))
    empty = _audience_metrics({}, 0)
    rows = []
    for variant in variants:
        video = video_for[variant.pk]
        rows.append({"variant": variant, "job": variant.job, "video": video,
                     "share_token": links.get(video.pk) if video else None,
                     **(metrics.get(video.pk, empty) if video else empty)})
    comparison = ab_testing.compare([ab_testing.Arm(key=row["variant"].pk, views=row["views"],
                                                    clicks=row["cta_clicks"]) for row in rows])
    by_key = {arm.key: arm for arm in comparison.arms}
    for row in rows:
        row["posterior"] = by_key[row["variant"].pk]
    return {"group": group, "variants": rows, "comparison": comparison,
            "labels": {variant.pk: variant.label for variant in variants}}


def _variant_video(variant) -> GeneratedVideo | None:
    job = variant.job
    return getattr(job, "video", None) if job is not None and job.status == JobStatus.COMPLETED else None


def variant_group_summaries(groups: QuerySet) -> list[dict]:
    """One line per group: its variants, views, and the comparison's verdict (as the group report has it)."""
    summaries = []
    for group in (groups_with_variants().filter(pk__in=groups.values("pk"))
                  .select_related("owner", "campaign").order_by("-created_at")):
        report = variant_group_report(group=group)
        comparison = report["comparison"]
        summaries.append({
            "group": group, "variants": len(report["variants"]),
            "views": sum(row["views"] for row in report["variants"]),
            "cta_clicks": sum(row["cta_clicks"] for row in report["variants"]),
            "status": comparison.status, "reason": comparison.reason,
            "leader": report["labels"].get(comparison.leader) if comparison.leader is not None else None,
        })
    return summaries


# --- Generation metrics -----------------------------------------------------------------------
class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile (linear interpolation between the closest ranks)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("a percentile fraction is between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """The same interpolation as percentile_cont, for databases without it."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def generation_time_percentiles(jobs: QuerySet) -> dict:
    """Median and p95 of total generation time (seconds) over the jobs that have one."""
    timed = jobs.filter(total_seconds__isnull=False)
    if connection.vendor == "postgresql":
        row = timed.aggregate(p50=PercentileCont("total_seconds", 0.5), p95=PercentileCont("total_seconds", 0.95))
        p50, p95 = row["p50"], row["p95"]
    else:
        values = sorted(timed.values_list("total_seconds", flat=True))
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    return {"median_seconds": _rounded(p50), "p95_seconds": _rounded(p95)}


def generation_time_percentiles_by_day(jobs: QuerySet) -> dict[date, dict]:
    """`generation_time_percentiles` per day of job creation."""
    timed = jobs.filter(total_seconds__isnull=False).annotate(day=TruncDate("created_at"))
    if connection.vendor == "postgresql":
        rows = timed.values("day").annotate(p50=PercentileCont("total_seconds", 0.5),
                                            p95=PercentileCont("total_seconds", 0.95)).order_by()
        return {row["day"]: {"median_seconds": _rounded(row["p50"]), "p95_seconds": _rounded(row["p95"])}
                for row in rows}
    values_by_day: dict[date, list[float]] = defaultdict(list)
    for day, seconds in timed.values_list("day", "total_seconds"):
        values_by_day[day].append(seconds)
    return {day: {"median_seconds": _rounded(percentile(sorted(values), 0.5)),
                  "p95_seconds": _rounded(percentile(sorted(values), 0.95))}
            for day, values in values_by_day.items()}


def jobs_by_status(jobs: QuerySet) -> dict[str, int]:
    counts = dict(jobs.values("status").annotate(n=Count("pk")).order_by().values_list("status", "n"))
    return {status: counts.get(status, 0) for status in JobStatus.values}


def failure_reasons(jobs: QuerySet, *, limit: int = 8) -> list[dict]:
    rows = (jobs.filter(status=JobStatus.FAILED).values("error_code").annotate(count=Count("pk"))
            .order_by("-count", "error_code")[:limit])
    return [{"code": row["error_code"] or "unknown", "count": row["count"]} for row in rows]


def generation_metrics(jobs: QuerySet) -> dict:
    by_status = jobs_by_status(jobs)
    finished = by_status[JobStatus.COMPLETED] + by_status[JobStatus.FAILED]
    completed = jobs.filter(status=JobStatus.COMPLETED)
    stage_seconds: dict[str, list[float]] = defaultdict(list)
    for timings in completed.exclude(stage_timings={}).values_list("stage_timings", flat=True):
        for stage, seconds in timings.items():
            stage_seconds[stage].append(seconds)
    providers = (completed.exclude(speech_provider="").values("speech_provider").annotate(n=Count("pk"))
                 .order_by().values_list("speech_provider", "n"))
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        # canceled, queued and processing jobs have no outcome yet (or were withdrawn): not counted
        "success_rate_percent": _percent(by_status[JobStatus.COMPLETED], finished) if finished else None,
        **generation_time_percentiles(completed),
        "stage_median_seconds": {stage: round(median(values), 2) for stage, values in sorted(stage_seconds.items())},
        "speech_providers": dict(sorted(providers)),
        "failure_reasons": failure_reasons(jobs),
    }


def owner_overview(*, owner) -> dict:
    videos = GeneratedVideo.objects.filter(owner=owner)
    video_seconds = videos.aggregate(seconds=Sum("duration_seconds"))["seconds"] or 0.0
    return {
        "videos_generated": videos.count(),
        "minutes_of_video": round(video_seconds / 60, 2),
        "generation": generation_metrics(VideoGenerationJob.objects.filter(owner=owner)),
        "audience": audience_totals(videos=videos),
    }


# --- Staff dashboard --------------------------------------------------------------------------
def celery_queue_depths() -> dict[str, int] | None:
    """Messages waiting per Celery queue; None when the broker is not Redis (nothing to ask)."""
    client = broker_client()
    if client is None:
        return None
    try:
        return {queue: queue_depth(client, queue) for queue in CELERY_QUEUES}
    except redis.RedisError:
        logger.warning("could not read Celery queue depths", exc_info=True)
        return None


def active_worker_count() -> int | None:
    """Workers answering a ping within half a second; None when the broker cannot broadcast."""
    try:
        replies = celery_app.control.inspect(timeout=0.5).ping()
    except Exception:  # the filesystem broker has no broadcast; an unreachable broker raises too
        logger.info("could not ping Celery workers", exc_info=True)
        return None
    return len(replies or {})


def staff_dashboard(*, days: int = 14) -> dict:
    period = Period.ending_today(days)
    jobs = VideoGenerationJob.objects.filter(created_at__date__range=(period.start, period.end))
    jobs_per_day: dict[date, dict[str, int]] = defaultdict(dict)
    for day, status, count in (jobs.annotate(day=TruncDate("created_at")).values("day", "status")
                               .annotate(n=Count("pk")).order_by().values_list("day", "status", "n")):
        jobs_per_day[day][status] = count
    top_videos = (_in_period(VideoDailyStats.objects.all(), period).values("video", "video__title")
                  .annotate(views=Sum("views")).filter(views__gt=0).order_by("-views", "video__title")[:10])
    return {
        "period": period,
        "jobs_per_day": [{"date": day, **{status: jobs_per_day[day].get(status, 0) for status in JobStatus.values}}
                         for day in period.days()],
        "generation_time_per_day": generation_time_percentiles_by_day(jobs.filter(status=JobStatus.COMPLETED)),
        "failure_reasons": failure_reasons(jobs),
        "queue_depths": celery_queue_depths(),
        "active_workers": active_worker_count(),
        "top_videos": [{"title": row["video__title"] or f"Video {row['video']}", "views": row["views"]}
                       for row in top_videos],
        "variant_groups": variant_group_summaries(
            VariantGroup.objects.order_by("-created_at")[:DASHBOARD_VARIANT_GROUPS]),
    }
