"""Voice preview samples: synthesised by the worker with the voice's own provider, made once."""
import wave

import pytest
from django.core.files.storage import default_storage

from ai_studio.generation.speech import PermanentSpeechError, TransientSpeechError
from ai_studio.models import AIVoice
from ai_studio.services.catalog import sample_sentence
from ai_studio.tasks import generate_voice_sample
from ai_studio.tests.catalog.factories import VoiceFactory
from reelmate.celery import app

pytestmark = pytest.mark.django_db


def stored_wav_seconds(voice: AIVoice) -> float:
    voice.refresh_from_db()
    with default_storage.open(voice.sample_audio.name) as stored, wave.open(stored) as audio:
        return audio.getnframes() / audio.getframerate()


def test_a_local_voice_speaks_its_sample_offline():
    voice = VoiceFactory(name="Joe", provider="local", provider_voice_id="en_US-joe-medium")
    assert generate_voice_sample(voice.pk) is True
    assert AIVoice.objects.get(pk=voice.pk).sample_audio.name.endswith(".wav")
    assert 2.0 < stored_wav_seconds(voice) < 15.0


def test_an_openai_voice_speaks_through_the_openai_api(openai_server):
    voice = VoiceFactory(name="Nova", provider="openai", provider_voice_id="nova")
    assert generate_voice_sample(voice.pk) is True
    speech = [r for r in openai_server.requests if r.path.endswith("/audio/speech")]
    assert speech[-1].json["voice"] == "nova"
    assert speech[-1].json["input"] == sample_sentence(voice)
    assert stored_wav_seconds(voice) > 1.0


def test_a_voice_with_a_sample_is_left_alone(monkeypatch):
    voice = VoiceFactory(sample_audio="catalog/voice-samples/uploaded.mp3")
    monkeypatch.setattr("ai_studio.services.engine_requests.speech_provider_for",
                        lambda voice: pytest.fail("no synthesis for a voice that has a sample"))
    assert generate_voice_sample(voice.pk) is False
    voice.refresh_from_db()
    assert voice.sample_audio.name == "catalog/voice-samples/uploaded.mp3"


def test_an_openai_voice_without_an_api_key_is_skipped(settings):
    settings.OPENAI_API_KEY = ""
    voice = VoiceFactory(provider="openai", provider_voice_id="nova")
    assert generate_voice_sample(voice.pk) is False
    voice.refresh_from_db()
    assert not voice.sample_audio


def test_the_sample_is_spoken_in_the_voices_language():
    assert sample_sentence(VoiceFactory(name="Ana", language="es-ES")).startswith("Hola, soy Ana.")
    assert sample_sentence(VoiceFactory(name="Kai", language="ja-JP")).startswith("Hi, I'm Kai.")


class FailingProvider:
    def __init__(self, error):
        self.error = error

    def synthesize(self, *args, **kwargs):
        raise self.error


def test_a_transient_failure_is_raised_for_a_retry(monkeypatch):
    voice = VoiceFactory()
    monkeypatch.setattr("ai_studio.services.engine_requests.speech_provider_for",
                        lambda voice: FailingProvider(TransientSpeechError("speech_rate_limited", "slow down")))
    with pytest.raises(TransientSpeechError):  # called directly, Celery's retry re-raises the cause
        generate_voice_sample(voice.pk)


@pytest.fixture
def run_like_a_worker(monkeypatch):
    """Run the task eagerly, retries included, recording failures as a worker does.

    The suite makes eager tasks raise (task_eager_propagates), which would raise the first retry
    instead of running it; here every run, retries too, is traced without raising. The backoff's
    countdown is skipped: eager retries run at once.
    """
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    return lambda task, *args: task.apply(args=args)


def test_a_transient_failure_is_retried_and_then_succeeds(openai_server, run_like_a_worker):
    voice = VoiceFactory(name="Nova", provider="openai", provider_voice_id="nova")
    openai_server.fail_next(status=429, times=2, path="/audio/speech")

    result = run_like_a_worker(generate_voice_sample, voice.pk)

    assert (result.state, result.get()) == ("SUCCESS", True)
    assert [r.status for r in openai_server.requests_to("/audio/speech")] == [429, 429, 200]
    assert stored_wav_seconds(voice) > 1.0


def test_transient_failures_are_given_up_after_three_retries(openai_server, run_like_a_worker):
    voice = VoiceFactory(provider="openai", provider_voice_id="nova")
    openai_server.fail_always(status=503, path="/audio/speech")

    result = run_like_a_worker(generate_voice_sample, voice.pk)

    assert result.state == "FAILURE" and isinstance(result.result, TransientSpeechError)
    assert len(openai_server.requests_to("/audio/speech")) == 4  # the first run and three retries
    voice.refresh_from_db()
    assert not voice.sample_audio


def test_a_permanent_failure_is_logged_and_dropped(monkeypatch, caplog):
    voice = VoiceFactory()
    monkeypatch.setattr("ai_studio.services.engine_requests.speech_provider_for",
                        lambda voice: FailingProvider(PermanentSpeechError("speech_unknown_voice", "who?")))
    assert generate_voice_sample(voice.pk) is False
    assert "speech_unknown_voice" in caplog.text


def test_an_unknown_voice_id_is_ignored():
    assert generate_voice_sample(987654) is False
