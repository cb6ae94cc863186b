"""POST /api/ai-studio/scripts/translate: a script in other languages, keeping its variables, names and
call to action, each with a voice that speaks it; refused clearly without a language model."""
import json

import pytest

from ai_studio.models import LanguageModelCall
from ai_studio.tests.catalog.factories import VoiceFactory
from ai_studio.tests.scripts.conftest import data_sent
from ai_studio.writing.prompts import DEFAULT_TRANSLATE_INSTRUCTIONS
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
URL = "/api/ai-studio/scripts/translate"
SCRIPT = "Hey {{first_name}}, wet socks? Not with TrailFlex 2 from Stride. Shop the drop today."
GERMAN = {"language": "de-DE", "script": "Hey {{first_name}}, nasse Socken? Nicht mit TrailFlex 2 von Stride. "
                                         "Hol sie dir noch heute.", "call_to_action": "Hol sie dir noch heute."}
SPANISH = {"language": "es", "script": "Hola {{first_name}}, ¿calcetines mojados? No con TrailFlex 2 de Stride. "
                                       "Compra hoy mismo.", "call_to_action": "Compra hoy mismo."}


def translate(client, **fields):
    return client.post(URL, {"script": SCRIPT, "languages": ["de-DE", "es"], **fields}, format="json")


@pytest.fixture
def voices(db):
    return {"de": VoiceFactory(provider_voice_id="espeak:de", language="de-DE"),
            "es": VoiceFactory(provider_voice_id="espeak:es", language="es-ES")}


def test_each_translation_keeps_variables_names_and_call_to_action_and_gets_a_voice(auth_client, writer,
                                                                                   campaign, voices):
    writer.answer_chat({"translations": [SPANISH, GERMAN]})

    response = translate(auth_client, campaign_id=campaign.pk)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["kept_names"] == ["Stride", "TrailFlex 2"]
    assert (body["call_to_action"], body["source_language"]) == ("Shop the drop today.", "en")
    german, spanish = body["translations"]  # in the order asked for
    assert (german["language"], german["script"], german["voice_id"]) == ("de-DE", GERMAN["script"], voices["de"].pk)
    assert (spanish["language"], spanish["voice_id"]) == ("es", voices["es"].pk)  # "es" matches es-ES
    assert german["estimated_duration_seconds"] == round(german["word_count"] / 2.64, 1)
    request = writer.requests_to("/chat/completions")[0]
    assert request.json["messages"][0]["content"] == DEFAULT_TRANSLATE_INSTRUCTIONS
    assert data_sent(request) == {"task": "translate_script", "script": SCRIPT, "source_language": "en",
                                  "languages": ["de-DE", "es"], "keep_names": ["Stride", "TrailFlex 2"],
                                  "call_to_action": "Shop the drop today."}
    assert LanguageModelCall.objects.get().purpose == "translate"


def test_the_voices_api_offers_a_voice_for_each_translated_language(auth_client, voices):
    for language, voice in voices.items():
        listed = auth_client.get("/api/ai-studio/voices", {"language": language}).json()["results"]
        assert [item["id"] for item in listed] == [voice.pk]


def test_a_translation_that_drops_a_variable_is_retried_then_refused(auth_client, writer):
    lost = {**GERMAN, "script": GERMAN["script"].replace("{{first_name}}", "Anna")}
    writer.answer_chat(*[{"translations": [lost, SPANISH]}] * 3)

    response = translate(auth_client)

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "writer_invalid_output"
    assert error["problems"] == ["The de-DE translation must keep the placeholders exactly as in the original "
                                 "({{first_name}} ×1)."]
    assert len(writer.requests_to("/chat/completions")) == 3


def test_brand_like_words_and_given_names_are_kept_without_a_campaign(auth_client, writer):
    script = "Meet ReelMate and the X100 camera from Acme. Try it today."
    writer.answer_chat({"translations": [{"language": "fr", "script": "Découvrez ReelMate et la caméra X100 "
                                          "d'Acme. Essayez-la aujourd'hui.", "call_to_action": "Essayez-la "
                                          "aujourd'hui."}]})

    body = auth_client.post(URL, {"script": script, "languages": ["fr"], "brand_names": ["Acme"]},
                            format="json").json()

    assert body["kept_names"] == ["Acme", "ReelMate", "X100"]
    assert body["call_to_action"] == "Try it today."  # the last sentence, when none is given
    assert body["translations"][0]["voice_id"] is None  # no French voice in this catalog


def test_a_call_to_action_that_the_script_does_not_contain_is_refused(auth_client, writer):
    response = translate(auth_client, call_to_action="Buy two, get one free.")
    assert response.status_code == 400
    assert "call_to_action" in response.json()["error"]["fields"]


def test_without_a_key_translation_is_refused_clearly(auth_client, settings):
    settings.OPENAI_API_KEY = ""

    response = translate(auth_client)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "writer_unavailable"
    assert "OPENAI_API_KEY" in response.json()["error"]["message"]


def test_another_users_campaign_is_not_found(auth_client, other_user, writer):
    assert translate(auth_client, campaign_id=CampaignFactory(owner=other_user).pk).status_code == 404
    assert writer.requests_to("/chat/completions") == []


@pytest.mark.parametrize("fields", [{"languages": []}, {"languages": ["xx_YY"]}, {"languages": ["a"]},
                                    {"languages": ["de", "es", "fr", "it", "pt", "nl"]}, {"script": "  ...  "}])
def test_the_request_is_validated(auth_client, fields):
    assert translate(auth_client, **fields).status_code == 400


def test_the_translation_schema_is_strict_and_the_answer_is_json(auth_client, writer):
    writer.answer_chat({"translations": [GERMAN, SPANISH]})
    translate(auth_client)

    response_format = writer.requests_to("/chat/completions")[0].json["response_format"]
    assert response_format["json_schema"]["name"] == "script_translations"
    assert response_format["json_schema"]["strict"] is True
    assert json.dumps(response_format["json_schema"]["schema"]).count('"additionalProperties": false') == 2
