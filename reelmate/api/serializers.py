"""What the apps' serializers share."""
from __future__ import annotations

import datetime
from functools import cached_property

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings


class FastReadModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose output is rendered with fields built once per class.

    DRF builds a ModelSerializer's fields from the model for every serializer instance, which costs
    more than rendering a job with them: a polled job or a page of jobs would pay for it on every
    request. Here `to_representation` uses the fields of one prototype instance of the class, made on
    first use; they are only read, never changed, so requests (and threads) share them. Method
    fields (`SerializerMethodField`) are called on the serializer itself, so they see its context.

    For output-only serializers whose fields read nothing but the instance (the request, if needed,
    only in method fields). Input validation and the OpenAPI schema use the ordinary fields.
    """

    def to_representation(self, instance):
        plan = type(self).__dict__.get("_read_plan")
        if plan is None:
            plan = type(self)._read_plan = self._make_read_plan()
        representation = {}
        zone = None
        for name, field, method_name, column, represent, same_type in plan:
            if method_name is not None:
                representation[name] = getattr(self, method_name)(instance)
                continue
            if column is not None:
                attribute = getattr(instance, column)
            else:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
            value = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            if value is None:
                representation[name] = None
            elif type(attribute) is same_type or same_type is _ANY:
                representation[name] = attribute  # what the field's to_representation would return
            elif represent is _iso_datetime:
                if zone is None:
                    zone = self._current_timezone
                representation[name] = _iso_datetime(field, attribute, zone)
            else:
                representation[name] = represent(attribute)
        return representation

    @cached_property
    def _current_timezone(self):
        # Once per serializer (a page's rows share the child serializer), not per value: each lookup
        # reads a context-local variable.
        return timezone.get_current_timezone()

    @classmethod
    def _make_read_plan(cls) -> tuple:
        """(name, field, method name or None, column attribute or None, how to represent the value,
        the type of value the field returns unchanged) for each readable field; a field that shows
        one of the model's own columns reads it directly (DRF's generic `get_attribute` looks for
        callables and dictionaries first)."""
        columns = {field.attname for field in cls.Meta.model._meta.concrete_fields}
        plan = []
        for field in cls()._readable_fields:
            method_name = field.method_name if isinstance(field, serializers.SerializerMethodField) else None
            column = field.source_attrs[0] if len(field.source_attrs) == 1 and field.source_attrs[0] in columns \
                else None
            plan.append((field.field_name, field, method_name, column, _representer(field), _unchanged_type(field)))
        return tuple(plan)


_ANY = object()  # the field returns every value unchanged
_NOTHING = object()  # no value is returned unchanged without the field's code


def _unchanged_type(field: serializers.Field):
    """The exact type of value that the field's own to_representation returns as it is (`str` for a
    CharField: `str(value)`), so that calling it can be skipped; `_ANY` or `_NOTHING`."""
    own = type(field).to_representation
    if own is serializers.JSONField.to_representation:
        return _NOTHING if field.binary else _ANY
    if own is serializers.ReadOnlyField.to_representation:
        return _ANY
    if own is serializers.ChoiceField.to_representation:
        # str(value) looked up among the choices: the same string back when every choice is one.
        return str if all(type(key) is str for key in field.choice_strings_to_values.values()) else _NOTHING
    for kind, returns in ((serializers.CharField, str), (serializers.IntegerField, int),
                          (serializers.FloatField, float), (serializers.BooleanField, bool)):
        if own is kind.to_representation:
            return returns
    return _NOTHING


def _representer(field: serializers.Field):
    """The field's to_representation, or `_iso_datetime` for a plain ISO 8601 DateTimeField: the same
    output for less, as DRF's checks its format and time zone settings again for every value (a page
    of jobs has ~100)."""
    plain_datetime = (type(field) is serializers.DateTimeField and not hasattr(field, "timezone")
                      and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601 and settings.USE_TZ)
    return _iso_datetime if plain_datetime else field.to_representation


def _iso_datetime(field, value, zone) -> str:
    if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
        return field.to_representation(value)
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
