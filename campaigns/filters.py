"""Query-string filters for the campaign list and a campaign's media library."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django.utils import timezone

from reelmate.api.filters import SafeDateFilter
from reelmate.queries import json_list_contains

from .models import Campaign, CampaignMedia, CampaignStatus, MediaKind, Objective, Platform


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CampaignStatus.choices,
                                                 help_text="Repeat to match any of several statuses.")
    objective = django_filters.ChoiceFilter(choices=Objective.choices)
    platform = django_filters.ChoiceFilter(choices=Platform.choices, method="filter_platform",
                                           help_text="Campaigns that run on this platform.")
    tag = django_filters.CharFilter(method="filter_tag", help_text="Campaigns with this tag (tags are lower case).")
    created_after = SafeDateFilter(method="filter_created_after",
                                              help_text="Created on or after (UTC date).")
    created_before = SafeDateFilter(method="filter_created_before",
                                               help_text="Created on or before (UTC date).")
    start_after = SafeDateFilter(field_name="start_date", lookup_expr="gte",
                                            help_text="Starting on or after this date.")
    start_before = SafeDateFilter(field_name="start_date", lookup_expr="lte",
                                             help_text="Starting on or before this date.")

    class Meta:
        model = Campaign
        fields = ["status", "objective"]

    def filter_platform(self, queryset, name, value):
        return json_list_contains(queryset, "platforms", value)

    def filter_tag(self, queryset, name, value):
        return json_list_contains(queryset, "tags", " ".join(value.split()).lower())

    # Whole-day bounds on the timestamp itself (not on its date), so the created_at index is usable.
    def filter_created_after(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of_day(value))

    def filter_created_before(self, queryset, name, value):
        return queryset.filter(created_at__lt=_start_of_day(value + timedelta(days=1)))


def _start_of_day(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class CampaignMediaFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=MediaKind.choices, help_text="Only images, or only video clips.")

    class Meta:
        model = CampaignMedia
        fields = ["kind"]
