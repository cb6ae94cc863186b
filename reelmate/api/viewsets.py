"""The owner-scoped base every user-facing view builds on.

User isolation is structural: `OwnerScopedViewSet.get_queryset` always filters by the requesting
user and subclasses cannot override it (they provide `get_base_queryset` instead), so a new
endpoint cannot forget the filter. Another user's object is therefore simply *not found* (404),
never *forbidden* (403), which also hides that it exists.
"""
from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import viewsets


class OwnerScopedViewSet(viewsets.GenericViewSet):
    owner_field = "owner"
    # Writes are limited per user (reelmate.api.throttling); a subclass or action may name another scope.
    throttle_scope = "writes"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset(); override get_base_queryset() so that "
                "the owner filter is always applied."
            )

    def get_base_queryset(self) -> QuerySet:
        return super().get_queryset()

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        if not user.is_authenticated:  # schema generation and unauthenticated introspection
            return self.get_base_queryset().none()
        return self.get_base_queryset().filter(**{self.owner_field: user})
