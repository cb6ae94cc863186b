"""A local OpenAI-compatible API for tests: real HTTP, real audio, scripted chat, scriptable failures.

Implements the endpoints the project uses, closely enough that the official `openai` SDK talks
to it unchanged (point `base_url` here):

* `POST /v1/audio/speech` returns real audio: a mono 16-bit 24 kHz WAV (or raw `pcm`; `mp3`,
  `flac`, `opus` and `aac` are encoded with the imageio-ffmpeg binary, when it has one) of a
  speech-like voiced sound, one syllable-modulated harmonic "word" per input word with short
  pauses between words and longer ones at punctuation. The words and their timings are remembered.
* `POST /v1/audio/transcriptions` (multipart) decodes the uploaded audio and returns `json`,
  `text`, `verbose_json` (with `words` and/or `segments` per `timestamp_granularities[]`), `srt`
  or `vtt`. Audio this server produced (recognised by a hash of the bytes or of the samples) is
  transcribed exactly: the words of the input and their true start/end times. Any other audio is
  segmented by energy; its words come from `set_transcript()` if a test scripted one, otherwise
  from a remembered clip of about the same duration (e.g. the TTS output after loudness
  normalisation), otherwise they are placeholders (`word1 word2 ...`).
* `POST /v1/chat/completions` checks the request as the real API does (known model, messages,
  `response_format` of type `text`, `json_object` or `json_schema`; a strict schema must close
  every object with `additionalProperties: false` and require all its properties) and answers
  with the next answer a test scripted with `answer_chat()` (text, a JSON value, a function of
  the request, or a `ChatAnswer` with a refusal or a `finish_reason`), else with a minimal
  instance of the requested schema. `usage` counts about four characters per token.

Errors use OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the status the
SDK maps to its exception classes (400 BadRequestError, 401 AuthenticationError, 404
NotFoundError, 429 RateLimitError, 5xx InternalServerError). Tests script failures with
`fail_next()` / `fail_always()` and slowness with `delay_next()`, and inspect `requests`.
"""
from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import json
import math
import re
import subprocess
import threading
import time
import uuid
import wave
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import imageio_ffmpeg
import numpy as np

from testkit import StartStop

__all__ = [
    "SAMPLE_RATE",
    "VOICES",
    "ChatAnswer",
    "FakeOpenAIServer",
    "RecordedRequest",
    "UploadedFile",
    "WordTiming",
    "synthesize_speech",
]

SAMPLE_RATE = 24_000  # what OpenAI's speech endpoint produces for wav and pcm

VOICES = frozenset({
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin", "cedar",
})
TTS_MODELS = frozenset({
    "tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-03-20", "gpt-4o-mini-tts-2025-12-15",
})
TRANSCRIBE_MODELS = frozenset({
    "whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-4o-mini-transcribe-2025-03-20",
    "gpt-4o-mini-transcribe-2025-12-15",
})
CHAT_MODELS = frozenset({
    "gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "gpt-5-nano",
})
CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPTION_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
MAX_INPUT_CHARS = 4096

# Fundamental frequency per voice, so different voices really sound (and hash) differently.
_VOICE_F0 = {
    "alloy": 150.0, "ash": 115.0, "ballad": 125.0, "coral": 205.0, "echo": 110.0, "fable": 160.0,
    "nova": 215.0, "onyx": 95.0, "sage": 190.0, "shimmer": 220.0, "verse": 130.0, "marin": 200.0, "cedar": 105.0,
}
_RETRYABLE = {408, 409, 429} | set(range(500, 600))
_ERROR_DEFAULTS: dict[int, tuple[str, str, str | None]] = {
    400: ("invalid_request_error", "Invalid request.", None),
    401: ("invalid_request_error", "Incorrect API key provided.", "invalid_api_key"),
    403: ("invalid_request_error", "You are not allowed to sample from this model.", None),
    404: ("invalid_request_error", "Not found.", None),
    408: ("server_error", "Request timed out.", None),
    409: ("invalid_request_error", "Conflict.", None),
    429: ("requests", "Rate limit reached for requests. Please try again in 0s.", "rate_limit_exceeded"),
    500: ("server_error", "The server had an error while processing your request. Sorry about that!", None),
    502: ("server_error", "Bad gateway.", None),
    503: ("server_error", "The engine is currently overloaded, please try again later.", None),
}


# --- data the tests see ---------------------------------------------------------------------------
@dataclass(frozen=True)
class WordTiming:
    word: str
    start: float
    end: float


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One request as the server received it (headers keys are lower-case)."""

    method: str
    path: str
    headers: dict[str, str]
    json: dict[str, Any] | None = None
    form: dict[str, Any] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int | None = None  # the status the server answered with


@dataclass
class _Fault:
    status: int | None  # None: no error, only the delay
    remaining: int | None  # None: forever
    path: str | None
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    delay: float = 0.0
    retry_after_ms: int | None = 10

    def matches(self, path: str) -> bool:
        return self.path is None or path == self.path or path.endswith(self.path)


@dataclass(frozen=True)
class ChatAnswer:
    """One scripted chat completion: its content (text, or a JSON value sent as text), a refusal, how it ended."""

    content: Any = None
    refusal: str | None = None
    finish_reason: str = "stop"


# What `answer_chat` accepts: a ChatAnswer, text, a JSON value, or a function of the request's JSON body.
ChatScript = ChatAnswer | str | dict | list | Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class _Clip:
    text: str
    words: tuple[WordTiming, ...]
    duration: float


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type or _ERROR_DEFAULTS.get(status, ("invalid_request_error", "", None))[0]


# --- speech synthesis -----------------------------------------------------------------------------
_TOKEN = re.compile(r"\S+")
_EDGE_PUNCT = re.compile(r"^[^\w']+|[^\w']+$", re.UNICODE)


def _word_duration(word: str) -> float:
    """~0.3 s for short words up to 0.4 s for long ones, at speed 1."""
    letters = sum(ch.isalnum() for ch in word)
    return 0.3 + 0.1 * min(1.0, max(0.0, (letters - 2) / 8))


def _syllables(word: str) -> int:
    return max(1, len(re.findall(r"[aeiouy]+", word.lower())))


def _render_word(word: str, f0: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """A voiced, syllable-modulated harmonic tone of n samples, exactly silent at both ends."""
    t = np.arange(n) / SAMPLE_RATE
    duration = n / SAMPLE_RATE
    # Intonation: a small vibrato-like wobble and a falling contour over the word.
    pitch = f0 * (1.0 + 0.04 * np.sin(2 * np.pi * 5.0 * t + rng.uniform(0, np.pi))) * (1.05 - 0.1 * t / duration)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    # Harmonics shaped by a vowel-dependent "formant" bump, so words differ in timbre.
    formant = 2.0 + 4.0 * rng.random()
    signal = np.zeros(n)
    for k in range(1, 11):
        weight = (1.0 / k) * (1.0 + 1.5 * math.exp(-((k - formant) ** 2) / 2.0))
        signal += weight * np.sin(k * phase)
    # Syllable rhythm: amplitude dips between syllables, never to silence inside a word.
    syllables = _syllables(word)
    envelope = 0.45 + 0.55 * np.abs(np.sin(np.pi * syllables * t / duration))
    # Initial consonant: a short noise burst.
    if word[:1].isalpha() and word[:1].lower() not in "aeiou":
        burst = min(n, int(0.03 * SAMPLE_RATE))
        signal[:burst] += rng.normal(0.0, 1.2, burst) * np.linspace(1.0, 0.0, burst)
    # Raised-cosine fades make the first and last samples exactly zero (clean word boundaries).
    fade = min(n // 2, int(0.015 * SAMPLE_RATE))
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade))
    envelope[:fade] *= ramp
    envelope[n - fade:] *= ramp[::-1]
    out = signal * envelope
    peak = float(np.max(np.abs(out))) or 1.0
    return out / peak


def synthesize_speech(text: str, *, voice: str = "alloy", speed: float = 1.0) -> tuple[np.ndarray, list[WordTiming]]:
    """Speech-like int16 mono samples at SAMPLE_RATE for `text`, and each spoken word's timing.

    Each word lasts ~0.3-0.4 s / speed; pauses are 0.08 s / speed between words (at least
    0.05 s, so words stay separable by energy even at speed 4), 0.2 s after , ; : and 0.35 s
    after . ! ? (both / speed). Tokens without letters or digits are silent.
    """
    speed = float(speed)
    f0 = _VOICE_F0.get(voice, 150.0)
    pieces: list[np.ndarray] = [np.zeros(int(0.05 * SAMPLE_RATE))]
    position = len(pieces[0])
    words: list[WordTiming] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        spoken = _EDGE_PUNCT.sub("", token).strip("'")
        if spoken:
            seed = int.from_bytes(hashlib.sha256(f"{voice}:{spoken.lower()}".encode()).digest()[:8], "little")
            n = max(int(_word_duration(spoken) / speed * SAMPLE_RATE), 2 * int(0.015 * SAMPLE_RATE))
            samples = _render_word(spoken, f0, n, np.random.default_rng(seed)) * 0.5  # peak -6 dBFS
            words.append(WordTiming(spoken, round(position / SAMPLE_RATE, 3), round((position + n) / SAMPLE_RATE, 3)))
            pieces.append(samples)
            position += n
        pause = 0.08
        if token[-1:] in ",;:":
            pause = 0.2
        elif token[-1:] in ".!?":
            pause = 0.35
        gap = int(max(0.05, pause / speed) * SAMPLE_RATE)
        pieces.append(np.zeros(gap))
        position += gap
    pieces.append(np.zeros(int(0.05 * SAMPLE_RATE)))
    audio = np.concatenate(pieces)
    return np.round(audio * 32767).astype("<i2"), words


def wav_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def _ffmpeg() -> str | None:
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return None


_FFMPEG_OUTPUT = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"],
    "flac": ["-c:a", "flac", "-f", "flac"],
    "opus": ["-c:a", "libopus", "-b:a", "32k", "-f", "ogg"],
    "aac": ["-c:a", "aac", "-b:a", "64k", "-f", "adts"],
}


def _encode(samples: np.ndarray, response_format: str) -> bytes:
    if response_format == "pcm":
        return samples.astype("<i2").tobytes()  # raw 24 kHz 16-bit little-endian mono, like OpenAI
    if response_format == "wav":
        return wav_bytes(samples)
    ffmpeg = _ffmpeg()
    if ffmpeg is None:
        raise ApiError(400, f"The fake server cannot encode {response_format!r} (imageio-ffmpeg has no ffmpeg binary).",
                       param="response_format")
    result = subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1",
         "-i", "pipe:0", *_FFMPEG_OUTPUT[response_format], "pipe:1"],
        input=samples.astype("<i2").tobytes(), capture_output=True, timeout=60, check=False,
    )
    if result.returncode != 0:
        raise ApiError(500, f"encoding failed: {result.stderr.decode(errors='replace')[-300:]}")
    return result.stdout


def _decode(data: bytes) -> np.ndarray:
    """Mono int16 samples at SAMPLE_RATE from an uploaded file (WAV natively, others via ffmpeg)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as source:
            if source.getsampwidth() == 2 and source.getframerate() == SAMPLE_RATE:
                frames = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
                channels = source.getnchannels()
                if channels > 1:
                    frames = frames.reshape(-1, channels).mean(axis=1).astype("<i2")
                return frames
    except (wave.Error, EOFError, ValueError):
        pass
    ffmpeg = _ffmpeg()
    if ffmpeg is not None:
        result = subprocess.run(
            [ffmpeg, "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-f", "s16le", "-ac", "1",
             "-ar", str(SAMPLE_RATE), "pipe:1"],
            input=data, capture_output=True, timeout=60, check=False,
        )
        if result.returncode == 0 and result.stdout:
            return np.frombuffer(result.stdout, dtype="<i2")
    raise ApiError(400, "Audio file might be corrupted or unsupported", param="file", code="invalid_value")


def _voiced_regions(samples: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of the stretches with sound, from 10 ms frame energies."""
    frame = SAMPLE_RATE // 100
    count = len(samples) // frame
    if count == 0:
        return []
    frames = samples[: count * frame].astype(np.float64).reshape(count, frame) / 32768.0
    rms = np.sqrt(np.mean(frames**2, axis=1))
    peak = float(rms.max())
    if peak < 1e-4:
        return []
    voiced = rms > max(0.04 * peak, 1e-4)
    regions: list[list[int]] = []
    for index, is_voiced in enumerate(voiced):
        if not is_voiced:
            continue
        if regions and index - regions[-1][1] <= 3:  # bridge gaps of up to 30 ms
            regions[-1][1] = index + 1
        else:
            regions.append([index, index + 1])
    return [(start / 100, end / 100) for start, end in regions if end - start >= 4]


def _place_words(labels: list[str], regions: list[tuple[float, float]]) -> list[WordTiming]:
    """Give each word a stretch of the voiced time: one region each if the counts agree, else by length."""
    if not labels or not regions:
        return []
    if len(labels) == len(regions):
        return [WordTiming(label, round(s, 3), round(e, 3)) for label, (s, e) in zip(labels, regions)]
    total = sum(end - start for start, end in regions)

    def at(voiced_time: float) -> float:  # map "seconds of voiced audio" to a time in the file
        for start, end in regions:
            if voiced_time <= end - start:
                return start + voiced_time
            voiced_time -= end - start
        return regions[-1][1]

    weights = [len(label) + 1 for label in labels]
    scale = total / sum(weights)
    out, cursor = [], 0.0
    for label, weight in zip(labels, weights):
        start, cursor = cursor, cursor + weight * scale
        out.append(WordTiming(label, round(at(start), 3), round(at(cursor), 3)))
    return out


# --- the server -----------------------------------------------------------------------------------
class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a delayed handler must not hold up stop()
    allow_reuse_address = True
    fake: FakeOpenAIServer


class FakeOpenAIServer(StartStop):
    """An OpenAI-compatible API (audio and chat) on 127.0.0.1 (free port), served from a background thread.

        with FakeOpenAIServer() as server:
            client = OpenAI(api_key=server.api_key, base_url=server.base_url)
            server.fail_next(status=429)
            ...
            assert server.requests[-1].json["voice"] == "alloy"
    """

    def __init__(self, *, api_key: str = "test-key", host: str = "127.0.0.1") -> None:
        self.api_key = api_key
        self.host = host
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._clips: OrderedDict[str, _Clip] = OrderedDict()
        self._transcript: str | None = None
        self._chat_answers: deque[ChatScript] = deque()

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError("already started")
        self._httpd = _HTTPServer((self.host, 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def env(self) -> dict[str, str]:
        return {"OPENAI_API_KEY": self.api_key, "OPENAI_BASE_URL": self.base_url}

    # --- scripting ----------------------------------------------------------------------------
    def fail_next(
        self,
        status: int = 429,
        times: int = 1,
        *,
        path: str | None = None,
        message: str | None = None,
        code: str | None = None,
        type: str | None = None,
        param: str | None = None,
        retry_after_ms: int | None = 10,
    ) -> None:
        """Answer the next `times` requests (to `path`, e.g. "/audio/speech", if given) with an error.

        Retryable statuses (408, 409, 429, 5xx) carry `Retry-After: 0` and `retry-after-ms`
        (10 ms by default; None leaves it out): the SDK honours `retry-after-ms`, so its own
        retries do not sleep for its 0.5-8 s backoff. For 429, `code="insufficient_quota"` gives
        the quota flavour (type `insufficient_quota`).
        """
        self._add_fault(_Fault(status, times, path, message, type, code, param, retry_after_ms=retry_after_ms))

    def fail_always(self, status: int = 500, *, path: str | None = None, message: str | None = None,
                    code: str | None = None, type: str | None = None, retry_after_ms: int | None = 10) -> None:
        """Answer every request (to `path`, if given) with an error until `reset()`."""
        self._add_fault(_Fault(status, None, path, message, type, code, retry_after_ms=retry_after_ms))

    def delay_next(self, seconds: float, times: int = 1, *, path: str | None = None) -> None:
        """Make the next `times` requests wait `seconds` before being answered normally (client timeouts)."""
        self._add_fault(_Fault(None, times, path, delay=seconds))

    def set_transcript(self, text: str | None) -> None:
        """Words to report for audio this server did not generate (None: guess, see module docs)."""
        with self._lock:
            self._transcript = text

    def answer_chat(self, *answers: ChatScript) -> None:
        """Queue answers for the next chat completions, one per request, in order.

        Each is a `ChatAnswer`, text (the content as is), a dict or list (sent as its JSON text),
        or a function called with the request's JSON body that returns any of those. Once the
        queue is empty, answers are minimal instances of the requested JSON schema (or "OK").
        Answers go to requests in the order they arrive (a request delayed by `delay_next` keeps
        the one it arrived for); a request refused by a check or a scripted fault leaves its
        answer for the next one.
        """
        with self._lock:
            self._chat_answers.extend(answers)

    def reset(self) -> None:
        """Forget scripted failures and answers, recorded requests, remembered audio and any scripted transcript."""
        with self._lock:
            self._faults.clear()
            self._requests.clear()
            self._clips.clear()
            self._transcript = None
            self._chat_answers.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Recorded requests whose path ends with `path` (e.g. "/audio/speech")."""
        return [request for request in self.requests if request.path.endswith(path)]

    # --- internals used by the handler --------------------------------------------------------
    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _take_chat_answer(self) -> ChatScript | None:
        with self._lock:
            return self._chat_answers.popleft() if self._chat_answers else None

    def _give_back_chat_answer(self, answer: ChatScript | None) -> None:
        if answer is not None:
            with self._lock:
                self._chat_answers.appendleft(answer)

    def _remember(self, keys: list[str], clip: _Clip) -> None:
        with self._lock:
            for key in keys:
                self._clips[key] = clip
                self._clips.move_to_end(key)
            while len(self._clips) > 512:  # the session-wide server must not grow without bound
                self._clips.popitem(last=False)

    def _recall(self, keys: list[str], duration: float) -> tuple[_Clip | None, bool, str | None]:
        """(clip, exact?, scripted transcript) for uploaded audio."""
        with self._lock:
            for key in keys:
                if key in self._clips:
                    return self._clips[key], True, self._transcript
            if self._transcript is not None:
                return None, False, self._transcript
            tolerance = max(0.15, 0.03 * duration)
            near = [clip for clip in self._clips.values() if abs(clip.duration - duration) <= tolerance]
            if near:
                return min(near, key=lambda clip: abs(clip.duration - duration)), False, None
        return None, False, None

    # --- endpoints ----------------------------------------------------------------------------
    def _speech(self, body: dict[str, Any]) -> tuple[bytes, str]:
        model = _known_model(body.get("model"), TTS_MODELS)
        text = body.get("input")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Missing required parameter: 'input'.", param="input",
                           code="missing_required_parameter")
        if len(text) > MAX_INPUT_CHARS:
            raise ApiError(400, f"'input' is too long: {len(text)} characters (maximum {MAX_INPUT_CHARS}).",
                           param="input", code="string_above_max_length")
        voice = body.get("voice")
        if isinstance(voice, dict):  # custom voice {"id": "voice_..."}: sounds like alloy here
            if not str(voice.get("id", "")).startswith("voice_"):
                raise ApiError(400, f"Invalid voice id: {voice.get('id')!r}.", param="voice", code="invalid_value")
            voice_name = "alloy"
        elif voice in VOICES:
            voice_name = voice
        else:
            raise ApiError(400, f"Invalid value: {voice!r}. Supported values are: {', '.join(sorted(VOICES))}.",
                           param="voice", code="invalid_value")
        speed = body.get("speed", 1.0)
        if not isinstance(speed, (int, float)) or isinstance(speed, bool) or not 0.25 <= speed <= 4.0:
            raise ApiError(400, f"Invalid 'speed': {speed!r}. Expected a number between 0.25 and 4.0.",
                           param="speed", code="invalid_value")
        response_format = body.get("response_format", "mp3")
        if response_format not in SPEECH_FORMATS:
            supported = ", ".join(SPEECH_FORMATS)
            raise ApiError(400, f"Invalid value: {response_format!r}. Supported values are: {supported}.",
                           param="response_format", code="invalid_value")
        if body.get("instructions") and model in {"tts-1", "tts-1-hd"}:
            raise ApiError(400, "instructions are not supported with this model.", param="instructions")
        if body.get("stream_format") == "sse":
            raise ApiError(400, "The fake server does not stream: use stream_format 'audio'.", param="stream_format")

        samples, words = synthesize_speech(text, voice=voice_name, speed=float(speed))
        audio = _encode(samples, response_format)
        clip = _Clip(" ".join(text.split()), tuple(words), len(samples) / SAMPLE_RATE)
        self._remember([_sha(audio), _sha(samples.tobytes())], clip)
        content_type = {
            "wav": "audio/wav", "pcm": "audio/pcm", "mp3": "audio/mpeg", "flac": "audio/flac",
            "opus": "audio/ogg", "aac": "audio/aac",
        }[response_format]
        return audio, content_type

    def _transcription(self, form: dict[str, Any], files: dict[str, UploadedFile]) -> tuple[bytes, str]:
        model = _known_model(form.get("model"), TRANSCRIBE_MODELS)
        upload = files.get("file")
        if upload is None or not upload.data:
            raise ApiError(400, "Missing required parameter: 'file'.", param="file", code="missing_required_parameter")
        response_format = form.get("response_format", "json")
        if response_format not in TRANSCRIPTION_FORMATS:
            raise ApiError(400, f"Invalid value: {response_format!r}.", param="response_format", code="invalid_value")
        if model != "whisper-1" and response_format not in ("json", "text"):
            # As on the real API: only whisper-1 gives verbose_json / srt / vtt (and word timestamps).
            raise ApiError(400, f"response_format '{response_format}' is not compatible with model '{model}'. "
                                "Use 'json' or 'text' instead.", param="response_format",
                           code="unsupported_value")
        granularities = form.get("timestamp_granularities[]", form.get("timestamp_granularities", ["segment"]))
        if isinstance(granularities, str):
            granularities = [granularities]
        asks_timestamps = "timestamp_granularities[]" in form or "timestamp_granularities" in form
        if asks_timestamps and response_format != "verbose_json":
            raise ApiError(400, "timestamp_granularities is only supported with response_format=verbose_json.",
                           param="timestamp_granularities", code="invalid_value")

        samples = _decode(upload.data)
        duration = len(samples) / SAMPLE_RATE
        clip, exact, scripted = self._recall([_sha(upload.data), _sha(samples.tobytes())], duration)
        if exact and clip is not None:
            text, words = clip.text, list(clip.words)
        else:
            regions = _voiced_regions(samples)
            if scripted is not None:
                text = scripted
            elif clip is not None:
                text = clip.text
            else:
                text = " ".join(f"word{index + 1}" for index in range(len(regions)))
            labels = [label for label in (_EDGE_PUNCT.sub("", token).strip("'") for token in text.split()) if label]
            words = _place_words(labels, regions)

        end = words[-1].end if words else 0.0
        segment = {"id": 0, "seek": 0, "start": words[0].start if words else 0.0, "end": end, "text": text,
                   "tokens": [], "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.2,
                   "no_speech_prob": 0.01}
        usage = {"type": "duration", "seconds": math.ceil(duration)}
        if response_format == "text":
            return (text + "\n").encode(), "text/plain; charset=utf-8"
        if response_format == "json":
            return _json_bytes({"text": text, "usage": usage}), "application/json"
        if response_format in ("srt", "vtt"):
            return _subtitles(text, segment["start"], end, response_format).encode(), "text/plain; charset=utf-8"
        payload: dict[str, Any] = {"task": "transcribe", "language": "english", "duration": round(duration, 3),
                                   "text": text, "usage": usage}
        if "word" in granularities:
            payload["words"] = [{"word": w.word, "start": w.start, "end": w.end} for w in words]
        if "segment" in granularities:
            payload["segments"] = [segment] if text else []
        return _json_bytes(payload), "application/json"

    def _chat_completion(self, body: dict[str, Any], scripted: ChatScript | None) -> tuple[bytes, str]:
        model = _known_model(body.get("model"), CHAT_MODELS)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ApiError(400, "Invalid 'messages': empty array. Expected an array with minimum length 1.",
                           param="messages", code="empty_array")
        texts = [_message_text(index, message) for index, message in enumerate(messages)]
        if body.get("stream"):
            raise ApiError(400, "The fake server does not stream chat completions.", param="stream")
        if body.get("n", 1) != 1:
            raise ApiError(400, "The fake server answers one choice (n=1).", param="n")
        schema = _check_response_format(body.get("response_format"), texts)
        answer = _chat_answer(scripted, body, schema)
        prompt_tokens = sum(_tokens(text) + 4 for text in texts)
        completion_tokens = _tokens(answer.content or answer.refusal or "")
        return _json_bytes({
            "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "finish_reason": answer.finish_reason, "logprobs": None,
                         "message": {"role": "assistant", "content": answer.content, "refusal": answer.refusal}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }), "application/json"


def _known_model(model: Any, known: frozenset[str]) -> str:
    """The model asked for, if the endpoint has it (a 400 without one, a 404 for another)."""
    if not model:
        raise ApiError(400, "you must provide a model parameter", param="model")
    if model not in known:
        raise ApiError(404, f"The model `{model}` does not exist or you do not have access to it.",
                       code="model_not_found")
    return model


def _message_text(index: int, message: Any) -> str:
    """A message's text, after the checks the real API makes on it."""
    where = f"messages[{index}]"
    if not isinstance(message, dict) or message.get("role") not in CHAT_ROLES:
        raise ApiError(400, f"Invalid value for '{where}.role': expected one of {', '.join(sorted(CHAT_ROLES))}.",
                       param=f"{where}.role", code="invalid_value")
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(part, dict) and part.get("type") == "text"
                                         and isinstance(part.get("text"), str) for part in content):
        return "".join(part["text"] for part in content)
    if content is None and message["role"] == "assistant":
        return ""
    raise ApiError(400, f"Invalid '{where}.content': expected a string or an array of text parts.",
                   param=f"{where}.content", code="invalid_type")


def _check_response_format(response_format: Any, texts: list[str]) -> dict[str, Any] | None:
    """The JSON schema answers must follow (None: any text), after the real API's checks."""
    if response_format is None:
        return None
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        if not any("json" in text.lower() for text in texts):
            raise ApiError(400, "'messages' must contain the word 'json' in some form, to use 'response_format' "
                                "of type 'json_object'.", param="messages")
        return {"type": "object"}
    if kind != "json_schema":
        raise ApiError(400, f"Invalid value: {kind!r}. Supported values are: 'text', 'json_object' and "
                            "'json_schema'.", param="response_format.type", code="invalid_value")
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict) or not _SCHEMA_NAME.match(str(spec.get("name", ""))):
        raise ApiError(400, "Invalid 'response_format.json_schema.name': letters, digits, _ and - (at most 64).",
                       param="response_format.json_schema.name", code="invalid_value")
    schema = spec.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ApiError(400, "Invalid schema for response_format: the root must be an object.",
                       param="response_format", code="invalid_value")
    if spec.get("strict"):
        problem = _strict_schema_problem(schema, "")
        if problem:
            raise ApiError(400, f"Invalid schema for response_format '{spec['name']}': In context=({problem}).",
                           param="response_format", code="invalid_json_schema")
    return schema


def _strict_schema_problem(schema: Any, where: str) -> str | None:
    """Why a schema is not acceptable in strict mode, or None (objects closed, every property required)."""
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return f"{where or 'root'}: 'additionalProperties' is required to be supplied and to be false"
        if sorted(schema.get("required", [])) != sorted(properties):
            return f"{where or 'root'}: 'required' is required to be supplied and to be an array including every " \
                   f"key in properties"
        for name, child in properties.items():
            problem = _strict_schema_problem(child, f"{where}.{name}" if where else name)
            if problem:
                return problem
    if "items" in schema:
        return _strict_schema_problem(schema["items"], f"{where}[]")
    for option in schema.get("anyOf", []):
        problem = _strict_schema_problem(option, where)
        if problem:
            return problem
    return None


def _chat_answer(scripted: ChatScript | None, body: dict[str, Any], schema: dict[str, Any] | None) -> ChatAnswer:
    if callable(scripted) and not isinstance(scripted, ChatAnswer):
        scripted = scripted(body)
    if scripted is None:
        scripted = _schema_example(schema) if schema is not None else "OK"
    if not isinstance(scripted, ChatAnswer):
        scripted = ChatAnswer(content=scripted)
    content = scripted.content
    if content is not None and not isinstance(content, str):
        content = json.dumps(content)
    return ChatAnswer(content=content, refusal=scripted.refusal, finish_reason=scripted.finish_reason)


def _schema_example(schema: dict[str, Any]) -> Any:
    """The smallest value a JSON schema accepts (one item per array, "text" per string)."""
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _schema_example(schema["anyOf"][0])
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        return {name: _schema_example(child) for name, child in schema.get("properties", {}).items()}
    if kind == "array":
        return [_schema_example(schema.get("items", {}))]
    return {"string": "text", "integer": 0, "number": 0, "boolean": False}.get(kind)


def _tokens(text: str) -> int:
    """About four characters per token, as OpenAI's rule of thumb has it."""
    return math.ceil(len(text) / 4)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def _subtitles(text: str, start: float, end: float, kind: str) -> str:
    def stamp(seconds: float, separator: str) -> str:
        millis = round(seconds * 1000)
        hours, millis = divmod(millis, 3_600_000)
        minutes, millis = divmod(millis, 60_000)
        secs, millis = divmod(millis, 1000)
        return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"

    if kind == "srt":
        return f"1\n{stamp(start, ',')} --> {stamp(end, ',')}\n{text}\n\n" if text else ""
    return f"WEBVTT\n\n{stamp(start, '.')} --> {stamp(end, '.')}\n{text}\n\n" if text else "WEBVTT\n\n"


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Fields and files of a multipart/form-data body (stdlib email parser; `cgi` is gone in 3.13)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        raise ApiError(400, "Expected a multipart/form-data body.")
    form: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = UploadedFile(filename, part.get_content_type(), data)
            continue
        value = data.decode("utf-8", errors="replace")
        if name in form:  # repeated field, e.g. timestamp_granularities[]
            form[name] = [*form[name], value] if isinstance(form[name], list) else [form[name], value]
        elif str(name).endswith("[]"):
            form[name] = [value]
        else:
            form[name] = value
    return form, files


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's httpx client expects
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are recorded in `FakeOpenAIServer.requests`, not printed

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        fake = self.server.fake
        body = self._read_body()  # always drain the body, or the keep-alive connection desyncs
        path = self.path.split("?", 1)[0]
        record = RecordedRequest(self.command, path, {k.lower(): v for k, v in self.headers.items()})
        fake._record(record)
        try:
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("application/json") and body:
                try:
                    record.json = json.loads(body)
                except ValueError:
                    raise ApiError(400, "We could not parse the JSON body of your request.") from None
            elif content_type.startswith("multipart/form-data"):
                record.form, record.files = _parse_multipart(content_type, body)

            # A chat answer belongs to the request that arrived for it, even if a delay makes it
            # finish after later requests; a request refused (by a fault or a check) gives it back.
            chat_answer = fake._take_chat_answer() if path == "/v1/chat/completions" else None
            fault = fake._take_fault(path)
            if fault is not None and fault.delay:
                threading.Event().wait(fault.delay)
            if fault is not None and fault.status is not None:
                fake._give_back_chat_answer(chat_answer)
                self._fail(record, fault)
                return

            self._check_auth()
            if self.command == "POST" and path == "/v1/audio/speech":
                if not isinstance(record.json, dict):
                    raise ApiError(400, "Expected a JSON object body.")
                payload, payload_type = fake._speech(record.json)
            elif self.command == "POST" and path == "/v1/audio/transcriptions":
                if not content_type.startswith("multipart/form-data"):
                    raise ApiError(400, "Expected multipart/form-data.")
                payload, payload_type = fake._transcription(record.form, record.files)
            elif self.command == "POST" and path == "/v1/chat/completions":
                if not isinstance(record.json, dict):
                    raise ApiError(400, "Expected a JSON object body.")
                payload, payload_type = fake._chat_completion(record.json, chat_answer)
            else:
                raise ApiError(404, f"Invalid URL ({self.command} {path})")
        except ApiError as error:
            fake._give_back_chat_answer(chat_answer)
            self._send_error(record, error.status, error.message, error.type, error.param, error.code)
            return
        self._send(record, 200, payload, payload_type)

    def _check_auth(self) -> None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            raise ApiError(401, "You didn't provide an API key. You need to provide your API key in an "
                                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        key = header[7:].strip()
        if key != self.server.fake.api_key:
            shown = f"{key[:3]}****{key[-4:]}" if len(key) > 8 else "****"
            raise ApiError(401, f"Incorrect API key provided: {shown}.", code="invalid_api_key")

    def _fail(self, record: RecordedRequest, fault: _Fault) -> None:
        assert fault.status is not None
        default_type, default_message, default_code = _ERROR_DEFAULTS.get(
            fault.status, ("server_error" if fault.status >= 500 else "invalid_request_error",
                           HTTPStatus(fault.status).phrase, None)
        )
        code = fault.code if fault.code is not None else default_code
        error_type = fault.type or ("insufficient_quota" if code == "insufficient_quota" else default_type)
        message = fault.message or (
            "You exceeded your current quota, please check your plan and billing details."
            if code == "insufficient_quota" else default_message
        )
        headers = {}
        if fault.status in _RETRYABLE and fault.retry_after_ms is not None:
            headers = {"Retry-After": "0", "retry-after-ms": str(fault.retry_after_ms)}
        self._send_error(record, fault.status, message, error_type, fault.param, code, headers)

    def _send_error(self, record: RecordedRequest, status: int, message: str, error_type: str | None,
                    param: str | None, code: str | None, headers: dict[str, str] | None = None) -> None:
        body = _json_bytes({"error": {"message": message, "type": error_type, "param": param, "code": code}})
        self._send(record, status, body, "application/json", headers)

    def _send(self, record: RecordedRequest, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        record.status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        self.send_header("openai-processing-ms", "1")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
