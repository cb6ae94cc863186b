"""What the apps' serializers share."""
from __future__ import annotations

import datetime
import threading
from functools import cached_property

from django.conf import settings
from django.core.signals import setting_changed
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from reelmate.compiled_queries import ROW_VERSION


class FastReadModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose output is rendered with fields built once per class.

    DRF builds a ModelSerializer's fields from the model for every serializer instance, which costs
    more than rendering a job with them: a polled job or a page of jobs would pay for it on every
    request. Here `to_representation` uses the fields of one prototype instance of the class, made on
    first use; they are only read, never changed, so requests (and threads) share them. Method
    fields (`SerializerMethodField`) are called on the serializer itself, so they see its context.

    For output-only serializers whose fields read nothing but the instance (the request, if needed,
    only in method fields). Input validation and the OpenAPI schema use the ordinary fields.

    **Cached representations.** An instance read with its row's version (reelmate.compiled_queries'
    ROW_VERSION: PostgreSQL's xmin and ctid of the row, which any write changes) is rendered once per
    process for that version: later reads of the same row version copy it, and compute again only the
    method fields, which may read more than the row (the request, the clock, other rows), unless
    `row_method_fields` names them as reading the row alone. A class is cached only when every other
    field shows one of the model's own columns with a field whose output depends on the value alone
    (`_PURE_FIELDS`, or a plain nested Serializer of such fields); the key is the class, the row's
    version and the current time zone. No row version (another database, an instance built or changed
    in memory by the code, any path but the compiled reads of list/retrieve): rendered as ever.
    """

    # Method fields whose value depends on the instance's own columns only (cached with the rest).
    row_method_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        version = instance.__dict__.get(ROW_VERSION)
        if version is None:
            return self._represent(instance)
        cls = type(self)
        fresh = cls.__dict__.get("_fresh_methods")
        if fresh is None:
            fresh = cls._fresh_methods = self._make_fresh_methods()
        if fresh is _UNCACHEABLE:
            return self._represent(instance)
        key = (cls, version, self._current_timezone)
        cached = _representations.get(key)  # one atomic read (the GIL): writers hold the lock
        if cached is None:
            cached = self._represent(instance)
            with _representations_lock:
                _representations[key] = cached
                while len(_representations) > REPRESENTATION_CACHE_ENTRIES:
                    _representations.pop(next(iter(_representations)), None)
        representation = cached.copy()  # the cached dict itself is never handed out
        for name, method_name in fresh:
            representation[name] = getattr(self, method_name)(instance)
        return representation

    def _make_fresh_methods(self):
        """(name, method name) of the method fields computed on every call, or _UNCACHEABLE."""
        fresh = []
        for name, field, method_name, column, _represent, _same_type in self._plan():
            if method_name is not None:
                if name not in self.row_method_fields:
                    fresh.append((name, method_name))
            elif column is None or not _pure(field):
                return _UNCACHEABLE
        return tuple(fresh)

    def _plan(self) -> tuple:
        plan = type(self).__dict__.get("_read_plan")
        if plan is None:
            plan = type(self)._read_plan = self._make_read_plan()
        return plan

    def _represent(self, instance) -> dict:
        plan = self._plan()
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


# Cached representations (see FastReadModelSerializer), by (class, row version, time zone): at most
# this many per process, the oldest dropped first (a job's is ~2-5 KB).
REPRESENTATION_CACHE_ENTRIES = 4096
_representations: dict[tuple, dict] = {}
_representations_lock = threading.Lock()
_UNCACHEABLE = object()

# Fields whose output is a function of the value alone (no context, request or settings read per call).
_PURE_FIELDS = (serializers.CharField, serializers.IntegerField, serializers.FloatField, serializers.BooleanField,
                serializers.ChoiceField, serializers.DateTimeField, serializers.DateField, serializers.UUIDField,
                serializers.DecimalField, serializers.JSONField, serializers.ReadOnlyField,
                *((serializers.BigIntegerField,) if hasattr(serializers, "BigIntegerField") else ()))


def _pure(field) -> bool:
    if isinstance(field, serializers.ListSerializer):
        return type(field).to_representation is serializers.ListSerializer.to_representation and _pure(field.child)
    if isinstance(field, serializers.Serializer):
        return (type(field).to_representation is serializers.Serializer.to_representation
                and not isinstance(field, serializers.ModelSerializer)
                and all(not isinstance(child, serializers.SerializerMethodField) and _pure(child)
                        for child in field.fields.values()))
    return (isinstance(field, _PURE_FIELDS) and not isinstance(field, (serializers.FileField, serializers.HiddenField))
            and type(field).to_representation in {kind.to_representation for kind in _PURE_FIELDS})


def forget_representations(**kwargs) -> None:
    """Drop the cached representations (settings changed: the time zone, DRF's formats...)."""
    with _representations_lock:
        _representations.clear()


setting_changed.connect(forget_representations, dispatch_uid="reelmate.api.serializers.forget_representations")


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
