"""The music catalog: staff upload beds checked by decoding them; users list the active ones with licence,
credit and a presigned preview."""
from urllib.request import urlopen

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from ai_studio.models import MusicTrack
from ai_studio.tests.catalog import uploads
from ai_studio.tests.catalog.factories import GenerationJobFactory, MusicTrackFactory, stored_music_track

pytestmark = pytest.mark.django_db


def results(response) -> list[dict]:
    assert response.status_code == 200, response.json()
    return response.json()["results"]


# --- the API ----------------------------------------------------------------------------------
def test_users_see_active_tracks_with_mood_length_licence_credit_and_a_preview(auth_client):
    calm = stored_music_track(seconds=7.0, slug="calm", title="Still", mood="calm", licence="CC BY 4.0",
                              credit="Jo Composer", sort_order=1)
    stored_music_track(slug="retired", is_active=False)
    MusicTrackFactory(slug="no-audio-yet")  # nothing to play: not offered

    items = results(auth_client.get("/api/ai-studio/music"))

    assert [item["slug"] for item in items] == ["calm"]
    item = items[0]
    assert (item["id"], item["title"], item["mood"]) == (calm.pk, "Still", "calm")
    assert (item["licence"], item["credit"]) == ("CC BY 4.0", "Jo Composer")
    assert item["duration_seconds"] == pytest.approx(7.0, abs=0.05)
    assert item["preview_url"].startswith(("http://", "https://")) and "Signature" in item["preview_url"]
    with urlopen(item["preview_url"], timeout=10) as response:
        assert response.read(4) == b"RIFF"


def test_tracks_filter_by_mood_and_an_inactive_one_is_not_found(auth_client):
    stored_music_track(slug="up", mood="upbeat")
    stored_music_track(slug="calm", mood="Calm")
    retired = stored_music_track(slug="old", is_active=False)
    assert [item["slug"] for item in results(auth_client.get("/api/ai-studio/music", {"mood": "calm"}))] == ["calm"]
    assert auth_client.get(f"/api/ai-studio/music/{retired.pk}").status_code == 404


def test_the_cached_list_changes_as_soon_as_staff_change_a_track(auth_client):
    track = stored_music_track(slug="soon-off")
    assert len(results(auth_client.get("/api/ai-studio/music"))) == 1
    track.is_active = False
    track.save()
    assert results(auth_client.get("/api/ai-studio/music")) == []


def test_the_music_list_needs_authentication(api_client):
    assert api_client.get("/api/ai-studio/music").status_code == 401


# --- the admin --------------------------------------------------------------------------------
def music_form(**overrides) -> dict:
    return {"title": "Sunrise", "slug": "sunrise", "mood": "upbeat", "description": "", "is_active": "on",
            "sort_order": 5, "licence": "CC0 1.0", "credit": ""} | overrides


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def test_staff_upload_a_track_that_is_stored_with_its_measured_length_and_played(staff_browser):
    response = staff_browser.post("/admin/ai_studio/musictrack/add/", music_form(audio=uploads.music_upload()))
    assert response.status_code == 302, form_errors(response)
    track = MusicTrack.objects.get(slug="sunrise")
    assert track.audio.name.startswith("catalog/music/") and track.audio.name.endswith(".wav")
    assert track.duration_seconds == pytest.approx(6.0, abs=0.05)
    assert default_storage.exists(track.audio.name)
    for page in ("/admin/ai_studio/musictrack/", f"/admin/ai_studio/musictrack/{track.pk}/change/"):
        assert '<audio controls preload="none" src="' in staff_browser.get(page).content.decode()


@pytest.mark.parametrize("make_file, message", [
    (lambda: SimpleUploadedFile("song.mp3", b"<html>not audio</html>" * 50), "Not a WAV, MP3 or Ogg"),
    (uploads.wav_header_with_noise, "does not decode as audio"),
    (lambda: uploads.music_upload(seconds=2.0), "it must last 5 to 600 s"),
])
def test_files_that_are_not_usable_music_are_refused(staff_browser, make_file, message):
    response = staff_browser.post("/admin/ai_studio/musictrack/add/", music_form(audio=make_file()))
    assert response.status_code == 200
    assert message in " ".join(form_errors(response)["audio"])
    assert not MusicTrack.objects.exists()


def test_an_oversized_track_is_refused(staff_browser, settings):
    settings.MAX_AUDIO_UPLOAD_BYTES = 100_000
    response = staff_browser.post("/admin/ai_studio/musictrack/add/", music_form(audio=uploads.music_upload()))
    assert "limit is 100,000 bytes" in form_errors(response)["audio"][0]


def test_a_track_needs_its_audio(staff_browser):
    response = staff_browser.post("/admin/ai_studio/musictrack/add/", music_form())
    assert "Upload the music." in form_errors(response)["audio"]


def test_the_jobs_admin_shows_each_jobs_music(staff_browser):
    job = GenerationJobFactory(music=stored_music_track(title="Bright Start"))
    assert "Bright Start" in staff_browser.get("/admin/ai_studio/videogenerationjob/").content.decode()
    assert "Bright Start" in staff_browser.get(
        f"/admin/ai_studio/videogenerationjob/{job.pk}/change/").content.decode()


def test_the_openapi_schema_documents_the_music_list_and_the_jobs_music_id(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "/api/ai-studio/music" in schema["paths"]
    components = schema["components"]["schemas"]
    track_fields = set(components["MusicTrack"]["properties"])
    assert {"licence", "credit", "preview_url", "duration_seconds", "mood"} <= track_fields
    assert "/api/ai-studio/music" in components["GenerateVideoRequest"]["properties"]["music_id"]["description"]
