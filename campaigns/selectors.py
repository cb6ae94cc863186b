"""Reads of campaigns: the owner's campaigns, with their video and job counts."""
from __future__ import annotations

import json

from django.db import connections
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce

from ai_studio.models import GeneratedVideo, JobStatus

from .models import Campaign

JOB_STATUS_COUNT_PREFIX = "jobs_"


def campaigns_for(user) -> QuerySet[Campaign]:
    """The user's campaigns (plain rows; use ``with_stats`` for the counts the API shows)."""
    return Campaign.objects.filter(owner=user)


def get_campaign_for(user, campaign_id) -> Campaign | None:
    """The user's campaign with this id, or None (also for someone else's campaign)."""
    return campaigns_for(user).filter(pk=campaign_id).first()


def with_stats(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Annotate each campaign with ``videos_count``, ``jobs_total`` and ``jobs_<status>`` counts.

    Jobs are counted over one join with a filtered COUNT per status; videos through a correlated
    subquery, so that joining both relations cannot multiply each other's rows. Either way a
    page of campaigns costs one query whatever its size.
    """
    videos = (
        GeneratedVideo.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(count=Count("pk"))
        .values("count")
    )
    per_status = {
        f"{JOB_STATUS_COUNT_PREFIX}{status}": Count("generation_jobs", filter=Q(generation_jobs__status=status))
        for status in JobStatus.values
    }
    return queryset.annotate(
        videos_count=Coalesce(Subquery(videos, output_field=IntegerField()), Value(0)),
        jobs_total=Count("generation_jobs"),
        **per_status,
    )


def campaign_stats(campaign: Campaign) -> dict:
    """The counts ``with_stats`` annotated, shaped for the API; zeros for an unannotated campaign."""
    return {
        "videos": getattr(campaign, "videos_count", 0),
        "jobs": {
            "total": getattr(campaign, "jobs_total", 0),
            **{status: getattr(campaign, f"{JOB_STATUS_COUNT_PREFIX}{status}", 0) for status in JobStatus.values},
        },
    }


def has_generation_history(campaign: Campaign) -> bool:
    """Whether any job or video points at the campaign (deleting it would detach them)."""
    return campaign.generation_jobs.exists() or campaign.generated_videos.exists()


def json_list_contains(queryset: QuerySet, field: str, value: str) -> QuerySet:
    """Rows whose JSON list ``field`` holds ``value``, on every database the project runs on.

    PostgreSQL (and MySQL) answer ``contains`` natively. SQLite has no JSON containment lookup,
    but stores the list as the text ``json.dumps`` wrote, so the quoted item is matched instead.
    """
    if connections[queryset.db].features.supports_json_field_contains:
        return queryset.filter(**{f"{field}__contains": [value]})
    alias = f"{field}_as_text"
    return queryset.alias(**{alias: Cast(field, TextField())}).filter(**{f"{alias}__contains": json.dumps(value)})
