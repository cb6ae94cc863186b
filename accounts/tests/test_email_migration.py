"""The migration that makes stored addresses lower case: existing accounts keep working, clashes stop it."""
import importlib

import pytest
from django.apps import apps
from django.db import connection

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0002_user_email_lowercase")


@pytest.fixture
def without_the_lowercase_constraint():
    """The table as it was before the migration (the test's transaction restores it)."""
    constraint = next(c for c in User._meta.constraints if c.name == "user_email_lowercase")
    with connection.schema_editor() as editor:
        editor.remove_constraint(User, constraint)


def stored_with_capitals(email: str) -> User:
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(email=email)  # as an earlier admin form could store it
    return user


def test_existing_addresses_with_capitals_are_lowered(without_the_lowercase_constraint):
    ann = stored_with_capitals("Ann@Example.COM")
    bob = UserFactory(email="bob@example.com")

    migration.lowercase_emails(apps, None)

    assert User.objects.get(pk=ann.pk).email == "ann@example.com"
    assert User.objects.get(pk=bob.pk).email == "bob@example.com"


def test_two_accounts_differing_only_in_case_stop_the_migration_and_are_named(without_the_lowercase_constraint):
    UserFactory(email="twin@example.com")
    stored_with_capitals("Twin@Example.com")

    with pytest.raises(RuntimeError, match="Twin@Example.com"):
        migration.lowercase_emails(apps, None)
    assert User.objects.filter(email="Twin@Example.com").exists()  # nothing was guessed
