"""Query helpers the apps share."""
from __future__ import annotations

import json

from django.db import connections
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast


def json_list_contains(queryset: QuerySet, field: str, value: str) -> QuerySet:
    """Rows whose JSON list ``field`` holds ``value``, on every database the project runs on.

    PostgreSQL (and MySQL) answer ``contains`` natively. SQLite has no JSON containment lookup,
    but stores the list as the text ``json.dumps`` wrote, so the quoted item is matched instead.
    """
    if connections[queryset.db].features.supports_json_field_contains:
        return queryset.filter(**{f"{field}__contains": [value]})
    alias = f"{field}_as_text"
    return queryset.alias(**{alias: Cast(field, TextField())}).filter(**{f"{alias}__contains": json.dumps(value)})
