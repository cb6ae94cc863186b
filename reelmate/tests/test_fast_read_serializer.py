"""FastReadModelSerializer renders exactly what DRF's ModelSerializer renders, for less."""
from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from reelmate.api.serializers import FastReadModelSerializer

FIELDS = ("id", "email", "is_active", "date_joined", "last_login")


class PlainUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = FIELDS


class FastUserSerializer(FastReadModelSerializer):
    class Meta:
        model = User
        fields = FIELDS


class FastUserInParisSerializer(FastReadModelSerializer):
    """A field with a time zone of its own is rendered by DRF's code."""

    date_joined = serializers.DateTimeField(default_timezone=zoneinfo.ZoneInfo("Europe/Paris"))

    class Meta:
        model = User
        fields = FIELDS


class PlainUserInParisSerializer(serializers.ModelSerializer):
    date_joined = serializers.DateTimeField(default_timezone=zoneinfo.ZoneInfo("Europe/Paris"))

    class Meta:
        model = User
        fields = FIELDS


MOMENTS = [
    datetime.datetime(2026, 12, 3, 9, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 3, 9, 30, 5, 123456, tzinfo=datetime.UTC),
    datetime.datetime(2026, 6, 1, 23, 59, 59, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
    datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=45))),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
@pytest.mark.parametrize("current_zone", ["UTC", "Asia/Tokyo"])
@pytest.mark.parametrize(("fast", "plain"), [(FastUserSerializer, PlainUserSerializer),
                                             (FastUserInParisSerializer, PlainUserInParisSerializer)])
def test_datetimes_render_as_drf_renders_them(moment, current_zone, fast, plain):
    user = User(id=7, email="someone@example.com", is_active=True, date_joined=moment, last_login=None)
    with timezone.override(zoneinfo.ZoneInfo(current_zone)):
        assert fast(user).data == plain(user).data
