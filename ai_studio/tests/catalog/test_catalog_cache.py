"""Catalog lists are served from the cache, and any staff change is visible at once."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ai_studio.models import AIAvatar
from ai_studio.selectors.catalog import catalog_cache_seconds
from ai_studio.tests.catalog.factories import AvatarFactory, VoiceFactory

pytestmark = pytest.mark.django_db


def avatar_names(client, **params):
    return [item["name"] for item in client.get("/api/ai-studio/avatars", params).json()["results"]]


def voice_names(client):
    return [item["name"] for item in client.get("/api/ai-studio/voices").json()["results"]]


def test_a_second_request_is_served_from_the_cache_without_catalog_queries(auth_client, other_client):
    AvatarFactory(name="Maya")
    assert avatar_names(auth_client) == ["Maya"]
    with CaptureQueriesContext(connection) as captured:
        assert avatar_names(other_client) == ["Maya"]  # the body is shared: it holds no user data
    assert not any("ai_studio_aiavatar" in query["sql"] for query in captured)


def test_each_query_string_is_cached_on_its_own(auth_client):
    AvatarFactory(name="Ann", gender="female")
    AvatarFactory(name="Bob", gender="male")
    assert avatar_names(auth_client, gender="female") == ["Ann"]
    assert avatar_names(auth_client, gender="male") == ["Bob"]


def test_saving_or_deleting_an_item_invalidates_the_cached_lists(auth_client):
    avatar = AvatarFactory(name="Old name")
    voice = VoiceFactory(name="Old voice")
    assert avatar_names(auth_client) == ["Old name"]
    assert "Old voice" in voice_names(auth_client)
    avatar.name = "New name"
    avatar.save()
    voice.delete()
    assert avatar_names(auth_client) == ["New name"]
    assert "Old voice" not in voice_names(auth_client)


def test_an_admin_edit_invalidates_the_cache(auth_client, staff_browser):
    avatar = AvatarFactory(name="Before", slug="before")
    assert avatar_names(auth_client) == ["Before"]
    form = {
        "name": "After", "slug": "before", "description": "", "is_active": "on", "sort_order": 1,
        "gender": "female", "age_range": "", "style": "", "tags": "[]", "framing": "center",
        "background_color": "#101820", "default_voice": avatar.default_voice_id,
    }
    response = staff_browser.post(f"/admin/ai_studio/aiavatar/{avatar.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert avatar_names(auth_client) == ["After"]


def test_a_bulk_admin_action_invalidates_the_cache(auth_client, staff_browser):
    avatar = AvatarFactory(name="Soon gone")
    assert avatar_names(auth_client) == ["Soon gone"]
    staff_browser.post("/admin/ai_studio/aiavatar/", {"action": "deactivate", "_selected_action": [avatar.pk]})
    assert not AIAvatar.objects.get(pk=avatar.pk).is_active
    assert avatar_names(auth_client) == []


def test_cached_pages_expire_well_before_their_presigned_urls(settings):
    settings.PRESIGNED_URL_EXPIRY = 3600
    assert catalog_cache_seconds() == 300
    settings.PRESIGNED_URL_EXPIRY = 120
    assert catalog_cache_seconds() == 30


def test_made_up_query_parameters_do_not_make_new_cache_entries(auth_client):
    AvatarFactory(name="Maya")
    assert avatar_names(auth_client, x="1") == ["Maya"]
    with CaptureQueriesContext(connection) as captured:
        assert avatar_names(auth_client, x="2", utm_source="mail") == ["Maya"]
        assert avatar_names(auth_client) == ["Maya"]
    assert not any("ai_studio_aiavatar" in query["sql"] for query in captured)


def test_the_order_of_known_parameters_does_not_matter(auth_client):
    AvatarFactory(name="Ann", gender="female")
    assert auth_client.get("/api/ai-studio/avatars?gender=female&page_size=5").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        body = auth_client.get("/api/ai-studio/avatars?page_size=5&gender=female").json()
    assert [item["name"] for item in body["results"]] == ["Ann"]
    assert not any("ai_studio_aiavatar" in query["sql"] for query in captured)


def test_cached_pagination_links_keep_only_known_parameters(auth_client):
    AvatarFactory(name="Ann", gender="female", sort_order=1)
    AvatarFactory(name="Bea", gender="female", sort_order=2)
    body = auth_client.get("/api/ai-studio/avatars?x=%3Cinjected%3E&gender=female&page_size=1").json()
    assert body["next"] == "http://testserver/api/ai-studio/avatars?gender=female&page=2&page_size=1"
    second = auth_client.get(body["next"] + "&y=1").json()
    assert [item["name"] for item in second["results"]] == ["Bea"]
    assert second["previous"] == "http://testserver/api/ai-studio/avatars?gender=female&page_size=1"
