"""Reads of variant groups. Owner scoping for the API comes from OwnerScopedViewSet."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from ai_studio.models import Variant, VariantGroup


def groups_with_variants() -> QuerySet[VariantGroup]:
    """Groups with their variants, each with its job and video: a page of groups costs two queries."""
    variants = Variant.objects.select_related("job", "job__video").order_by("position")
    return VariantGroup.objects.prefetch_related(Prefetch("variants", queryset=variants))
