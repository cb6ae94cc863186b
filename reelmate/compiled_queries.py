"""Querysets whose SQL the ORM writes once per process, then runs with new values.

The hottest reads of the API (a polled job, the first page of a list) are the same query every
time with other values: the ORM compiling a ~70-column select (with the joined video) cost more CPU
than PostgreSQL answering it. `CompiledQuery` asks the ORM for the SQL once per database, with
`Param` placeholders where the values go, and keeps what the ORM needs to turn rows into model
instances (the columns' converters, the select_related populators); each run then only binds the
values, executes, and builds the instances exactly as the queryset would have.

Only for plain querysets: no prefetch_related (its extra queries would not run), no annotations
that add columns beyond the select, no slicing (`rows` pages with LIMIT/OFFSET bound as parameters).

On PostgreSQL the query also reads each table's system columns `xmin` and `ctid` (the transaction
that wrote this version of the row, and where the version lies): `rows(versions=True)` leaves them on
every instance it builds as `ROW_VERSION` (with the database and the pk). Any write to a row (save,
update, raw SQL, a delete and a new insert) makes a new version with another (xmin, ctid), so a value
kept under that key cannot outlive the row it was made from (reelmate.api.serializers caches
representations so). Other databases have no such columns: no ROW_VERSION there.
"""
from __future__ import annotations

import inspect
import json
import json.scanner
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import Expression, Field, JSONField, Model, QuerySet, signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import get_related_populators
from django.db.models.query_utils import DeferredAttribute


class Param(Expression):
    """A value given when a CompiledQuery runs: `filter(owner=Param("owner", ForeignKey's target))`.
    `field` prepares the value for the database as a lookup on it would."""

    def __init__(self, name: str, field: Field):
        super().__init__(output_field=field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [self]


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple  # constants, and Params to fill in
    count_sql: str  # SELECT COUNT(*) over at most %s rows of the same query
    count_params: tuple
    model: type[Model]
    build: Callable  # (model, alias, names, values) → instance: from_db or `_from_db_directly`
    init_list: tuple[str, ...]
    model_columns: slice
    related_populators: tuple  # (Django's RelatedPopulator, its build)
    converters: tuple  # (position, converters, expression)
    width: int  # the columns the ORM would read (extra ones only order the rows)
    versions: int  # leading (xmin, ctid) columns: 2 per table (the model's, then each related one's), or 0


# An instance's row version, when `rows(versions=True)` read it: (database alias, pk, xmin, ctid).
ROW_VERSION = "_compiled_row_version"


class CompiledQuery:
    """`build()` → the queryset, with `Param`s for the values; `rows(**values)` runs it.

    The plan is made on first use for each database alias and kept for the process's life (the
    SQL depends on nothing else: `build` must not read the request, the clock or settings that
    change)."""

    def __init__(self, build: Callable[[], QuerySet]):
        self._build = build
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()

    def rows(self, *, limit: int | None = None, offset: int = 0, using: str = "default", versions: bool = False,
             **values) -> list[Model]:
        """The queryset's instances for these values (`limit`/`offset`: a page of them); `versions`:
        each instance (and select_related one) carries its row's version as ROW_VERSION, where the
        database has one (PostgreSQL)."""
        plan = self._plan(using)
        connection = connections[using]
        params = _bind(plan.params, values, connection)
        sql = plan.sql
        if limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params += (limit, offset)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        instances = []
        skip = plan.versions
        versions = versions and skip
        for row in rows:
            stamps = row[:skip]
            row = list(row[skip:skip + plan.width])
            for position, converters, expression in plan.converters:
                value = row[position]
                for convert in converters:
                    value = convert(value, expression, connection)
                row[position] = value
            instance = plan.build(plan.model, using, plan.init_list, row[plan.model_columns])
            if versions:
                instance.__dict__[ROW_VERSION] = (using, instance.pk, stamps[0], stamps[1])
            for index, (populator, build) in enumerate(plan.related_populators, start=1):
                related = _populate(populator, build, row, instance)
                if versions and related is not None:
                    related.__dict__[ROW_VERSION] = (using, related.pk, stamps[2 * index], stamps[2 * index + 1])
            instances.append(instance)
        return instances

    def count(self, *, at_most: int, using: str = "default", **values) -> int:
        """How many rows the queryset has, counting no further than `at_most`."""
        plan = self._plan(using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(plan.count_sql, (*_bind(plan.count_params, values, connection), at_most))
            return cursor.fetchone()[0]

    def _plan(self, using: str) -> _Plan:
        plan = self._plans.get(using)
        if plan is None:
            with self._lock:
                plan = self._plans.get(using) or self._make_plan(using)
                self._plans[using] = plan
        return plan

    def _make_plan(self, using: str) -> _Plan:
        queryset = self._build().using(using)
        query = queryset.query
        if queryset._prefetch_related_lookups or query.is_sliced or queryset._fields is not None:
            raise ValueError("CompiledQuery takes a plain queryset of models: no prefetch, slice or values()")
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        klass_info, select = compiler.klass_info, compiler.select
        if compiler.annotation_col_map:
            raise ValueError("CompiledQuery does not keep annotations")
        width = compiler.col_count
        columns = klass_info["select_fields"]
        model_columns = slice(columns[0], columns[-1] + 1)
        converters = tuple(
            (position, tuple(_faster(convert, expression) for convert in convs), expression)
            for position, (convs, expression) in compiler.get_converters([s[0] for s in select[:width]]).items())
        # The count: the same rows, unordered, at most a given number of them (as reelmate.api.pagination's).
        count_query = queryset.order_by().values("pk").query
        count_compiler = count_query.get_compiler(using=using)
        inner_sql, count_params = count_compiler.as_sql()
        init_list = tuple(s[0].target.attname for s in select[model_columns])
        populators = get_related_populators(klass_info, select, using)
        if any(populator.related_populators for populator in populators):
            raise ValueError("CompiledQuery follows one level of select_related")
        versions = 0
        connection = connections[using]
        if connection.vendor == "postgresql" and sql.startswith("SELECT ") and not sql.startswith("SELECT DISTINCT"):
            # Each table's alias in this query, as its columns name it: the model's, then each related one's.
            aliases = [select[model_columns.start][0].alias,
                       *(select[populator.cols_start][0].alias for populator in populators)]
            stamps = ", ".join(f"{connection.ops.quote_name(alias)}.{column}"
                               for alias in aliases for column in ("xmin", "ctid"))
            sql = f"SELECT {stamps}, {sql[len('SELECT '):]}"
            versions = 2 * len(aliases)
        return _Plan(
            sql=sql, params=tuple(params),
            count_sql=f"SELECT COUNT(*) FROM ({inner_sql} LIMIT %s) counted", count_params=tuple(count_params),
            model=klass_info["model"], build=_builder(klass_info["model"], init_list),
            init_list=init_list, model_columns=model_columns,
            related_populators=tuple((populator, _builder(populator.model_cls, populator.init_list))
                                     for populator in populators),
            converters=converters, width=width, versions=versions,
        )


def _faster(convert, expression):
    """A column's converter, or one that returns the same for less: a JSONField's own column without
    a decoder of its own is read by the json module's C scanner directly (json.loads would also
    match whitespace around the document twice through a regex: PostgreSQL writes none)."""
    field = getattr(convert, "__self__", None)
    if (type(field) is JSONField and convert.__func__ is JSONField.from_db_value and field.decoder is None
            and getattr(expression, "target", None) is field):
        return _json_from_db
    return convert


_scan_json = json.scanner.make_scanner(json.JSONDecoder())  # what json.loads uses, without its whitespace checks


def _json_from_db(value, expression, connection):
    """JSONField.from_db_value (decoder None, a column): the same values, integers of any size exact."""
    if value is None:
        return None
    if type(value) is str:
        try:
            document, end = _scan_json(value, 0)
        except (StopIteration, ValueError):
            pass
        else:
            if end == len(value):
                return document
    return expression.target.from_db_value(value, expression, connection)


def _bind(params: tuple, values: dict, connection) -> tuple:
    """The query's parameters with each Param's value, prepared as its field's lookups are."""
    return tuple(
        param.output_field.get_db_prep_value(values[param.name], connection) if isinstance(param, Param) else param
        for param in params)


def _populate(populator, build, row, instance):
    """Django's RelatedPopulator.populate (one level), building the related instance with `build`;
    → the related instance or None."""
    if populator.reorder_for_init:
        values = populator.reorder_for_init(row)
    else:
        values = row[populator.cols_start:populator.cols_end]
    related = None
    if values[populator.pk_idx] is not None:
        related = build(populator.model_cls, populator.db, populator.init_list, values)
    populator.local_setter(instance, related)
    if related is not None:
        populator.remote_setter(related, instance)
    return related


def _builder(model: type[Model], names) -> Callable:
    """How to make an instance of `model` from a row of all its columns: `Model.from_db`, or when
    that would only set each attribute (no __init__/from_db of its own, no pre_init/post_init
    receivers, every column a plain attribute) `_from_db_directly`, which does the same for a
    quarter of the CPU."""
    columns = {field.attname for field in model._meta.concrete_fields}
    plain = (model.__init__ is Model.__init__ and model.from_db.__func__ is Model.from_db.__func__
             and set(names) == columns and len(names) == len(columns)
             and not signals.pre_init.has_listeners(model) and not signals.post_init.has_listeners(model)
             and all(type(inspect.getattr_static(model, name, None)) in _PLAIN_DESCRIPTORS for name in names))
    return _from_db_directly if plain else _from_db


def _from_db(model, alias, names, values):
    return model.from_db(alias, names, values)


def _from_db_directly(model, alias, names, values):
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values))
    state = instance._state = ModelState()
    state.adding, state.db = False, alias
    return instance


_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)
