"""The filter backend skips django-filter's form when the query string is empty, and only then."""
from __future__ import annotations

import django_filters
import pytest
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.models import User
from reelmate.api.filters import DjangoFilterBackend


class UserFilter(django_filters.FilterSet):
    email = django_filters.CharFilter()

    class Meta:
        model = User
        fields = ["email"]


class RequiredEmailFilter(UserFilter):
    email = django_filters.CharFilter(required=True)


class View:
    def __init__(self, filterset_class):
        self.filterset_class = filterset_class


def request(query: str = "") -> Request:
    return Request(APIRequestFactory().get(f"/api/users{query}"))


@pytest.fixture
def users():
    return User.objects.all()


def test_without_a_query_string_the_list_is_left_as_it_is(users, monkeypatch):
    def no_form(*args, **kwargs):
        raise AssertionError("the FilterSet was built")

    monkeypatch.setattr(UserFilter, "__init__", no_form)
    assert DjangoFilterBackend().filter_queryset(request(), users, View(UserFilter)) is users


@pytest.mark.django_db
def test_a_query_string_still_filters(users):
    filtered = DjangoFilterBackend().filter_queryset(request("?email=a@example.com"), users, View(UserFilter))
    assert "a@example.com" in str(filtered.query.where.children[0].rhs)


def test_a_required_filter_still_refuses_an_empty_query_string(users):
    with pytest.raises(serializers.ValidationError) as refused:
        DjangoFilterBackend().filter_queryset(request(), users, View(RequiredEmailFilter))
    assert "email" in refused.value.detail
