from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """Orders as asked, then by id, so that equal values never shuffle rows between pages."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            last_descending = bool(ordering) and ordering[-1].startswith("-")
            ordering.append("-id" if last_descending else "id")
        return ordering
