"""Fixtures shared by every app's tests: users, authenticated API clients, a staff admin browser."""
from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.db.models.signals import post_migrate
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory

pytest_plugins = ["testkit.fixtures"]

_seed_plans = importlib.import_module("accounts.migrations.0005_seed_plans").seed_plans
_seed_max_in_flight = importlib.import_module("accounts.migrations.0006_plan_max_in_flight").seed_max_in_flight


def _reseed_plans(sender, **kwargs):
    """A transactional test ends by emptying every table, and Django then sends post_migrate (which
    puts content types and permissions back): put back the plans the data migration seeds too."""
    if sender.label == "accounts":
        _seed_plans(kwargs.get("apps") or django_apps, None)
        _seed_max_in_flight(kwargs.get("apps") or django_apps, None)


post_migrate.connect(_reseed_plans, dispatch_uid="tests.reseed_plans")

@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters and cached catalog pages must not leak between tests."""
    cache.clear()
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def make_client():
    """A new API client authenticated as the given user (e.g. one per thread)."""
    return client_for


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_browser(client, staff_user):
    """A Django test client logged in to the admin as staff."""
    client.force_login(staff_user)
    return client


@pytest.fixture
def auth_client(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_client(other_user) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def embedded_storage(settings, tmp_path):
    """The embedded default's storage, as settings.py configures it without S3 keys: signed local
    files (served by /media-signed/), here in a temporary folder, instead of the session's S3."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "reelmate.storage.SignedFileSystemStorage",
                                                          "OPTIONS": {"location": tmp_path, "base_url": "/media/"}}}
    settings.USING_S3 = False
    return tmp_path
