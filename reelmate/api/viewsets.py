"""The owner-scoped base every user-facing view builds on.

User isolation is structural: `OwnerScopedViewSet.get_queryset` always filters by the requesting
user and subclasses cannot override it (they provide `get_base_queryset` instead), so a new
endpoint cannot forget the filter. Another user's object is therefore simply *not found* (404),
never *forbidden* (403), which also hides that it exists.
"""
from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import mixins, viewsets

from reelmate.compiled_queries import CompiledQuery, Param


class OwnerScopedViewSet(viewsets.GenericViewSet):
    owner_field = "owner"
    # Writes are limited per user (reelmate.api.throttling); a subclass or action may name another scope.
    throttle_scope = "writes"
    # True: a read without query parameters (one object by its pk; a page of the list as it is by
    # default, `?page=` and `?page_size=` aside) runs SQL compiled once per process for the view
    # (reelmate.compiled_queries), not the ORM's. For views whose base queryset has no prefetch and
    # whose filter backends change nothing without parameters (the defaults: ordering aside).
    compiled_reads = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset(); override get_base_queryset() so that "
                "the owner filter is always applied."
            )
        cls._compiled = {}

    def get_base_queryset(self) -> QuerySet:
        return super().get_queryset()

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        if not user.is_authenticated:  # schema generation and unauthenticated introspection
            return self.get_base_queryset().none()
        return self.get_base_queryset().filter(**{self.owner_field: user})

    # --- compiled reads (see `compiled_reads`) ------------------------------------------------------

    def _owner_param(self) -> tuple[str, Param]:
        field = self.get_base_queryset().model._meta.get_field(self.owner_field)
        return field.attname, Param("owner", field.target_field)

    def _compiled_query(self, kind: str, build) -> CompiledQuery:
        query = self._compiled.get(kind)
        if query is None:
            query = self._compiled[kind] = CompiledQuery(build)
        return query

    def _reads_compiled(self, allowed_parameters: frozenset = frozenset()) -> bool:
        return (self.compiled_reads and self.request.user.is_authenticated
                and set(self.request.query_params) <= allowed_parameters)

    def _reads_versions(self) -> bool:
        """Whether the compiled rows carry their row versions, so that their representations may be
        cached (reelmate.api.serializers): only where DRF serializes them as read, unchanged (the
        list and retrieve actions); an action that changes an object before showing it has none."""
        return self.action in ("list", "retrieve") and self.request.method in ("GET", "HEAD")

    def get_object(self):
        if not (self._reads_compiled() and self.lookup_field == "pk" and (self.lookup_url_kwarg or "pk") == "pk"):
            return super().get_object()

        def build():
            owner, param = self._owner_param()
            queryset = self.filter_queryset(self.get_base_queryset())
            return queryset.filter(**{owner: param, "pk": Param("pk", queryset.model._meta.pk)})

        try:
            rows = self._compiled_query("object", build).rows(owner=self.request.user.pk, pk=self.kwargs["pk"],
                                                              versions=self._reads_versions())
        except (TypeError, ValueError, ValidationError):  # not an id at all: as DRF's get_object_or_404
            rows = []
        if not rows:
            raise Http404
        self.check_object_permissions(self.request, rows[0])
        return rows[0]

    def get_list_object_list(self):
        """What the list pages through: the filtered queryset, or a compiled default list."""
        paginator = self.paginator
        paging = frozenset(name for name in (getattr(paginator, "page_query_param", None),
                                             getattr(paginator, "page_size_query_param", None)) if name)
        if not self._reads_compiled(paging):
            return self.filter_queryset(self.get_queryset())

        def build():
            owner, param = self._owner_param()
            return self.filter_queryset(self.get_base_queryset()).filter(**{owner: param})

        return CompiledList(self._compiled_query("list", build), lambda: self.filter_queryset(self.get_queryset()),
                            owner=self.request.user.pk, versions=self._reads_versions())


class ListModelMixin(mixins.ListModelMixin):
    """DRF's list, paging through `get_list_object_list()` (compiled with `compiled_reads`)."""

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_list_object_list())
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return super().list(request, *args, **kwargs)


class CompiledList:
    """A compiled query's rows for given values, sliced and counted as the paginator does a queryset."""

    def __init__(self, query: CompiledQuery, queryset: Callable[[], QuerySet], *, versions: bool = False, **values):
        self.query, self.queryset, self.versions, self.values = query, queryset, versions, values

    def __getitem__(self, window: slice) -> list:
        start, stop = window.start or 0, window.stop
        if window.step or stop is None:
            raise TypeError("CompiledList takes a bounded slice")
        return self.query.rows(limit=max(stop - start, 0), offset=start, versions=self.versions, **self.values)

    def capped_count(self, limit: int) -> int:
        """The number of rows, counting no further than limit + 1 (past it, `queryset()` is the
        same rows through the ORM, for the paginator's estimate)."""
        return self.query.count(at_most=limit + 1, **self.values)
