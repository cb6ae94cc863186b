"""Staff write the script writer's instructions in the admin, in versions, and see every call's tokens."""
import pytest

from ai_studio.models import LanguageModelCall, WriterPrompt
from ai_studio.selectors.script_writer import active_writer_prompt
from ai_studio.services.language_model import ensure_default_prompts, publish_prompt_version
from ai_studio.writing.prompts import DEFAULT_DRAFT_INSTRUCTIONS

pytestmark = pytest.mark.django_db
PROMPTS = "/admin/ai_studio/writerprompt/"


@pytest.fixture
def staff_browser(client, staff_user):
    client.force_login(staff_user)
    return client


def test_adding_instructions_makes_the_next_version_and_puts_it_in_use(staff_browser, staff_user):
    first = publish_prompt_version(name="draft", text="First.")

    response = staff_browser.post(f"{PROMPTS}add/", {"name": "draft", "text": "Second, better.",
                                                     "notes": "Shorter hooks.", "is_active": "on"})

    assert response.status_code == 302
    second = WriterPrompt.objects.get(text="Second, better.")
    assert (second.version, second.created_by, second.notes) == (2, staff_user, "Shorter hooks.")
    assert active_writer_prompt("draft") == second
    assert WriterPrompt.objects.get(pk=first.pk).text == "First."


def test_a_new_version_starts_from_the_one_it_is_written_from(staff_browser):
    source = publish_prompt_version(name="translate", text="Keep <names> & {{variables}}.")

    change_page = staff_browser.get(f"{PROMPTS}{source.pk}/change/").content.decode()
    assert f"{PROMPTS}add/?copy_from={source.pk}" in change_page
    add_page = staff_browser.get(f"{PROMPTS}add/", {"copy_from": source.pk}).content.decode()
    assert "Keep &lt;names&gt; &amp; {{variables}}." in add_page


def test_a_saved_version_keeps_its_text_and_only_its_switch_and_notes_change(staff_browser):
    prompt = publish_prompt_version(name="draft", text="As used.")

    staff_browser.post(f"{PROMPTS}{prompt.pk}/change/", {"text": "Rewritten.", "notes": "Paused.", "is_active": ""})

    prompt.refresh_from_db()
    assert (prompt.text, prompt.notes, prompt.is_active) == ("As used.", "Paused.", False)


def test_deactivating_the_latest_version_rolls_back_to_the_one_before(staff_browser):
    first = publish_prompt_version(name="draft", text="One.")
    second = publish_prompt_version(name="draft", text="Two.")

    staff_browser.post(PROMPTS, {"action": "deactivate_versions", "_selected_action": [second.pk]})
    assert active_writer_prompt("draft") == first
    assert "Used now" in staff_browser.get(PROMPTS).content.decode()
    staff_browser.post(PROMPTS, {"action": "activate_versions", "_selected_action": [second.pk]})
    assert active_writer_prompt("draft") == second


def test_the_default_instructions_are_stored_once_as_version_one():
    assert ensure_default_prompts() == 2
    assert ensure_default_prompts() == 0
    assert active_writer_prompt("draft").text == DEFAULT_DRAFT_INSTRUCTIONS


def test_staff_see_each_call_and_the_tokens_the_filters_select_but_cannot_edit_them(staff_browser, user):
    LanguageModelCall.objects.create(user=user, purpose="draft", model="gpt-4o-mini", prompt_tokens=900,
                                     completion_tokens=300, total_tokens=1200, success=True)
    failed = LanguageModelCall.objects.create(user=user, purpose="translate", model="gpt-4o-mini", success=False,
                                              error_code="writer_timeout")
    calls = "/admin/ai_studio/languagemodelcall/"

    listing = staff_browser.get(calls).content.decode()
    assert "2 calls, 1,200 tokens" in listing and user.email in listing
    assert "1 calls, 0 tokens" in staff_browser.get(calls, {"success__exact": "0"}).content.decode()
    assert staff_browser.get(f"{calls}add/").status_code == 403
    staff_browser.post(f"{calls}{failed.pk}/change/", {"total_tokens": 5})
    failed.refresh_from_db()
    assert failed.total_tokens == 0
