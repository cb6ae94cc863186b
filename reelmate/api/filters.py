from datetime import UTC, date, timedelta

import django_filters
from django import forms
from rest_framework.filters import OrderingFilter


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
