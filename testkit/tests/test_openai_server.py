"""The local OpenAI-compatible API, exercised through the real `openai` SDK.

These pin down what the project's tests can rely on: real WAV audio from /v1/audio/speech, word
timestamps from /v1/audio/transcriptions, scripted answers from /v1/chat/completions checked like
the real API's requests, and OpenAI-shaped errors that the SDK turns into its own exception classes.
"""
from __future__ import annotations

import io
import json
import wave

import numpy as np
import openai
import pytest
from django.conf import settings
from openai import OpenAI

from testkit.openai_server import SAMPLE_RATE, ChatAnswer


@pytest.fixture
def client(openai_server) -> OpenAI:
    # Built from the settings the fixture set, as production code would build its client.
    return OpenAI(api_key=settings.OPENAI_API_KEY, base_url=settings.OPENAI_BASE_URL, max_retries=0)


def speak(client: OpenAI, text: str, **options) -> bytes:
    options = {"model": "tts-1", "voice": "alloy", "response_format": "wav", **options}
    return client.audio.speech.create(input=text, **options).content


def read_wav(data: bytes) -> tuple[wave._wave_params, np.ndarray]:
    with wave.open(io.BytesIO(data), "rb") as audio:
        return audio.getparams(), np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")


def test_the_fixture_points_settings_at_the_server(openai_server):
    assert settings.OPENAI_BASE_URL == openai_server.base_url
    assert openai_server.base_url.startswith("http://127.0.0.1:") and openai_server.base_url.endswith("/v1")
    assert openai_server.env() == {"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": openai_server.base_url}


def test_speech_is_a_real_mono_16_bit_24khz_wav(client, openai_server):
    params, samples = read_wav(speak(client, "Make your first reel in minutes."))

    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, SAMPLE_RATE)
    assert params.nframes > 0
    assert np.abs(samples).max() > 1000  # not silence
    assert 1.5 < params.nframes / SAMPLE_RATE < 3.5  # six words of ~0.3-0.4 s, plus pauses
    request = openai_server.requests_to("/audio/speech")[-1]
    assert request.json == {"model": "tts-1", "voice": "alloy", "input": "Make your first reel in minutes.",
                            "response_format": "wav"}
    assert request.headers["authorization"] == "Bearer test-key"


def test_speed_shortens_the_audio(client):
    normal, _ = read_wav(speak(client, "one two three four five six"))
    fast, _ = read_wav(speak(client, "one two three four five six", speed=2.0))

    assert fast.nframes < 0.6 * normal.nframes


def test_pcm_is_raw_samples_of_the_same_audio(client):
    _, samples = read_wav(speak(client, "hello world"))
    pcm = speak(client, "hello world", response_format="pcm")

    assert np.array_equal(np.frombuffer(pcm, dtype="<i2"), samples)


def test_an_unknown_voice_is_a_400_in_openai_error_shape(client):
    with pytest.raises(openai.BadRequestError) as raised:
        speak(client, "hi", voice="robot")

    assert raised.value.status_code == 400
    assert raised.value.body["param"] == "voice"
    assert raised.value.body["type"] == "invalid_request_error"
    assert set(raised.value.body) == {"message", "type", "param", "code"}


def test_a_wrong_api_key_is_an_authentication_error(openai_server):
    stranger = OpenAI(api_key="sk-wrong-key-000", base_url=openai_server.base_url, max_retries=0)

    with pytest.raises(openai.AuthenticationError):
        speak(stranger, "hi")


def test_a_scripted_429_surfaces_as_rate_limit_error(client, openai_server):
    openai_server.fail_next(status=429, times=1)

    with pytest.raises(openai.RateLimitError) as raised:
        speak(client, "hi")

    assert raised.value.response.headers["retry-after"] == "0"
    assert raised.value.body["code"] == "rate_limit_exceeded"
    assert len(speak(client, "hi")) > 44  # only the next request failed


def test_a_scripted_500_surfaces_as_internal_server_error(client, openai_server):
    openai_server.fail_always(status=500)

    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            speak(client, "hi")

    openai_server.reset()
    assert len(speak(client, "hi")) > 44


def test_the_sdk_retries_scripted_failures_quickly(openai_server):
    retrying = OpenAI(api_key=openai_server.api_key, base_url=openai_server.base_url, max_retries=2)
    openai_server.fail_next(status=503, times=2, path="/audio/speech")

    audio = speak(retrying, "third time lucky")

    assert read_wav(audio)[0].nframes > 0
    assert [r.status for r in openai_server.requests_to("/audio/speech")] == [503, 503, 200]


def test_transcription_returns_the_words_and_timings_of_generated_speech(client):
    text = "Hello there, this is ReelMate speaking."
    audio = speak(client, text)

    result = client.audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", audio, "audio/wav"),
        response_format="verbose_json", timestamp_granularities=["word"],
    )

    params, samples = read_wav(audio)
    assert result.text == text
    assert [w.word for w in result.words] == ["Hello", "there", "this", "is", "ReelMate", "speaking"]
    assert result.duration == pytest.approx(params.nframes / SAMPLE_RATE, abs=0.01)
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    for word in result.words:
        assert 0 <= word.start < word.end <= result.duration
        assert 0.2 <= word.end - word.start <= 0.45
        # The timings point at sound: the word's middle is loud, the pause before it silent.
        middle = int((word.start + word.end) / 2 * SAMPLE_RATE)
        assert np.abs(samples[middle - 240: middle + 240]).max() > 1000
        before = samples[int((word.start - 0.04) * SAMPLE_RATE): int((word.start - 0.002) * SAMPLE_RATE)]
        assert np.abs(before).max() == 0


def test_transcription_of_other_audio_uses_a_scripted_transcript(client, openai_server):
    # Audio the server did not produce (here: re-levelled), so it is segmented by energy.
    params, samples = read_wav(speak(client, "alpha beta gamma"))
    quieter = io.BytesIO()
    with wave.open(quieter, "wb") as out:
        out.setparams(params)
        out.writeframes((samples // 2).astype("<i2").tobytes())
    openai_server.set_transcript("first second third")

    result = client.audio.transcriptions.create(
        model="whisper-1", file=("other.wav", quieter.getvalue()),
        response_format="verbose_json", timestamp_granularities=["word"],
    )

    assert [w.word for w in result.words] == ["first", "second", "third"]
    assert all(w.end - w.start > 0.2 for w in result.words)


def test_transcription_failures_are_scriptable_per_endpoint(client, openai_server):
    audio = speak(client, "hi")
    openai_server.fail_next(status=500, path="/audio/transcriptions")

    with pytest.raises(openai.InternalServerError):
        client.audio.transcriptions.create(model="whisper-1", file=("a.wav", audio))
    assert client.audio.transcriptions.create(model="whisper-1", file=("a.wav", audio)).text == "hi"


# --- chat completions ---------------------------------------------------------------------------
ANSWER_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["greeting", "words"],
    "properties": {"greeting": {"type": "string"}, "words": {"type": "array", "items": {"type": "string"}}},
}


def structured(schema: dict, *, strict: bool = True) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "answer", "strict": strict, "schema": schema}}


def chat(client: OpenAI, content: str = "Say hello.", **options):
    options = {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "Be brief."},
                                                    {"role": "user", "content": content}], **options}
    return client.chat.completions.create(**options)


def test_chat_answers_are_scripted_in_order_and_count_tokens(client, openai_server):
    openai_server.answer_chat("Hello!", {"greeting": "Hi", "words": ["a", "b"]})

    first = chat(client)
    second = chat(client, response_format=structured(ANSWER_SCHEMA))

    assert first.choices[0].message.content == "Hello!"
    assert first.choices[0].finish_reason == "stop"
    assert json.loads(second.choices[0].message.content) == {"greeting": "Hi", "words": ["a", "b"]}
    assert first.usage.prompt_tokens > 0 and first.usage.completion_tokens == 2  # "Hello!": 6 characters
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens
    assert openai_server.requests_to("/chat/completions")[0].json["messages"][1] == {"role": "user",
                                                                                    "content": "Say hello."}


def test_without_a_script_the_answer_is_a_minimal_instance_of_the_schema(client):
    answer = chat(client, response_format=structured(ANSWER_SCHEMA))

    assert json.loads(answer.choices[0].message.content) == {"greeting": "text", "words": ["text"]}


def test_an_answer_can_be_computed_from_the_request_or_be_a_refusal_or_cut_short(client, openai_server):
    openai_server.answer_chat(lambda body: body["messages"][-1]["content"].upper(),
                              ChatAnswer(refusal="I can't help with that."),
                              ChatAnswer(content='{"greeting": "Hel', finish_reason="length"))

    assert chat(client, "echo me").choices[0].message.content == "ECHO ME"
    refused = chat(client).choices[0]
    assert (refused.message.content, refused.message.refusal) == (None, "I can't help with that.")
    assert chat(client).choices[0].finish_reason == "length"


def test_a_strict_schema_must_close_its_objects_and_require_every_property(client, openai_server):
    loose = {**ANSWER_SCHEMA, "required": ["greeting"]}
    open_object = {key: value for key, value in ANSWER_SCHEMA.items() if key != "additionalProperties"}

    for schema in (loose, open_object):
        with pytest.raises(openai.BadRequestError) as raised:
            chat(client, response_format=structured(schema))
        assert raised.value.body["code"] == "invalid_json_schema"
    assert chat(client, response_format=structured(loose, strict=False)).choices[0].message.content


def test_chat_requests_are_checked_like_the_real_api(client):
    with pytest.raises(openai.NotFoundError):
        chat(client, model="gpt-unknown")
    with pytest.raises(openai.BadRequestError):
        chat(client, messages=[])
    with pytest.raises(openai.BadRequestError):  # json_object needs the word JSON in the messages
        chat(client, response_format={"type": "json_object"})
    assert chat(client, "Answer in JSON.", response_format={"type": "json_object"}).choices[0].message.content == "{}"


def test_chat_failures_and_delays_are_scriptable_and_answers_go_in_order_of_arrival(client, openai_server):
    openai_server.answer_chat("for the slow one", "for the next one")
    openai_server.fail_next(status=503, times=1, path="/chat/completions")
    openai_server.delay_next(1.0, path="/chat/completions")

    with pytest.raises(openai.InternalServerError):  # refused: its answer stays for the next request
        chat(client)
    with pytest.raises(openai.APITimeoutError):  # keeps the answer it arrived for, though it ends later
        chat(client.with_options(timeout=0.2))
    assert chat(client).choices[0].message.content == "for the next one"
