"""Reads of batches: counts by status, progress and an estimated finish, computed from the jobs.

Counts are read, not stored: one grouped query over the batches of a page (index ``job_batch_status``),
so they can never drift from the jobs.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, F, QuerySet, Sum
from django.utils import timezone

from ai_studio.models import GenerationBatch, JobStatus, VideoGenerationJob

FINAL = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED)


@dataclass(frozen=True)
class BatchProgress:
    counts: dict[str, int]  # every JobStatus, 0 when none
    progress: int  # percent: finished jobs, plus the progress of those rendering
    estimated_finish_at: datetime | None  # None when finished, or before any job completed


def batches_with_relations() -> QuerySet[GenerationBatch]:
    return GenerationBatch.objects.select_related("template", "campaign", "owner__user_plan__plan")


def batch_jobs(batch: GenerationBatch) -> QuerySet[VideoGenerationJob]:
    return VideoGenerationJob.objects.filter(batch=batch).select_related(
        "avatar", "voice", "campaign", "music", "video").order_by("batch_row")


def progress_of(batches: list[GenerationBatch]) -> dict:
    """Each batch's `BatchProgress`, by id, in two queries whatever the number of batches."""
    ids = [batch.pk for batch in batches]
    counts: dict = defaultdict(lambda: {status: 0 for status in JobStatus.values})
    rendering: dict = defaultdict(int)
    for row in (VideoGenerationJob.objects.filter(batch_id__in=ids).order_by().values("batch_id", "status")
                .annotate(jobs=Count("pk"), progress=Sum("progress"))):
        counts[row["batch_id"]][row["status"]] = row["jobs"]
        if row["status"] == JobStatus.PROCESSING:
            rendering[row["batch_id"]] = row["progress"] or 0
    durations = dict(VideoGenerationJob.objects.filter(batch_id__in=ids, status=JobStatus.COMPLETED)
                     .order_by().values("batch_id").annotate(seconds=Avg(F("completed_at") - F("started_at")))
                     .values_list("batch_id", "seconds"))
    now = timezone.now()
    return {batch.pk: _progress(batch, counts[batch.pk], rendering[batch.pk], durations.get(batch.pk), now)
            for batch in batches}


def _progress(batch: GenerationBatch, counts: dict, rendering_percent: int, job_time: timedelta | None,
              now: datetime) -> BatchProgress:
    total = sum(counts.values()) or 1
    finished = sum(counts[status] for status in FINAL)
    progress = math.floor(100 * (finished + rendering_percent / 100) / total)
    unfinished = counts[JobStatus.QUEUED] + counts[JobStatus.PROCESSING]
    estimate = None
    if unfinished and job_time is not None:
        # The owner's jobs run max_in_flight at a time: that many finish per average job time.
        user_plan = getattr(batch.owner, "user_plan", None)
        slots = max(min(user_plan.plan.max_in_flight if user_plan else 1, unfinished), 1)
        estimate = now + job_time * math.ceil(unfinished / slots)
    return BatchProgress(dict(counts), min(progress, 100), estimate)
