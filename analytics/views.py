"""Server-rendered pages: the public share page (and its stable asset URLs) and the staff dashboard."""
from __future__ import annotations

import re

from django.contrib import admin
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ai_studio.models import JobStatus
from reelmate.public_urls import public_url
from reelmate.storage import presigned_url

from . import charts, selectors
from .models import ShareLink

STATUS_COLORS = {
    JobStatus.QUEUED: "#9ca3af",
    JobStatus.PROCESSING: "#3b82f6",
    JobStatus.COMPLETED: "#16a34a",
    JobStatus.FAILED: "#dc2626",
    JobStatus.CANCELED: "#f59e0b",
}


DEFAULT_BRAND_COLOR = "#ff5a1f"


def _brand_color(campaign) -> str:
    """The campaign's colour, only if it is a plain #RRGGBB (it lands inside a <style> block)."""
    color = campaign.brand_primary_color if campaign else ""
    return color if re.fullmatch(r"#[0-9A-Fa-f]{6}", color or "") else DEFAULT_BRAND_COLOR


def _active_link_or_404(token: str) -> ShareLink:
    link = selectors.active_share_link(token=token)
    if link is None:
        raise Http404("no such share link")
    return link


# --- Public share page ------------------------------------------------------------------------
@require_safe
@never_cache  # the page embeds presigned URLs that expire
def share_page(request, token: str):
    link = selectors.active_share_link(token=token)
    if link is None:
        return render(request, "analytics/share_not_found.html", status=404)
    video, campaign = link.video, link.video.campaign
    title = video.title or "A video made with ReelMate"
    context = {
        "video": video,
        "title": title,
        # Only what the owner chose to publish: the title and the call to action (a campaign's
        # description is an internal brief, not copy for strangers).
        "description": Truncator(" — ".join(filter(None, [f"Watch {title}", campaign and campaign.call_to_action])))
        .chars(200),
        "campaign": campaign,
        "brand_color": _brand_color(campaign),
        "page_url": public_url(reverse("share-page", args=[token])),
        # Fresh at every render and pointing at the storage itself, so the browser's Range
        # requests go straight to S3 (or to the local signed-file view, which answers them too).
        "video_url": presigned_url(video.video_key),
        "poster_url": presigned_url(video.thumbnail_key),
        "captions_url": reverse("share-captions", args=[token]) if video.captions_vtt_key else "",
        # Social crawlers keep URLs around: give them stable ones that redirect to fresh URLs.
        "og_image_url": public_url(reverse("share-thumbnail", args=[token])),
        "og_video_url": public_url(reverse("share-video", args=[token])),
        "player_config": {"token": token, "eventsUrl": reverse("analytics-events"), "progressEverySeconds": 5},
    }
    return render(request, "analytics/share_page.html", context)


@require_safe
def share_captions(request, token: str):
    """Served from our origin: a cross-origin <track> would need CORS on the bucket."""
    video = _active_link_or_404(token).video
    if not video.captions_vtt_key or not default_storage.exists(video.captions_vtt_key):
        raise Http404("no captions")
    with default_storage.open(video.captions_vtt_key, "rb") as captions:
        return HttpResponse(captions.read(), content_type="text/vtt; charset=utf-8")


@require_safe
def share_thumbnail(request, token: str):
    return HttpResponseRedirect(presigned_url(_active_link_or_404(token).video.thumbnail_key))


@require_safe
def share_video_file(request, token: str):
    return HttpResponseRedirect(presigned_url(_active_link_or_404(token).video.video_key))


# --- Staff dashboard (wrapped in admin.site.admin_view in reelmate/urls.py) ---------------------
def staff_dashboard(request):
    data = selectors.staff_dashboard()
    labels = [row["date"].strftime("%m-%d") for row in data["jobs_per_day"]]
    timing = [data["generation_time_per_day"].get(row["date"], {}) for row in data["jobs_per_day"]]
    queue_depths = data["queue_depths"]
    context = {
        **admin.site.each_context(request),
        "title": "Analytics dashboard",
        "period": data["period"],
        "active_workers": data["active_workers"],
        "queue_depths": queue_depths,
        "jobs_chart": charts.stacked_bar_chart(
            title="Generation jobs per day, by status", labels=labels, unit="jobs",
            series=[charts.Series(status.label, [row[status] for row in data["jobs_per_day"]], color)
                    for status, color in STATUS_COLORS.items()]),
        "timing_chart": charts.line_chart(
            title="Generation time per day (completed jobs)", labels=labels, unit="seconds",
            series=[charts.Series("p50", [day.get("median_seconds") for day in timing], "#2563eb"),
                    charts.Series("p95", [day.get("p95_seconds") for day in timing], "#dc2626")]),
        "failures_chart": charts.horizontal_bar_chart(
            title="Top failure reasons", color="#dc2626",
            items=[(reason["code"], reason["count"]) for reason in data["failure_reasons"]]),
        "queues_chart": None if queue_depths is None else charts.horizontal_bar_chart(
            title="Queue depth (messages waiting)", color="#f59e0b", items=list(queue_depths.items())),
        "top_videos_chart": charts.horizontal_bar_chart(
            title="Top videos by views", color="#16a34a",
            items=[(video["title"], video["views"]) for video in data["top_videos"]]),
        "variant_groups": data["variant_groups"],
    }
    return render(request, "admin/analytics/dashboard.html", context)
