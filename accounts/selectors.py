"""Reads of accounts: revoked access tokens, and the limits a user's plan and overrides add up to."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection

from .models import LIMIT_NAMES, RevokedAccessToken, UserPlan


def is_access_token_revoked(jti: str) -> bool:
    """Whether the access token with this id was revoked by a logout (one primary-key lookup)."""
    return RevokedAccessToken.objects.filter(jti=jti).exists()


def user_with_revocation(user_model, *, jti: str, **lookup):
    """The user matching ``lookup`` (one field: the token's user id) with ``access_token_revoked``
    (whether the access token ``jti`` was revoked) read in the same query; None when there is no
    such user."""
    ((field_name, value),) = lookup.items()
    # Every authenticated request runs this: the SQL is written once per process rather than built
    # by the ORM each time (that cost more CPU than the round trip), and a primary-key probe of the
    # revocation table rides in the user's query: one round trip for both.
    sql, fields, converters = _user_with_revocation_sql(user_model, field_name)
    with connection.cursor() as cursor:
        cursor.execute(sql, (jti, user_model._meta.get_field(field_name).get_db_prep_value(value, connection)))
        row = cursor.fetchone()
    if row is None:
        return None
    *values, revoked = row
    for index, column, convert in converters:
        values[index] = convert(values[index], column, connection)
    user = user_model.from_db(connection.alias, [field.attname for field in fields], values)
    user.access_token_revoked = bool(revoked)
    return user


@functools.cache
def _user_with_revocation_sql(user_model, field_name: str) -> tuple[str, tuple, tuple]:
    """(SQL, the model's concrete fields, the converters the ORM would apply to their values:
    (index, column, converter)), for this database."""
    quote = connection.ops.quote_name
    users, revoked = quote(user_model._meta.db_table), quote(RevokedAccessToken._meta.db_table)
    fields = tuple(user_model._meta.concrete_fields)
    columns = ", ".join(f"{users}.{quote(field.column)}" for field in fields)
    sql = (f"SELECT {columns}, EXISTS (SELECT 1 FROM {revoked} WHERE {revoked}.{quote('jti')} = %s) "
           f"FROM {users} WHERE {users}.{quote(user_model._meta.get_field(field_name).column)} = %s")
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(user_model._meta.db_table)
        # As the ORM's compiler does (e.g. SQLite returns datetimes as text).
        for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            converters.append((index, column, convert))
    return sql, fields, tuple(converters)


@dataclass(frozen=True)
class Limits:
    """A user's effective limits; None is unlimited. Minutes are whole minutes of video."""

    concurrent_jobs: int | None
    jobs_per_day: int | None
    video_minutes_per_month: int | None
    script_characters: int | None
    retries_per_job: int | None


def effective_limits(user_plan: UserPlan) -> Limits:
    """Each limit is the user's override where staff set one, else the plan's."""
    return Limits(**{
        name: override if (override := getattr(user_plan, name)) is not None else getattr(user_plan.plan, name)
        for name in LIMIT_NAMES
    })
