"""Speech through the OpenAI audio API (or any server speaking it, through ``base_url``).

The script is sent in chunks of at most 4096 characters (the API's limit), cut at sentence
boundaries, and the chunks' audio is joined into one WAV.

Word timings, per chunk:
  * with ``word_timestamps``, the chunk's audio is transcribed with word timestamps and the
    heard words are matched back onto the script's words (``timing_source`` "transcription");
  * otherwise, or when the transcription fails or does not line up with the script, they are
    estimated (``timing_source`` "estimate"): the chunk's voiced part (its audio without leading
    and trailing silence) is shared among its words in proportion to their letters and digits,
    with a pause worth 6 characters after a sentence and 3 after a clause (see
    :func:`~ai_studio.generation.speech.timing.estimate_word_timings`).
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from difflib import SequenceMatcher
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import openai

from ..openai_errors import openai_failure
from ..types import SpeechResult, WordTiming
from .audio import voiced_span, write_wav
from .errors import PermanentSpeechError, SpeechError, TransientSpeechError
from .provider import VoiceInfo, check_request
from .text import script_words, split_sentences
from .timing import TimeSpan, estimate_word_timings, fill_unmatched_timings

logger = logging.getLogger(__name__)

OPENAI_CHUNK_CHARS = 4096  # the speech endpoint's input limit
# Below this share of script words found in a transcription, its timings are not trusted.
MIN_TRANSCRIPT_MATCH = 0.6
_ERROR_MESSAGE_CHARS = 500
_FALLBACK_SAMPLE_RATE = 24000  # what OpenAI's voices are sampled at
_FFMPEG_TIMEOUT_SECONDS = 300


def _voice(voice_id: str, gender: str) -> VoiceInfo:
    return {
        "id": voice_id,
        "label": voice_id.capitalize(),
        "language": "en",
        "gender": gender,
        "engine": "openai",
    }


# OpenAI does not publish genders; these are how the voices are commonly described.
OPENAI_VOICES: dict[str, VoiceInfo] = {
    voice["id"]: voice
    for voice in (
        _voice("alloy", "neutral"),
        _voice("ash", "male"),
        _voice("ballad", "male"),
        _voice("coral", "female"),
        _voice("echo", "male"),
        _voice("fable", "male"),
        _voice("onyx", "male"),
        _voice("nova", "female"),
        _voice("sage", "female"),
        _voice("shimmer", "female"),
        _voice("verse", "male"),
    )
}


class OpenAISpeechProvider:
    """OpenAI text-to-speech; see the module docstring for chunking and word timings."""

    name = "openai"

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        model: str = "gpt-4o-mini-tts",
        timeout: float = 60.0,
        max_retries: int = 0,  # the task layer retries, with backoff, on TransientSpeechError
        word_timestamps: bool = False,
        transcribe_model: str = "whisper-1",
    ) -> None:
        self.client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self.model = model
        self.word_timestamps = word_timestamps
        self.transcribe_model = transcribe_model

    def synthesize(
        self, text: str, voice_id: str, workdir: Path, speed: float = 1.0
    ) -> SpeechResult:
        check_request(text, speed)
        if voice_id not in OPENAI_VOICES:
            raise PermanentSpeechError(
                "speech_unknown_voice", f"No OpenAI voice called {voice_id!r}."
            )
        workdir.mkdir(parents=True, exist_ok=True)
        sample_rate: int | None = (
            None  # the first chunk's; later ones are converted to it
        )
        audio_parts: list[np.ndarray] = []
        words: list[WordTiming] = []
        timing_sources: set[str] = set()
        offset = 0.0  # seconds spoken so far
        for chunk_text in split_sentences(text, OPENAI_CHUNK_CHARS):
            audio = self._speak(chunk_text, voice_id, speed)
            samples, sample_rate = decode_to_pcm(audio, workdir, sample_rate)
            chunk_words, timing_source = self._word_timings(
                chunk_text, samples, sample_rate
            )
            words += [
                WordTiming(w.text, w.start + offset, w.end + offset)
                for w in chunk_words
            ]
            timing_sources.add(timing_source)
            audio_parts.append(samples)
            offset += len(samples) / sample_rate
        samples = np.concatenate(audio_parts)
        if samples.size == 0 or sample_rate is None:
            raise TransientSpeechError(
                "speech_bad_audio", "The provider returned no audio."
            )
        audio_path = workdir / "speech.wav"
        return SpeechResult(
            audio_path=audio_path,
            sample_rate=sample_rate,
            duration=write_wav(audio_path, samples, sample_rate),
            words=words,
            timing_source="estimate"
            if "estimate" in timing_sources
            else "transcription",
            provider=self.name,
        )

    def _speak(self, text: str, voice_id: str, speed: float) -> bytes:
        with translate_openai_errors():
            response = self.client.audio.speech.create(
                model=self.model,
                voice=voice_id,
                input=text,
                speed=speed,
                response_format="wav",
            )
            return response.content

    def _word_timings(
        self, text: str, samples: np.ndarray, sample_rate: int
    ) -> tuple[list[WordTiming], str]:
        """A chunk's word timings, from a transcription when asked for and usable, else estimated."""
        words = script_words(text)
        if self.word_timestamps:
            heard = self._transcribe(samples, sample_rate)
            duration = len(samples) / sample_rate
            timings = (
                align_transcribed_words(words, heard, 0.0, duration) if heard else None
            )
            if timings is not None:
                return timings, "transcription"
            logger.warning("No usable transcription for word timings; estimating them.")
        first, last = voiced_span(samples)
        if last == 0:  # silent audio: spread the words over all of it
            last = len(samples)
        return estimate_word_timings(
            words, first / sample_rate, last / sample_rate
        ), "estimate"

    def _transcribe(self, samples: np.ndarray, sample_rate: int) -> list[WordTiming]:
        """The words heard in the audio with their timings; none if the transcription failed."""
        try:
            with translate_openai_errors():
                transcript = self.client.audio.transcriptions.create(
                    model=self.transcribe_model,
                    file=("speech.wav", _wav_bytes(samples, sample_rate), "audio/wav"),
                    response_format="verbose_json",
                    timestamp_granularities=["word"],
                )
        except SpeechError as error:
            logger.warning("Transcription for word timings failed: %s", error)
            return []
        return [WordTiming(w.word, w.start, w.end) for w in transcript.words or []]


def align_transcribed_words(
    script: list[str], heard: list[WordTiming], start: float, end: float
) -> list[WordTiming] | None:
    """Put the timings of the words heard in a transcription onto the script's words.

    Words are compared lower-cased without punctuation. A script word found in the transcript
    takes its timing; where the two differ ("123" heard as "one hundred twenty three"), the heard
    words are shared in order among the script words they replace, and script words left without
    any are estimated inside the gap they fall in. Returns None when fewer than
    ``MIN_TRANSCRIPT_MATCH`` of the script words were found: the transcript is not trusted.
    """
    if not script:
        return []
    matcher = SequenceMatcher(
        None,
        [_comparable(w) for w in script],
        [_comparable(h.text) for h in heard],
        autojunk=False,
    )
    spans: list[TimeSpan | None] = [None] * len(script)
    matched = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            matched += i2 - i1
        if tag in ("equal", "replace"):
            for j in range(j1, j2):
                word = i1 + (j - j1) * (i2 - i1) // (j2 - j1)
                known = spans[word]
                spans[word] = TimeSpan(
                    heard[j].start if known is None else known.start, heard[j].end
                )
    if matched < MIN_TRANSCRIPT_MATCH * len(script):
        return None
    return fill_unmatched_timings(script, spans, start, end)


def _comparable(word: str) -> str:
    return re.sub(r"[\W_]", "", word.casefold())


# --- errors ---------------------------------------------------------------------------------------


@contextmanager
def translate_openai_errors() -> Iterator[None]:
    """Re-raise the SDK's errors as Transient/PermanentSpeechError with a stable code."""
    try:
        yield
    except openai.OpenAIError as error:
        raise speech_error_for(error) from error


def speech_error_for(error: openai.OpenAIError) -> SpeechError:
    """The speech error an OpenAI SDK error stands for (see the module's error codes)."""
    failure = openai_failure(error)
    kind = TransientSpeechError if failure.transient else PermanentSpeechError
    return kind(f"speech_{failure.reason}", str(error)[:_ERROR_MESSAGE_CHARS])


# --- audio ----------------------------------------------------------------------------------------


def decode_to_pcm(
    data: bytes, workdir: Path, sample_rate: int | None = None
) -> tuple[np.ndarray, int]:
    """Mono int16 samples and their rate from audio bytes, resampled to ``sample_rate`` if given.

    A mono 16-bit WAV at the wanted rate is read directly; anything else (another format, another
    rate, stereo) goes through the ffmpeg shipped by ``imageio-ffmpeg``.
    """
    direct = _read_plain_wav(data)
    if direct is not None and sample_rate in (None, direct[1]):
        return direct
    return _decode_with_ffmpeg(data, workdir, sample_rate or _FALLBACK_SAMPLE_RATE)


def _read_plain_wav(data: bytes) -> tuple[np.ndarray, int] | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    try:
        with wave.open(io.BytesIO(data)) as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                return None
            # A streamed WAV declares an unknown (maximal) length: read what is there.
            frames = wav.readframes(wav.getnframes())
            rate = wav.getframerate()
    except (wave.Error, EOFError):
        return None
    return np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2").astype(
        np.int16
    ), rate


def _decode_with_ffmpeg(
    data: bytes, workdir: Path, sample_rate: int
) -> tuple[np.ndarray, int]:
    source = workdir / "speech-chunk.audio"
    source.write_bytes(data)
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(source),
        "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", "-ar", str(sample_rate), "pipe:1",
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, timeout=_FFMPEG_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise TransientSpeechError(
            "speech_bad_audio", "Decoding the provider's audio timed out."
        ) from error
    finally:
        source.unlink(missing_ok=True)
    if result.returncode != 0 or not result.stdout:
        detail = result.stderr.decode(errors="replace")[:_ERROR_MESSAGE_CHARS]
        raise TransientSpeechError(
            "speech_bad_audio", f"Could not decode the provider's audio: {detail}"
        )
    return np.frombuffer(
        result.stdout[: len(result.stdout) // 2 * 2], dtype="<i2"
    ).astype(np.int16), sample_rate


def _wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    write_wav(buffer, samples, sample_rate)
    return buffer.getvalue()
