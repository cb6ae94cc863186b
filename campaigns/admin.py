from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html

from reelmate.images import validate_image_upload

from . import selectors, services
from .models import Campaign


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


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Browsable per owner: filter by owner, or follow an owner link in the list."""

    form = CampaignAdminForm
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
