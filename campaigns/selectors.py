"""Reads of campaigns: the owner's campaigns, with their video and job counts, and their media libraries."""
from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from ai_studio.models import GeneratedVideo, JobStatus

from .models import Campaign, CampaignMedia

JOB_STATUS_COUNT_PREFIX = "jobs_"
# A job in one of these states will still download its media (or is doing so).
UNFINISHED_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.PROCESSING)


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



# --- media libraries --------------------------------------------------------------------------
def media_for(user) -> QuerySet[CampaignMedia]:
    """The media in the user's campaigns, newest first."""
    return CampaignMedia.objects.filter(campaign__owner=user)


def media_in_use(media_ids) -> bool:
    """Whether a queued or processing job needs any of these media items for its render."""
    return CampaignMedia.objects.filter(pk__in=media_ids, generation_jobs__status__in=UNFINISHED_JOB_STATUSES).exists()
