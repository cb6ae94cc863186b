"""Page-number pagination whose cost does not grow with the table: no full count on every page.

Every list of the API (and the admin's change lists, see reelmate.admin_mixins) pages with
`CappedCountPaginator`:

* `next` / `previous` come from the page itself: it reads one row more than it shows, so a next
  page exists exactly when that row does — no count is needed to move through the pages.
* `count` is exact up to `EXACT_COUNT_LIMIT` rows (counted with `LIMIT EXACT_COUNT_LIMIT + 1`:
  at most that many index entries are read, whatever the size of the table). Past it, `count` is
  PostgreSQL's planner estimate for the same query (no rows read; never below the limit + 1) and
  `count_is_exact` is false. (Other databases count exactly.)

A client's pages therefore cost the same with 10,000 or 1,000,000 rows in the table. A deep page
(`?page=N`) still skips N x page_size rows: for old items, narrow the list with its filters
(e.g. `created_before`) rather than paging far.
"""
from __future__ import annotations

import json
from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.response import Response

EXACT_COUNT_LIMIT = 1000
# Past this page no list has rows (100 million items at the largest page size); it also keeps the
# OFFSET inside the database's integer range, whatever number a client sends.
MAX_PAGE_NUMBER = 1_000_000


def capped_count(queryset: QuerySet, limit: int = EXACT_COUNT_LIMIT, counted: int | None = None) -> tuple[int, bool]:
    """(count, exact): exact when there are at most `limit` rows, else PostgreSQL's estimate.
    `counted`: the rows already counted up to `limit` + 1 another way (a compiled count), if known."""
    queryset = queryset.order_by()
    if counted is None:
        counted = queryset[: limit + 1].count()
    if counted <= limit:
        return counted, True
    if connections[queryset.db].vendor != "postgresql":
        return queryset.count(), True
    return max(estimated_count(queryset), limit + 1), False


def estimated_count(queryset: QuerySet) -> int:
    """The planner's estimate of the rows `queryset` returns (EXPLAIN: nothing is read)."""
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class LookaheadPage(Page):
    def __init__(self, object_list, number, paginator, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class CappedCountPaginator(DjangoPaginator):
    """Django's Paginator, with pages that know whether a next one exists without a count, and a
    `count` capped as the module says (`count_is_exact` tells which)."""

    exact_count_limit = EXACT_COUNT_LIMIT

    @cached_property
    def _count(self) -> tuple[int, bool]:
        if isinstance(self.object_list, QuerySet):
            return capped_count(self.object_list, self.exact_count_limit)
        if hasattr(self.object_list, "capped_count"):  # reelmate.api.viewsets.CompiledList
            counted = self.object_list.capped_count(self.exact_count_limit)
            if counted <= self.exact_count_limit:
                return counted, True
            # Past the limit: the estimate needs the same rows as a queryset (not counted again).
            return capped_count(self.object_list.queryset(), self.exact_count_limit, counted=counted)
        return len(self.object_list), True

    @cached_property
    def count(self) -> int:
        return self._count[0]

    @property
    def count_is_exact(self) -> bool:
        return self._count[1]

    def validate_number(self, number) -> int:
        """A whole number from 1; whether the page exists is found by reading it (`page`)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"])
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number > MAX_PAGE_NUMBER:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number) -> LookaheadPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom: bottom + self.per_page + 1])
        has_next = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not rows and (number > 1 or not self.allow_empty_first_page):
            raise EmptyPage(self.error_messages["no_results"])
        if not has_next and (rows or number == 1) and bottom + len(rows) <= self.exact_count_limit:
            # The last page: the count is known without counting.
            self.__dict__.setdefault("_count", (bottom + len(rows), True))
        return LookaheadPage(rows, number, self, has_next)


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M` (default 20, at most 100), with `count`, `count_is_exact`, `next` and
    `previous` links; `count` is exact up to 1,000 items, an estimate past that (see the module)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedCountPaginator

    def get_paginated_response(self, data):
        return Response({
            "count": self.page.paginator.count,
            "count_is_exact": self.page.paginator.count_is_exact,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"How many items the list holds: exact up to {EXACT_COUNT_LIMIT:,}, an estimate past that "
            "(then `count_is_exact` is false).")
        response["properties"] = {
            "count": response["properties"]["count"],
            "count_is_exact": {"type": "boolean", "example": True,
                               "description": f"false when `count` is an estimate (more than {EXACT_COUNT_LIMIT:,} "
                                              "items): `next` is exact either way."},
            **{key: value for key, value in response["properties"].items() if key != "count"},
        }
        response["required"] = [*response.get("required", []), "count_is_exact"]
        return response
