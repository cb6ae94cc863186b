"""The catalog admin: staff curate avatars, voices and templates; uploads are checked like the API's."""
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.tests.factories import UserFactory
from ai_studio import tasks
from ai_studio.models import AIAvatar, AIVoice, PromptTemplate
from ai_studio.tests.catalog import uploads
from ai_studio.tests.catalog.factories import AvatarFactory, TemplateFactory, VoiceFactory

pytestmark = pytest.mark.django_db


def avatar_form(**overrides):
    return {"name": "Nova", "slug": "nova", "description": "", "is_active": "on", "sort_order": 5,
            "gender": "female", "age_range": "25-34", "style": "casual", "tags": '["saas"]', "framing": "center",
            "background_color": "#101820", "default_voice": ""} | overrides


def voice_form(**overrides):
    return {"name": "Joe", "slug": "joe", "description": "", "is_active": "on", "sort_order": 1,
            "provider": "local", "provider_voice_id": "en_US-joe-medium", "language": "en-US", "accent": "",
            "gender": "male", "style": "natural", "speaking_rate": "1.0"} | overrides


def template_form(**overrides):
    return {"name": "Promo", "category": "promo", "owner": "", "description": "", "tone": "",
            "target_duration_seconds": 30, "body": "Meet {{product}}.",
            "variables": '[{"name": "product"}]', "usage_count": 0} | overrides


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


@pytest.mark.parametrize("model", ["aiavatar", "aivoice", "prompttemplate"])
def test_staff_get_the_list_add_and_change_pages(staff_browser, model):
    item = {"aiavatar": AvatarFactory, "aivoice": VoiceFactory, "prompttemplate": TemplateFactory}[model]()
    for url in [f"/admin/ai_studio/{model}/", f"/admin/ai_studio/{model}/add/",
                f"/admin/ai_studio/{model}/{item.pk}/change/"]:
        assert staff_browser.get(url).status_code == 200, url


@pytest.mark.parametrize("model", ["aiavatar", "aivoice", "prompttemplate"])
def test_non_staff_users_are_sent_to_the_login_page(client, model):
    client.force_login(UserFactory(is_staff=False))
    response = client.get(f"/admin/ai_studio/{model}/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_uploading_a_portrait_stores_it_privately_with_a_thumbnail(staff_browser, avatar_with_portrait):
    response = staff_browser.post("/admin/ai_studio/aiavatar/add/",
                                  avatar_form(portrait=uploads.png_upload(size=(600, 800))))
    assert response.status_code == 302, form_errors(response)
    avatar = AIAvatar.objects.get(slug="nova")
    assert avatar.portrait.name.startswith("catalog/avatars/") and avatar.portrait.name.endswith(".png")
    with default_storage.open(avatar.portrait_thumbnail.name) as thumbnail:
        image = Image.open(thumbnail)
        assert (image.format, max(image.size)) == ("JPEG", 256)


def test_the_change_page_previews_the_portrait(staff_browser, avatar_with_portrait):
    page = staff_browser.get(f"/admin/ai_studio/aiavatar/{avatar_with_portrait.pk}/change/").content.decode()
    assert "<img src=" in page and "Signature" in page


def test_replacing_a_portrait_deletes_the_old_files(staff_browser, avatar_with_portrait,
                                                    django_capture_on_commit_callbacks):
    old = [avatar_with_portrait.portrait.name, avatar_with_portrait.portrait_thumbnail.name]
    form = avatar_form(name="Pat", slug=avatar_with_portrait.slug, portrait=uploads.png_upload(size=(300, 400)),
                       default_voice=avatar_with_portrait.default_voice_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_browser.post(f"/admin/ai_studio/aiavatar/{avatar_with_portrait.pk}/change/", form)
    assert response.status_code == 302, form_errors(response)
    avatar_with_portrait.refresh_from_db()
    assert avatar_with_portrait.portrait.name not in old
    assert not any(default_storage.exists(name) for name in old)


@pytest.mark.parametrize("make_file, message", [
    (uploads.text_renamed_png, "not a valid"),
    (uploads.decompression_bomb, "pixels"),
    (uploads.gif_upload, "not accepted"),
])
def test_portraits_that_are_not_acceptable_images_are_form_errors(staff_browser, make_file, message):
    response = staff_browser.post("/admin/ai_studio/aiavatar/add/", avatar_form(portrait=make_file()))
    assert response.status_code == 200
    assert message in " ".join(form_errors(response)["portrait"])
    assert not AIAvatar.objects.filter(slug="nova").exists()


def test_an_oversized_portrait_is_a_form_error(staff_browser, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 50_000
    response = staff_browser.post("/admin/ai_studio/aiavatar/add/", avatar_form(portrait=uploads.oversized_png(50_000)))
    assert response.status_code == 200
    assert "limit is 50,000 bytes" in form_errors(response)["portrait"][0]


def test_bulk_activate_and_deactivate(staff_browser):
    voices = VoiceFactory.create_batch(2, is_active=False)
    staff_browser.post("/admin/ai_studio/aivoice/", {"action": "activate", "_selected_action": [v.pk for v in voices]})
    assert AIVoice.objects.filter(is_active=True).count() == 2
    staff_browser.post("/admin/ai_studio/aivoice/", {"action": "deactivate", "_selected_action": [voices[0].pk]})
    assert list(AIVoice.objects.filter(is_active=True)) == [voices[1]]


def test_a_voice_must_be_one_its_provider_offers(staff_browser):
    response = staff_browser.post("/admin/ai_studio/aivoice/add/", voice_form(provider="openai",
                                                                               provider_voice_id="darth"))
    assert "no voice 'darth'" in form_errors(response)["provider_voice_id"][0]
    assert staff_browser.post("/admin/ai_studio/aivoice/add/", voice_form()).status_code == 302


def test_staff_can_upload_a_sample_and_the_list_plays_it(staff_browser):
    wav = SimpleUploadedFile("whatever.mp3", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\0" * 64)
    assert staff_browser.post("/admin/ai_studio/aivoice/add/", voice_form(sample_audio=wav)).status_code == 302
    assert AIVoice.objects.get(slug="joe").sample_audio.name.endswith(".wav")
    page = staff_browser.get("/admin/ai_studio/aivoice/").content.decode()
    assert "<audio controls" in page


def test_a_sample_that_is_not_audio_is_refused(staff_browser):
    fake = SimpleUploadedFile("sample.wav", b"<html>not audio</html>")
    response = staff_browser.post("/admin/ai_studio/aivoice/add/", voice_form(sample_audio=fake))
    assert "Not a WAV, MP3 or Ogg" in form_errors(response)["sample_audio"][0]


def test_generate_samples_action_queues_only_voices_without_one(staff_browser, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.generate_voice_sample, "delay", queued.append)
    silent = VoiceFactory()
    sampled = VoiceFactory(sample_audio="catalog/voice-samples/x.wav")
    staff_browser.post("/admin/ai_studio/aivoice/", {"action": "generate_samples",
                                                     "_selected_action": [silent.pk, sampled.pk]})
    assert queued == [silent.pk]


def test_a_system_template_is_validated_and_normalised(staff_browser):
    response = staff_browser.post("/admin/ai_studio/prompttemplate/add/",
                                  template_form(body="Meet {{product}} and {{ __class__ }}"))
    assert "{{ __class__ }}" in form_errors(response)["body"][0]
    response = staff_browser.post("/admin/ai_studio/prompttemplate/add/", template_form())
    assert response.status_code == 302
    template = PromptTemplate.objects.get(name="Promo")
    assert template.is_system
    assert template.variables == [{"name": "product", "label": "Product", "required": True, "default": "",
                                   "max_length": 200}]


def test_the_template_page_lists_its_variables_live(staff_browser):
    template = TemplateFactory(owner=None)
    page = staff_browser.get(f"/admin/ai_studio/prompttemplate/{template.pk}/change/").content.decode()
    assert 'id="template-variable-list"' in page
    assert "<code>{{product}}</code>" in page and "<code>{{cta}}</code>" in page
    assert 'body.addEventListener("input"' in page


def test_duplicate_action_copies_templates(staff_browser):
    template = TemplateFactory(owner=None, name="Original", is_public=True, usage_count=9)
    staff_browser.post("/admin/ai_studio/prompttemplate/", {"action": "duplicate",
                                                            "_selected_action": [template.pk]})
    copy = PromptTemplate.objects.get(name="Original (copy)")
    assert (copy.owner, copy.body, copy.is_public, copy.usage_count) == (None, template.body, False, 0)


def test_templates_filter_by_source(staff_browser, user):
    TemplateFactory(owner=None, name="Curated one")
    TemplateFactory(owner=user, name="Users one")
    page = staff_browser.get("/admin/ai_studio/prompttemplate/", {"source": "system"}).content.decode()
    assert "Curated one" in page and "Users one" not in page
