from django import forms
from django.contrib import admin, messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html

from reelmate.errors import Conflict
from reelmate.images import validate_image_upload
from reelmate.storage import presigned_url

from . import selectors, services
from .models import Campaign, CampaignMedia, MediaKind


class CampaignAdminForm(forms.ModelForm):
    call_to_action_url = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Campaign
        fields = "__all__"

    def clean_brand_logo(self):
        logo = self.cleaned_data.get("brand_logo")
        if isinstance(logo, UploadedFile):  # a new upload (not the stored file, not a "clear")
            info = validate_image_upload(logo)
            logo.name = info.storage_name()
        return logo

    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.instance.pk and not self.instance.can_transition_to(status):
            allowed = ", ".join(services.allowed_next_statuses(self.instance))
            raise forms.ValidationError(f"From {self.instance.status} a campaign can go to: {allowed}.")
        return status


# --- media libraries --------------------------------------------------------------------------
def media_thumbnail(media: CampaignMedia) -> str:
    if not media.thumbnail:
        return "—"
    return format_html('<img src="{}" alt="" style="height:56px;border-radius:6px">',
                       presigned_url(media.thumbnail.name))


def media_player(media: CampaignMedia) -> str:
    """The file itself: an image, or a clip to play (muted, as reels show it)."""
    if media.kind == MediaKind.VIDEO:
        poster = presigned_url(media.thumbnail.name) if media.thumbnail else ""
        return format_html('<video src="{}" poster="{}" controls muted preload="metadata" style="max-height:360px">'
                           '</video>', presigned_url(media.file.name), poster)
    return format_html('<img src="{}" alt="" style="max-height:360px;border-radius:8px">',
                       presigned_url(media.file.name))


def media_summary(media: CampaignMedia) -> str:
    """``1080x1920, 14.5 s, 17.4 MB``: what a marketer would check before using it."""
    facts = [f"{media.width}x{media.height}"]
    if media.duration_seconds is not None:
        facts.append(f"{media.duration_seconds:.1f} s")
    facts.append(f"{media.size_bytes / 1024 / 1024:.1f} MB")
    return ", ".join(facts)


class MediaDisplay:
    """The read-only columns the media list and the campaign's media inline share."""

    @admin.display(description="")
    def preview(self, media: CampaignMedia) -> str:
        return media_thumbnail(media)

    @admin.display(description="Size")
    def summary(self, media: CampaignMedia) -> str:
        return media_summary(media)


class CampaignMediaInline(MediaDisplay, admin.TabularInline):
    model = CampaignMedia
    fields = ("preview", "name", "kind", "content_type", "summary", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False  # deleting goes through the media list: it refuses media a running job needs
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # users upload through the API, where the file is checked


@admin.register(CampaignMedia)
class CampaignMediaAdmin(MediaDisplay, admin.ModelAdmin):
    """Every campaign's media library; an item a queued or processing job needs cannot be deleted."""

    list_display = ("preview", "name", "kind", "campaign", "owner", "summary", "created_at")
    list_display_links = ("preview", "name")
    list_filter = ("kind", "created_at")
    search_fields = ("id", "name", "campaign__name", "campaign__owner__email")
    list_select_related = ("campaign__owner",)
    date_hierarchy = "created_at"
    fields = ("player", "name", "kind", "campaign", "content_type", "summary", "file", "created_at")
    readonly_fields = fields
    actions = ["delete_unused_media"]

    @admin.display(description="Owner", ordering="campaign__owner__email")
    def owner(self, media: CampaignMedia) -> str:
        return media.campaign.owner.email

    @admin.display(description="Preview")
    def player(self, media: CampaignMedia) -> str:
        return media_player(media)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would skip the service's in-use check and leave the files
        return actions

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not selectors.media_in_use([obj.pk]))

    def delete_model(self, request, media: CampaignMedia) -> None:
        services.delete_media(media)

    @admin.action(description="Delete selected media (those no unfinished job needs)", permissions=["delete"])
    def delete_unused_media(self, request, queryset: QuerySet) -> None:
        deleted = kept = 0
        for media in queryset:
            try:
                services.delete_media(media)
                deleted += 1
            except Conflict:
                kept += 1
        self.message_user(request, f"{deleted} deleted.", messages.SUCCESS)
        if kept:
            self.message_user(request, f"{kept} kept: queued or processing jobs need them.", messages.WARNING)


# --- campaigns --------------------------------------------------------------------------------
@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Browsable per owner: filter by owner, or follow an owner link in the list. Its media library
    shows inline."""

    form = CampaignAdminForm
    inlines = [CampaignMediaInline]
    list_display = ("name", "owner_link", "status", "objective", "start_date", "end_date", "videos", "jobs",
                    "created_at")
    list_filter = ("status", "objective", ("owner", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("name", "description", "brand_name", "product_name", "owner__email", "owner__name")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at", "videos", "jobs")
    show_facets = admin.ShowFacets.NEVER  # facet counts cost a query per filter option

    def get_queryset(self, request) -> QuerySet:
        return selectors.with_stats(super().get_queryset(request))

    @admin.display(description="Owner", ordering="owner__email")
    def owner_link(self, campaign: Campaign) -> str:
        url = reverse("admin:campaigns_campaign_changelist") + f"?owner__id__exact={campaign.owner_id}"
        return format_html('<a href="{}" title="All campaigns of this owner">{}</a>', url, campaign.owner.email)

    @admin.display(description="Videos", ordering="videos_count")
    def videos(self, campaign: Campaign) -> int:
        return selectors.campaign_stats(campaign)["videos"]

    @admin.display(description="Jobs", ordering="jobs_total")
    def jobs(self, campaign: Campaign) -> int:
        return selectors.campaign_stats(campaign)["jobs"]["total"]
