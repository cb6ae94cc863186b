"""Audio stage: the voice, and an optional music bed, -> the reel's soundtrack at platform loudness.

The soundtrack is a 48 kHz 16-bit WAV that the render encodes as it is:

- its integrated loudness is TARGET_LOUDNESS (-14 LUFS, what TikTok, Instagram and YouTube
  normalise to) and its true peak at most LIMITER_CEILING, which leaves the AAC encode room
  to stay under TRUE_PEAK_LIMIT in the finished MP4;
- with music, the bed is looped to length, faded in and out, and ducked while the voice
  speaks (a gain curve computed from the voice, see ``dynamics``); the voice sits in the
  middle of a stereo mix. Without music the soundtrack stays mono, as the voice is;
- it lasts the voice's duration plus ``tail_seconds`` (music, or silence, for an end card).

Nothing is delayed: each voice sample is heard at the time the speech stage put it, so lip
sync and captions stay exact. Loudness is measured here with ``lufs`` (numpy, BS.1770-4): a
second ffmpeg pass (loudnorm or ebur128) would cost more than the whole stage.
"""

from __future__ import annotations

import math
import re
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import dsp, dynamics, lufs
from .errors import GenerationError
from .ffmpeg import RenderError, run_ffmpeg
from .loudness import read_wav

SAMPLE_RATE = lufs.SAMPLE_RATE
SOUNDTRACK_NAME = "soundtrack.wav"

TARGET_LOUDNESS = -14.0  # LUFS, integrated
TRUE_PEAK_LIMIT = -1.0  # dBTP, in the finished MP4
# AAC at 128 kb/s raises true peaks by up to ~0.6 dB on speech and music (measured): a 1 dB margin.
LIMITER_CEILING = TRUE_PEAK_LIMIT - 1.0
# Speech peaks 10-13 dB above its loudness within a syllable, and loud syllables 5-10 dB above
# quiet ones: Piper's voice comes at -20.5 LUFS with peaks at 0 dBTP. Reaching -14 LUFS under
# -2 dBTP takes two stages. First a leveler evens out syllables and words: 6:1 above 6 LU under
# the voice's loudness, on 50 ms of signal, falling within ~20 ms and recovering over ~200 ms.
LEVELER_THRESHOLD_LU = -6.0
LEVELER_RATIO = 6.0
LEVELER_WINDOW_MS = 50
LEVELER_FALL_DB_PER_MS = 0.5
LEVELER_RISE_DB_PER_MS = 0.05
# Then a limiter takes the remaining peaks off: it reaches a peak's cut within ~3 ms and recovers
# at 0.3 dB/ms. Together they cut a speaking tick by 3 dB or more only ~7% of the time (the
# limiter alone: 29%, at a 1 dB deeper average cut).
LIMITER_FALL_DB_PER_MS = 3.0
LIMITER_RISE_DB_PER_MS = 0.3
# The oversampled peak is computed only for ticks this close to the ceiling (see lufs.tick_true_peaks).
TRUE_PEAK_SEARCH_DB = 6.0

# The bed, where nobody speaks, sits this far below the voice; under the voice, lower by DUCK_DB.
MUSIC_BED_LU = -8.0
DUCK_DB = -12.0
DUCK_FALL_SECONDS = 0.15  # the music is already down when the first word starts (look-ahead)
DUCK_HOLD_SECONDS = 0.35  # pauses between words and sentences do not let it swell
DUCK_RISE_SECONDS = 0.6
# A tick is speech when the voice's 20 ms energy around it is within this of its loudness.
VOICE_ACTIVITY_LU = 30.0
VOICE_ACTIVITY_WINDOW_MS = 20
MUSIC_FADE_IN = 1.0  # seconds
MUSIC_FADE_OUT = 2.0
LOOP_CROSSFADE = 0.05  # a loop's end crossfades into its start: no click at the seam

MUSIC_DECODE_TIMEOUT = 60.0


class SoundtrackError(GenerationError):
    """Codes: ``voice_unreadable`` (not a PCM WAV), ``music_unreadable`` (ffmpeg cannot decode it)."""


@dataclass(frozen=True)
class Soundtrack:
    path: Path
    duration: float  # seconds: the voice's plus the tail
    channels: int  # 1: voice only; 2: with music
    loudness: float  # LUFS of the soundtrack, measured here before the AAC encode
    true_peak: float  # dBTP, ditto
    voice_loudness: float  # LUFS of the voice as the speech stage made it
    limiter_db: float  # the deepest cut the limiter made (dB, <= 0)


def build_soundtrack(voice_path: Path, workdir: Path, *, music_path: Path | None = None,
                     tail_seconds: float = 0.0) -> Soundtrack:
    """Mix ``workdir/soundtrack.wav`` from a speech WAV, optional music (any format ffmpeg reads) and a tail."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    voice = _voice_at_48k(Path(voice_path))
    length = len(voice) + round(max(0.0, tail_seconds) * SAMPLE_RATE)
    voice = np.pad(voice, (0, length - len(voice)))
    voice_energies = lufs.tick_energies(lufs.k_weighted(voice))
    voice_loudness = lufs.gated_loudness(voice_energies)
    voice_gain_db = _leveler_db(voice_energies, voice_loudness)
    leveled_loudness = lufs.gated_loudness(voice_energies * np.power(10.0, voice_gain_db / 10))
    if math.isfinite(leveled_loudness):
        voice_gain_db += TARGET_LOUDNESS - leveled_loudness
    voice = voice * dynamics.per_sample(voice_gain_db, lufs.TICK, length)
    if music_path is None:
        mix = voice[:, None]
    else:
        bed = _music_bed(Path(music_path), workdir, length, voice_energies, voice_loudness)
        mix = bed + (voice * lufs.gain(_STEREO_CENTRE_DB))[:, None]
    mix, levels = _normalised(mix)
    path = _write_wav(workdir / SOUNDTRACK_NAME, mix)
    return Soundtrack(path=path, duration=length / SAMPLE_RATE, channels=mix.shape[1], loudness=levels.loudness,
                      true_peak=levels.true_peak, voice_loudness=voice_loudness, limiter_db=levels.limiter_db)


class _Levels(NamedTuple):
    loudness: float
    true_peak: float
    limiter_db: float


# A mono voice copied into both stereo channels reads 3 dB louder (BS.1770 adds the channels):
# this keeps it, on its own, at the loudness it has in a mono soundtrack.
_STEREO_CENTRE_DB = -10 * math.log10(2)


def _voice_at_48k(path: Path) -> np.ndarray:
    try:
        samples, rate = read_wav(path)
    except (wave.Error, EOFError, ValueError, OSError) as exc:
        raise SoundtrackError("voice_unreadable", f"not a PCM WAV: {path}: {exc}") from exc
    if rate == SAMPLE_RATE:
        return samples
    common = math.gcd(rate, SAMPLE_RATE)
    return dsp.resample_poly(samples, SAMPLE_RATE // common, rate // common).astype(np.float32)


# --- the music bed ------------------------------------------------------------------------------
def _music_bed(path: Path, workdir: Path, length: int, voice_energies: np.ndarray,
               voice_loudness: float) -> np.ndarray:
    """The music looped to ``length``, at its bed level, faded in and out, ducked under the voice."""
    music = _looped(_decode_music(path, workdir, length / SAMPLE_RATE), length)
    music_loudness = lufs.integrated_loudness(music)
    level = TARGET_LOUDNESS + MUSIC_BED_LU - music_loudness if math.isfinite(music_loudness) else 0.0
    ducking = _ducking_db(voice_energies, voice_loudness)
    gain = dynamics.per_sample(ducking + level, lufs.TICK, length) * _fades(length)
    return music * gain[:, None]


def _decode_music(path: Path, workdir: Path, seconds: float) -> np.ndarray:
    """At most ``seconds`` of the music as 48 kHz stereo float samples, shaped (samples, 2)."""
    raw = workdir / "music.f32"
    # fmt: off
    args = [
        "-y", "-loglevel", "error", "-i", str(path), "-t", f"{seconds:.3f}",
        "-vn", "-ac", "2", "-ar", str(SAMPLE_RATE), "-f", "f32le", str(raw),
    ]
    # fmt: on
    try:
        run_ffmpeg(args, timeout=MUSIC_DECODE_TIMEOUT)
        music = np.fromfile(raw, dtype="<f4").reshape(-1, 2)
    except (RenderError, OSError, ValueError) as exc:
        message = exc.message if isinstance(exc, RenderError) else str(exc)
        raise SoundtrackError("music_unreadable", f"cannot decode the music {path.name}: {message}") from exc
    finally:
        raw.unlink(missing_ok=True)
    if len(music) < SAMPLE_RATE // 10:
        raise SoundtrackError("music_unreadable", f"the music {path.name} holds no audio")
    return music


def music_duration(path: Path) -> float:
    """Seconds of audio in a music file, found by decoding all of it (a header can lie; data cannot).

    Raises SoundtrackError ``music_unreadable`` when ffmpeg finds no audio or any decoding error.
    """
    # fmt: off
    args = [
        "-loglevel", "error", "-xerror", "-i", str(path), "-map", "0:a:0", "-f", "null",
        "-progress", "pipe:1", "-nostats", "-",
    ]
    # fmt: on
    try:
        progress = run_ffmpeg(args, timeout=MUSIC_DECODE_TIMEOUT).stdout
    except RenderError as exc:
        raise SoundtrackError("music_unreadable", f"not audio ffmpeg can decode: {exc.message}") from exc
    times = re.findall(r"^out_time_us=(\d+)$", progress, re.MULTILINE)
    seconds = int(times[-1]) / 1e6 if times else 0.0
    if seconds <= 0:
        raise SoundtrackError("music_unreadable", "the file holds no audio")
    return seconds


def _looped(music: np.ndarray, length: int) -> np.ndarray:
    """``music`` repeated to ``length`` samples, each repeat crossfading out of the one before."""
    if len(music) >= length:
        return music[:length]
    overlap = min(round(LOOP_CROSSFADE * SAMPLE_RATE), len(music) // 4)
    period = len(music) - overlap
    ramp = np.linspace(0.0, 1.0, overlap, dtype=np.float32)[:, None]
    repeat = music.copy()
    repeat[:overlap] *= ramp
    repeat[len(music) - overlap:] *= ramp[::-1]
    repeats = math.ceil((length - overlap) / period)
    looped = np.zeros((repeats * period + overlap, music.shape[1]), dtype=np.float32)
    for index in range(repeats):
        looped[index * period:index * period + len(music)] += repeat
    looped[:overlap] = music[:overlap]  # the first repeat starts at full level (the reel's fade-in follows)
    return looped[:length]


def _ducking_db(voice_energies: np.ndarray, voice_loudness: float) -> np.ndarray:
    """Per tick: DUCK_DB while the voice speaks (ramped, held over short pauses), 0 elsewhere."""
    if not math.isfinite(voice_loudness):
        return np.zeros(len(voice_energies))
    speaking = _level_db(voice_energies, VOICE_ACTIVITY_WINDOW_MS) > voice_loudness - VOICE_ACTIVITY_LU
    target = np.where(speaking, DUCK_DB, 0.0)
    ticks_per_second = SAMPLE_RATE / lufs.TICK
    target = dynamics.held(target, round(DUCK_HOLD_SECONDS * ticks_per_second))
    return dynamics.ramped(target, fall_per_tick=-DUCK_DB / (DUCK_FALL_SECONDS * ticks_per_second),
                           rise_per_tick=-DUCK_DB / (DUCK_RISE_SECONDS * ticks_per_second))


def _fades(length: int) -> np.ndarray:
    """Raised-cosine fade-in and fade-out of the bed (shortened for a very short reel)."""
    envelope = np.ones(length, dtype=np.float32)
    for seconds, edge in ((MUSIC_FADE_IN, slice(None)), (MUSIC_FADE_OUT, slice(None, None, -1))):
        samples = min(round(seconds * SAMPLE_RATE), length // 3)
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, samples, dtype=np.float32))
        envelope[edge][:samples] *= ramp
    return envelope


# --- loudness and peaks ---------------------------------------------------------------------
def _normalised(mix: np.ndarray) -> tuple[np.ndarray, _Levels]:
    """``mix`` at TARGET_LOUDNESS with true peaks limited to LIMITER_CEILING, and the levels reached.

    The gain that reaches the target is found on per-tick energies (the limiter's curve changes
    slowly enough for a tick's energy to scale with its gain squared), so the mix is filtered
    and oversampled once, not once per try.
    """
    energies = lufs.tick_energies(lufs.k_weighted(mix))
    loudness = lufs.gated_loudness(energies)
    if not math.isfinite(loudness):
        return mix, _Levels(loudness, -math.inf, 0.0)  # silence stays silence
    gain = TARGET_LOUDNESS - loudness
    peaks_db = _decibels(lufs.tick_true_peaks(mix, floor=lufs.gain(LIMITER_CEILING - gain - TRUE_PEAK_SEARCH_DB)))
    for _ in range(10):  # the limiter takes some loudness away: raise the gain until the target holds
        cut = _limiter_db(peaks_db + gain)
        loudness = lufs.gated_loudness(energies * np.power(10.0, (gain + cut) / 10))
        if abs(loudness - TARGET_LOUDNESS) < 0.05:
            break
        gain += TARGET_LOUDNESS - loudness
        cut = _limiter_db(peaks_db + gain)
    out = mix * dynamics.per_sample(gain + cut, lufs.TICK, len(mix))[:, None]
    # The curve was computed from the peaks before it was applied; a ramp can move a peak by a
    # hair. Any excess comes off the whole soundtrack (a few hundredths of a dB at most).
    peak = float(lufs.tick_true_peaks(out, floor=lufs.gain(LIMITER_CEILING - TRUE_PEAK_SEARCH_DB)).max(initial=0))
    if peak > lufs.gain(LIMITER_CEILING):
        out *= lufs.gain(LIMITER_CEILING) / peak
        loudness += LIMITER_CEILING - lufs.decibels(peak)
        peak = lufs.gain(LIMITER_CEILING)
    return out, _Levels(loudness, lufs.decibels(peak) if peak > 0 else -math.inf, float(cut.min(initial=0.0)))


def _leveler_db(energies: np.ndarray, loudness: float) -> np.ndarray:
    """The leveler's gain per tick for a voice's K-weighted tick energies and its loudness."""
    if not math.isfinite(loudness):
        return np.zeros(len(energies))
    level = _level_db(energies, LEVELER_WINDOW_MS)
    over = np.maximum(0.0, level - (loudness + LEVELER_THRESHOLD_LU))
    return dynamics.ramped(-over * (1 - 1 / LEVELER_RATIO), fall_per_tick=LEVELER_FALL_DB_PER_MS,
                           rise_per_tick=LEVELER_RISE_DB_PER_MS)


def _level_db(energies: np.ndarray, window_ticks: int) -> np.ndarray:
    """Loudness (LUFS-like) of the ``window_ticks`` around each tick, from K-weighted tick energies."""
    power = np.convolve(energies, np.ones(window_ticks) / (window_ticks * lufs.TICK), mode="same")
    with np.errstate(divide="ignore"):
        return lufs.LOUDNESS_OFFSET + 10 * np.log10(power)


def _limiter_db(peaks_db: np.ndarray) -> np.ndarray:
    """The limiter's gain per tick for peaks (dB, after the makeup gain) that must stay under the ceiling."""
    needed = np.minimum(0.0, LIMITER_CEILING - peaks_db)
    return dynamics.ramped(needed, fall_per_tick=LIMITER_FALL_DB_PER_MS, rise_per_tick=LIMITER_RISE_DB_PER_MS)


def _decibels(linear: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 20 * np.log10(linear)


def _write_wav(path: Path, samples: np.ndarray) -> Path:
    """Write float samples (samples, channels) as a 48 kHz 16-bit PCM WAV."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(samples.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())
    return path
