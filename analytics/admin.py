from django.contrib import admin

from reelmate.admin_mixins import ReadOnlyAdminMixin

from .models import ShareLink, VideoDailyStats


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ["token", "video", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["token", "video__title", "video__owner__email"]
    list_select_related = ["video"]
    readonly_fields = ["video", "token", "created_at"]

    def has_add_permission(self, request):
        return False  # links are created by their owners through the API


@admin.register(VideoDailyStats)
class VideoDailyStatsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the rollups are written only by event ingest."""

    list_display = ["video", "date", "views", "unique_viewers", "plays", "completes", "cta_clicks", "downloads"]
    list_filter = ["date"]
    search_fields = ["video__title"]
    list_select_related = ["video"]
    date_hierarchy = "date"
