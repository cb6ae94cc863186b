"""Sharing and audience analytics: public share links and per-video daily rollups.

Player events are not stored one row each: they are folded into `VideoDailyStats` (one row per
video and day, incremented atomically) and `DailyViewer` (one row per distinct viewer, video and
day, which makes unique-viewer counts exact). See `analytics.services` for how events get there.
"""
from __future__ import annotations

import secrets

from django.db import models


def new_share_token() -> str:
    """32 URL-safe characters from 24 random bytes: unguessable (192 bits)."""
    return secrets.token_urlsafe(24)


class ShareLink(models.Model):
    video = models.ForeignKey("ai_studio.GeneratedVideo", on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=new_share_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["video"], condition=models.Q(revoked_at__isnull=True),
                                    name="sharelink_one_active_per_video"),
        ]

    def __str__(self) -> str:
        return f"/v/{self.token}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class EventType(models.TextChoices):
    VIEW = "view"
    PLAY = "play"
    PROGRESS = "progress"
    COMPLETE = "complete"
    CTA_CLICK = "cta_click"
    SHARE = "share"
    DOWNLOAD = "download"


class VideoDailyStats(models.Model):
    video = models.ForeignKey("ai_studio.GeneratedVideo", on_delete=models.CASCADE, related_name="daily_stats")
    date = models.DateField()
    views = models.PositiveIntegerField(default=0)
    plays = models.PositiveIntegerField(default=0)
    unique_viewers = models.PositiveIntegerField(default=0)
    # Sum over this day's viewers of the furthest position each reached (see analytics.services).
    watch_seconds = models.FloatField(default=0)
    completes = models.PositiveIntegerField(default=0)
    cta_clicks = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["video", "date"]
        verbose_name_plural = "video daily stats"
        constraints = [models.UniqueConstraint(fields=["video", "date"], name="videodailystats_unique_video_date")]
        indexes = [models.Index(fields=["date"], name="videodailystats_date")]

    def __str__(self) -> str:
        return f"{self.video_id} on {self.date}"


class DailyViewer(models.Model):
    """One distinct viewer of a video on a day, and how far into the video they got."""

    video = models.ForeignKey("ai_studio.GeneratedVideo", on_delete=models.CASCADE, related_name="daily_viewers")
    date = models.DateField()
    viewer_hash = models.CharField(max_length=32)
    max_position_seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["video", "date", "viewer_hash"], name="dailyviewer_unique_viewer_day"),
        ]
        indexes = [models.Index(fields=["date"], name="dailyviewer_date")]  # pruning by age

    def __str__(self) -> str:
        return f"{self.viewer_hash} on {self.date}"


class ProcessedEventBatch(models.Model):
    """Marks a buffered batch as applied, in the same transaction that applies it.

    A flusher that crashes after committing but before deleting the batch from Redis leaves it
    behind; the next flusher finds this marker and drops the batch instead of counting it twice.
    """

    batch_id = models.CharField(max_length=32, primary_key=True)
    event_count = models.PositiveIntegerField()
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.batch_id
