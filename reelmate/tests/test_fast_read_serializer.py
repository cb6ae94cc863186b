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


class NumberedChoiceSerializer(FastReadModelSerializer):
    """Values a field returns unchanged are not passed through its code, the others are."""

    email = serializers.ChoiceField(choices=[(1, "one"), (2, "two")])  # str(value) may turn into an int
    name = serializers.ChoiceField(choices=["Ann", "Bob"])
    password = serializers.CharField()
    is_active = serializers.IntegerField()  # a bool is not an int here: int(True) is 1

    class Meta:
        model = User
        fields = ("id", "email", "name", "password", "is_active", "date_joined")


class StrValue(str):
    pass


@pytest.mark.parametrize("values", [
    {"email": "1", "name": "Ann", "password": "Smith", "is_active": True},
    {"email": "3", "name": "Zed", "password": StrValue("Subclass"), "is_active": False},
])
def test_every_field_renders_as_drf_renders_it(values):
    user = User(id=7, date_joined=MOMENTS[0], **values)
    fast = NumberedChoiceSerializer(user)
    assert fast.data == serializers.ModelSerializer.to_representation(fast, user)
    assert type(fast.data["password"]) is str and type(fast.data["is_active"]) is int
