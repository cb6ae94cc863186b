"""Prompt templates: system + public + own to read and render; only your own to change."""
import pytest

from ai_studio.models import PromptTemplate
from ai_studio.services.templates import record_template_use
from ai_studio.tests.catalog.factories import TemplateFactory

pytestmark = pytest.mark.django_db

NEW_TEMPLATE = {
    "name": "My launch",
    "category": "product_launch",
    "description": "For our launches",
    "body": "Say hello to {{product}}! {{cta}}",
    "variables": [{"name": "product", "label": "Product", "max_length": 30},
                  {"name": "cta", "required": False, "default": "Tap the link."}],
    "tone": "excited",
    "target_duration_seconds": 20,
}


@pytest.fixture
def catalog(user, other_user):
    """One template of each kind a user can meet."""
    return {
        "system": TemplateFactory(owner=None, name="System promo", category="promo"),
        "own": TemplateFactory(owner=user, name="My own", category="event"),
        "public": TemplateFactory(owner=other_user, name="Shared by other", is_public=True, category="promo"),
        "private": TemplateFactory(owner=other_user, name="Private of other", category="promo"),
    }


def names(response):
    assert response.status_code == 200, response.json()
    return sorted(item["name"] for item in response.json()["results"])


def test_the_list_has_system_public_and_own_templates_but_not_others_private_ones(auth_client, catalog):
    assert names(auth_client.get("/api/ai-studio/prompt-templates")) == ["My own", "Shared by other",
                                                                         "System promo"]


def test_list_filters_by_category_source_and_search(auth_client, catalog):
    url = "/api/ai-studio/prompt-templates"
    assert names(auth_client.get(url, {"category": "promo"})) == ["Shared by other", "System promo"]
    assert names(auth_client.get(url, {"source": "mine"})) == ["My own"]
    assert names(auth_client.get(url, {"source": "system"})) == ["System promo"]
    assert names(auth_client.get(url, {"source": "public"})) == ["Shared by other"]
    assert names(auth_client.get(url, {"search": "other"})) == ["Shared by other"]
    assert auth_client.get(url, {"category": "poetry"}).status_code == 400


def test_items_say_whose_they_are(auth_client, catalog):
    items = {item["name"]: item for item in auth_client.get("/api/ai-studio/prompt-templates").json()["results"]}
    assert (items["System promo"]["is_system"], items["System promo"]["is_own"]) == (True, False)
    assert (items["My own"]["is_system"], items["My own"]["is_own"]) == (False, True)
    assert (items["Shared by other"]["is_system"], items["Shared by other"]["is_own"]) == (False, False)
    assert items["My own"]["placeholders"] == ["product", "cta"]


def test_create_makes_a_private_template_of_your_own(auth_client, user):
    response = auth_client.post("/api/ai-studio/prompt-templates", NEW_TEMPLATE, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["is_own"], body["is_system"], body["is_public"], body["usage_count"]) == (True, False, False, 0)
    assert body["variables"][1] == {"name": "cta", "label": "Cta", "required": False, "default": "Tap the link.",
                                    "max_length": 200}
    assert PromptTemplate.objects.get(pk=body["id"]).owner == user


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"category": "poetry"}, "category"),
    ({"body": "Hello {{product}} from {{brand}}"}, "body"),
    ({"body": "Hello {{product.__class__}}"}, "body"),
    ({"body": "x" * 4097}, "body"),
    ({"variables": [{"name": "1st"}]}, "variables"),
    ({"variables": "product"}, "variables"),
    ({"target_duration_seconds": 601}, "target_duration_seconds"),
])
def test_create_validation_errors(auth_client, changes, field):
    response = auth_client.post("/api/ai-studio/prompt-templates", NEW_TEMPLATE | changes, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_retrieve_any_visible_template_but_not_another_users_private_one(auth_client, catalog):
    for kind in ("system", "own", "public"):
        assert auth_client.get(f"/api/ai-studio/prompt-templates/{catalog[kind].pk}").status_code == 200
    response = auth_client.get(f"/api/ai-studio/prompt-templates/{catalog['private'].pk}")
    assert response.status_code == 404


def test_update_your_own_template(auth_client, catalog):
    url = f"/api/ai-studio/prompt-templates/{catalog['own'].pk}"
    patched = auth_client.patch(url, {"name": "Renamed", "is_public": True}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["is_public"]) == ("Renamed", True)
    replaced = auth_client.put(url, NEW_TEMPLATE, format="json")
    assert replaced.status_code == 200
    assert replaced.json()["body"] == NEW_TEMPLATE["body"]


def test_a_body_change_is_checked_against_the_stored_variables(auth_client, catalog):
    url = f"/api/ai-studio/prompt-templates/{catalog['own'].pk}"
    response = auth_client.patch(url, {"body": "Now with {{discount}}"}, format="json")
    assert response.status_code == 400
    assert "discount" in response.json()["error"]["fields"]["body"][0]


@pytest.mark.parametrize("kind", ["system", "public"])
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_visible_templates_of_others_are_read_only(auth_client, catalog, kind, method):
    template = catalog[kind]
    response = getattr(auth_client, method)(f"/api/ai-studio/prompt-templates/{template.pk}", NEW_TEMPLATE,
                                            format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "template_read_only"
    assert PromptTemplate.objects.get(pk=template.pk).name == template.name


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_another_users_private_template_is_404(auth_client, catalog, method):
    template = catalog["private"]
    response = getattr(auth_client, method)(f"/api/ai-studio/prompt-templates/{template.pk}", NEW_TEMPLATE,
                                            format="json")
    assert response.status_code == 404
    assert PromptTemplate.objects.filter(pk=template.pk, name=template.name).exists()


def test_render_of_others_private_template_is_404(auth_client, catalog):
    url = f"/api/ai-studio/prompt-templates/{catalog['private'].pk}/render"
    assert auth_client.post(url, {"variables": {"product": "x"}}, format="json").status_code == 404


def test_delete_your_own_template(auth_client, catalog):
    assert auth_client.delete(f"/api/ai-studio/prompt-templates/{catalog['own'].pk}").status_code == 204
    assert not PromptTemplate.objects.filter(pk=catalog["own"].pk).exists()


def test_render_returns_the_script_its_word_count_and_spoken_duration(auth_client, catalog):
    url = f"/api/ai-studio/prompt-templates/{catalog['system'].pk}/render"
    response = auth_client.post(url, {"variables": {"product": "Glow Serum"}}, format="json")
    assert response.status_code == 200
    assert response.json() == {"script": "Meet Glow Serum. Tap the link.", "word_count": 6,
                               "estimated_duration_seconds": 2.4, "target_duration_seconds": 20}
    assert PromptTemplate.objects.get(pk=catalog["system"].pk).usage_count == 0  # a preview is not a use


def test_render_names_missing_unknown_and_too_long_variables(auth_client, catalog):
    url = f"/api/ai-studio/prompt-templates/{catalog['own'].pk}/render/"
    response = auth_client.post(url, {"variables": {"colour": "red"}}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]["variables"]
    assert set(fields) == {"product", "colour"}
    response = auth_client.post(url, {"variables": {"product": "x" * 41}}, format="json")
    assert "at most 40" in response.json()["error"]["fields"]["variables"]["product"][0]


def test_render_rejects_non_text_values(auth_client, catalog):
    url = f"/api/ai-studio/prompt-templates/{catalog['own'].pk}/render"
    response = auth_client.post(url, {"variables": {"product": {"__class__": 1}}}, format="json")
    assert response.status_code == 400
    assert "product" in response.json()["error"]["fields"]["variables"]


def test_render_never_evaluates_what_a_value_contains(auth_client, catalog):
    url = f"/api/ai-studio/prompt-templates/{catalog['own'].pk}/render"
    payload = "{{cta}} {{ __class__.__mro__ }} {% debug %}"
    response = auth_client.post(url, {"variables": {"product": payload[:40]}}, format="json")
    assert response.status_code == 200
    assert response.json()["script"].startswith("Meet {{cta}} {{ __class__.__mro__ }}")


def test_duplicate_copies_a_visible_template_into_your_own(auth_client, catalog, user):
    response = auth_client.post(f"/api/ai-studio/prompt-templates/{catalog['system'].pk}/duplicate")
    assert response.status_code == 201
    copy = PromptTemplate.objects.get(pk=response.json()["id"])
    assert (copy.owner, copy.name, copy.is_public, copy.body) == (user, "System promo (copy)", False,
                                                                   catalog["system"].body)


def test_record_template_use_counts_each_use(catalog):
    template = catalog["system"]
    record_template_use(template)
    record_template_use(template)
    template.refresh_from_db()
    assert template.usage_count == 2


def test_templates_need_authentication(api_client, catalog):
    assert api_client.get("/api/ai-studio/prompt-templates").status_code == 401
