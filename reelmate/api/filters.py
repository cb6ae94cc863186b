from datetime import UTC, date, timedelta

import django_filters
from django import forms
from django_filters import rest_framework as django_filters_drf
from rest_framework.filters import OrderingFilter


class DjangoFilterBackend(django_filters_drf.DjangoFilterBackend):
    """django-filter's backend, which a request without a query string skips: building and validating
    a FilterSet's form for nothing cost ~7% of a page of jobs, and an unfiltered first page is what
    clients poll. (With no parameters every filter is empty and filters nothing, unless it is
    required: then the FilterSet runs, to refuse the request as before.)"""

    def filter_queryset(self, request, queryset, view):
        if not request.query_params:
            filterset_class = self.get_filterset_class(view, queryset)
            if filterset_class is None or not any(
                    filter_.extra.get("required") for filter_ in filterset_class.base_filters.values()):
                return queryset
        return super().filter_queryset(request, queryset, view)


class StableOrderingFilter(OrderingFilter):
    """Orders as asked, then by id, so that equal values never shuffle rows between pages."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            last_descending = bool(ordering) and ordering[-1].startswith("-")
            ordering.append("-id" if last_descending else "id")
        return ordering


class IdFilter(django_filters.NumberFilter):
    """A database id in a query string: a whole number the database can hold (else a 400)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)
        self.field_class = forms.IntegerField


_FIRST_SAFE_DAY, _LAST_SAFE_DAY = date.min + timedelta(days=400), date.max - timedelta(days=400)


def _check_safe_day(day: date) -> None:
    """Far enough from the calendar's ends that a day (or a time zone) more or less still exists."""
    if not _FIRST_SAFE_DAY <= day <= _LAST_SAFE_DAY:
        raise forms.ValidationError("Enter a date between the years 2 and 9998.")


class SafeDateField(forms.DateField):
    def to_python(self, value):
        day = super().to_python(value)
        if day is not None:
            _check_safe_day(day)
        return day


class SafeDateFilter(django_filters.DateFilter):
    field_class = SafeDateField


class SafeIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None:
            _check_safe_day(moment.date())
            # In UTC: ISO 8601 allows offsets up to ±23:59, PostgreSQL only up to ±15:59.
            moment = moment.astimezone(UTC)
        return moment


class SafeIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = SafeIsoDateTimeField
