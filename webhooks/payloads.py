"""What each event's ``data`` holds: plain JSON built from the rows, at the time of the event.

Media URLs are presigned (valid PRESIGNED_URL_EXPIRY seconds from the event, said in
``urls_expire_at``); the API (``status_url``, ``GET /api/ai-studio/generated-videos/:id``) gives
fresh ones at any time.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from ai_studio.models import GeneratedVideo, JobStatus, VideoGenerationJob
from reelmate.public_urls import public_url
from reelmate.storage import presigned_url


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def video(video: GeneratedVideo) -> dict:
    return {
        "id": str(video.pk), "title": video.title, "job_id": str(video.job_id) if video.job_id else None,
        "campaign_id": video.campaign_id, "duration_seconds": video.duration_seconds, "width": video.width,
        "height": video.height, "aspect_ratio": video.aspect_ratio, "size_bytes": video.size_bytes,
        "created_at": _iso(video.created_at),
        "api_url": public_url(reverse("generated-video-detail", kwargs={"pk": video.pk})),
        "urls": {"video": presigned_url(video.video_key), "thumbnail": presigned_url(video.thumbnail_key)},
        "urls_expire_at": _iso(timezone.now() + timedelta(seconds=settings.PRESIGNED_URL_EXPIRY)),
    }


def job(job: VideoGenerationJob) -> dict:
    try:
        made = job.video
    except ObjectDoesNotExist:
        made = None
    return {
        "job": {
            "id": str(job.pk), "status": job.status, "title": job.title, "campaign_id": job.campaign_id,
            "metadata": job.metadata,
            "error": {"code": job.error_code, "message": job.error_message} if job.error_code else None,
            "created_at": _iso(job.created_at), "completed_at": _iso(job.completed_at),
            "status_url": public_url(reverse("generation-status-detail", kwargs={"pk": job.pk})),
        },
        "video": video(made) if made is not None else None,
    }


def share(link) -> dict:
    return {
        "share": {"token": link.token, "url": public_url(f"/v/{link.token}"), "created_at": _iso(link.created_at)},
        "video": video(link.video),
    }


def batch(batch) -> dict:
    """A finished batch: its counts by status, and where to list its jobs and download its videos."""
    counts = dict(batch.jobs.values_list("status").annotate(n=Count("pk")).order_by())
    api_url = public_url(reverse("generation-batch-detail", kwargs={"pk": batch.pk}))
    return {
        "batch": {
            "id": str(batch.pk), "name": batch.name, "status": batch.status, "campaign_id": batch.campaign_id,
            "total_jobs": batch.total_jobs,
            "counts": {status: counts.get(status, 0) for status in JobStatus.values},
            "created_at": _iso(batch.created_at), "finished_at": _iso(batch.finished_at),
            "canceled_at": _iso(batch.canceled_at), "api_url": api_url,
            "jobs_url": f"{api_url}/jobs", "download_url": f"{api_url}/download",
        },
    }
