"""What the apps' admins share."""
from __future__ import annotations

from django.contrib import admin
from django.core.cache import cache
from django.db import connection

from reelmate.api.pagination import CappedCountPaginator


class ReadOnlyAdminMixin:
    """For records the application writes (rollups, ledgers, computed views): staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LargeTableAdminMixin:
    """For change lists of tables that grow to millions of rows: no full-table count on a page.

    Django's change list counts the filtered rows and, for "N of M", the whole table on every page.
    Here the whole table is not counted, and the filtered count is exact up to 1,000 rows and
    PostgreSQL's estimate past that (reelmate.api.pagination.CappedCountPaginator), so a page costs
    the same with 10,000 or 1,000,000 rows. Such a change list has no date hierarchy (its links
    need every row's date): filter on the date instead. List filters must not scan the table either:
    choices, small related tables, or `IndexedValuesListFilter`.
    """

    show_full_result_count = False
    paginator = CappedCountPaginator


class IndexedValuesListFilter(admin.SimpleListFilter):
    """A filter on the distinct non-empty values of a text column, found without reading the table.

    Django's default for a field without choices (`SELECT DISTINCT` over the whole table) reads
    every row on every change-list page. Here PostgreSQL walks an index that starts with the column
    (a loose index scan: one index probe per distinct value; the model needs an index whose first
    column is this one, partial on `<> ''` at most) and the values are cached for a minute.
    """

    field_name: str = ""
    max_values = 100
    cache_seconds = 60

    def __init__(self, request, params, model, model_admin):
        self.parameter_name = self.parameter_name or self.field_name
        self.title = self.title or model._meta.get_field(self.field_name).verbose_name
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        model = model_admin.model
        key = f"admin-values:{model._meta.label_lower}.{self.field_name}"
        values = cache.get(key)
        if values is None:
            values = distinct_values(model, self.field_name, self.max_values)
            cache.set(key, values, self.cache_seconds)
        return [(value, value) for value in values]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field_name: self.value()})
        return queryset


def distinct_values(model, field_name: str, limit: int) -> list[str]:
    """The first `limit` distinct non-empty values of a text column, in order."""
    column = model._meta.get_field(field_name).column
    if connection.vendor != "postgresql":
        return list(model._default_manager.exclude(**{field_name: ""}).order_by(field_name)
                    .values_list(field_name, flat=True).distinct()[:limit])
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE found(value) AS ("
            f" (SELECT {column} FROM {table} WHERE {column} > '' ORDER BY {column} LIMIT 1)"
            f" UNION ALL SELECT (SELECT {column} FROM {table} WHERE {column} > found.value ORDER BY {column} LIMIT 1)"
            f" FROM found WHERE found.value IS NOT NULL"
            f") SELECT value FROM found WHERE value IS NOT NULL LIMIT %s", [limit])
        return [row[0] for row in cursor.fetchall()]
