"""The authenticated user is read with SQL written once: it must be the user the ORM would read."""
from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import RevokedAccessToken, User
from accounts.selectors import user_with_revocation
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def field_values(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_the_user_read_for_a_token_has_every_field_as_the_orm_reads_it():
    user = UserFactory(last_login=timezone.now())
    read = user_with_revocation(User, id=str(user.pk), jti="some-token-id")
    assert field_values(read) == field_values(User.objects.get(pk=user.pk))
    assert read.access_token_revoked is False
    assert read._state.adding is False  # a saved user, as the ORM gives it


def test_a_revoked_token_is_told():
    user = UserFactory()
    RevokedAccessToken.objects.create(jti="revoked-token-id", expires_at=timezone.now())
    assert user_with_revocation(User, id=user.pk, jti="revoked-token-id").access_token_revoked is True


def test_no_such_user_is_none():
    assert user_with_revocation(User, id=10**12, jti="some-token-id") is None
