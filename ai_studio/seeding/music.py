"""The starter music beds, synthesised with numpy: chords on pads, a bass line, an arpeggio and a beat.

Made here from nothing (no samples, no downloads), so ReelMate can ship them under CC0. Each
track is a whole number of bars long and rendered circularly (a note still ringing at the end
continues at the start), so it loops without a seam. Stored as MP3, which every browser plays.
"""

from __future__ import annotations

import functools
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ai_studio.generation import lufs
from ai_studio.generation.ffmpeg import run_ffmpeg

RATE = lufs.SAMPLE_RATE
TRACK_LOUDNESS = -16.0  # LUFS: a comfortable preview level (the mix sets its own bed level)
TRACK_PEAK = -1.0  # dBFS
MP3_BITRATE = "160k"
LICENCE = "CC0 1.0 (public domain dedication)"
CREDIT = "Synthesised by ReelMate"


@dataclass(frozen=True)
class StarterTrack:
    slug: str
    title: str
    mood: str
    description: str
    bpm: float
    chords: tuple[tuple[int, ...], ...]  # MIDI notes of each bar's chord, repeated to fill the bars
    bars: int
    beat: str  # "drive" (four on the floor), "steady" (kick on 1 and 3), "none"
    seed: int

    @property
    def seconds(self) -> float:
        return self.bars * 4 * 60 / self.bpm


C, D, E, F, G, A, B = 60, 62, 64, 65, 67, 69, 71
STARTER_TRACKS = (
    StarterTrack("bright-start", "Bright Start", "upbeat",
                 "Four on the floor, claps and a bouncing arpeggio: launches, promos, countdowns.",
                 bpm=118, chords=((C, E, G), (G - 12, B - 12, D), (A - 12, C, E), (F - 12, A - 12, C)), bars=16,
                 beat="drive", seed=11),
    StarterTrack("clear-plan", "Clear Plan", "corporate",
                 "Steady and optimistic, a light pulse under warm chords: explainers, B2B, announcements.",
                 bpm=100, chords=((G - 12, B - 12, D), (D, F + 1, A), (E - 12, G - 12, B - 12), (C, E, G)), bars=12,
                 beat="steady", seed=23),
    StarterTrack("still-water", "Still Water", "calm",
                 "Slow, soft pads and a gentle arpeggio, no drums: wellness, testimonials, storytelling.",
                 bpm=72, chords=((F - 12, A - 12, C, E), (C, E, G, B), (D, F, A, C + 12), (B - 1 - 12, D, F, A)),
                 bars=8, beat="none", seed=37),
)


def synthesize(track: StarterTrack) -> np.ndarray:
    """The track as 48 kHz stereo float samples, shaped (samples, 2), at TRACK_LOUDNESS."""
    beat = 60 / track.bpm
    length = round(track.seconds * RATE)
    mix = np.zeros((length, 2), dtype=np.float64)
    rng = np.random.default_rng(track.seed)
    for bar in range(track.bars):
        chord = track.chords[bar % len(track.chords)]
        start = bar * 4 * beat
        for index, note in enumerate(chord):  # pads across the stereo field, a little detuned
            _add(mix, start, _pad(note, 4 * beat + 0.6), pan=-0.5 + index / max(1, len(chord) - 1))
        for eighth in range(8):
            _add(mix, start + eighth * beat / 2, _pluck(chord[eighth % len(chord)] + 12, 0.35) * 0.28,
                 pan=0.35 if eighth % 2 else -0.35)
        bass_steps = 8 if track.beat == "drive" else 4
        for step in range(bass_steps):
            _add(mix, start + step * 4 * beat / bass_steps, _bass(36 + chord[0] % 12, 4 * beat / bass_steps), pan=0.0)
        _add_beat(mix, track.beat, start, beat, rng)
    return _at_preview_level(mix).astype(np.float32)


@functools.cache
def track_mp3(slug: str) -> bytes:
    """A starter track, synthesised and encoded once per process (seeding runs again change nothing)."""
    track = next(track for track in STARTER_TRACKS if track.slug == slug)
    samples = synthesize(track)
    with tempfile.TemporaryDirectory(prefix="starter-music-") as scratch:
        wav, mp3 = Path(scratch) / "track.wav", Path(scratch) / "track.mp3"
        with wave.open(str(wav), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(np.round(samples * 32767).astype("<i2").tobytes())
        run_ffmpeg(["-y", "-loglevel", "error", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", MP3_BITRATE, str(mp3)])
        return mp3.read_bytes()


# --- instruments --------------------------------------------------------------------------------
def _frequency(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _time(seconds: float) -> np.ndarray:
    return np.arange(round(seconds * RATE)) / RATE


# The instruments are cached: a track plays the same few notes over and over.
@functools.cache
def _pad(note: int, seconds: float) -> np.ndarray:
    """A soft, slowly breathing chord tone: two detuned voices with a few harmonics."""
    t = _time(seconds)
    tone = np.zeros_like(t)
    for cents in (-6, 6):
        frequency = _frequency(note + cents / 100)
        for harmonic, weight in ((1, 1.0), (2, 0.35), (3, 0.12)):
            tone += weight * np.sin(2 * np.pi * frequency * harmonic * t + cents)
    envelope = np.minimum(1.0, t / 0.35) * np.minimum(1.0, (seconds - t) / 0.6)
    return tone * envelope * 0.06


@functools.cache
def _pluck(note: int, seconds: float) -> np.ndarray:
    t = _time(seconds)
    frequency = _frequency(note)
    tone = np.sin(2 * np.pi * frequency * t) + 0.3 * np.sin(4 * np.pi * frequency * t)
    return tone * np.exp(-t / 0.09) * np.minimum(1.0, t / 0.004)


@functools.cache
def _bass(note: int, seconds: float) -> np.ndarray:
    t = _time(seconds * 0.95)
    frequency = _frequency(note)
    tone = np.sin(2 * np.pi * frequency * t) + 0.25 * np.sin(4 * np.pi * frequency * t)
    return tone * np.exp(-t / 0.35) * np.minimum(1.0, t / 0.006) * np.minimum(1.0, (t[-1] - t) / 0.01) * 0.3


@functools.cache
def _kick() -> np.ndarray:
    t = _time(0.35)
    phase = 2 * np.pi * (45 * t + (150 - 45) * 0.03 * (1 - np.exp(-t / 0.03)))
    return np.sin(phase) * np.exp(-t / 0.12) * 0.8


def _noise_hit(rng: np.random.Generator, seconds: float, decay: float, brightness: int) -> np.ndarray:
    """A noise burst; each first difference tilts it further towards the highs (claps, hats)."""
    t = _time(seconds)
    noise = rng.standard_normal(len(t) + brightness)
    for _ in range(brightness):
        noise = np.diff(noise)
    return noise / 2 ** brightness * np.exp(-t / decay)


def _add_beat(mix: np.ndarray, style: str, start: float, beat: float, rng: np.random.Generator) -> None:
    if style == "none":
        return
    kicks = range(4) if style == "drive" else (0, 2)
    for step in kicks:
        _add(mix, start + step * beat, _kick(), pan=0.0)
    for step in (1, 3):
        _add(mix, start + step * beat, _noise_hit(rng, 0.25, 0.05, 1) * (0.35 if style == "drive" else 0.22), pan=0.1)
    for eighth in range(8):
        accent = 0.12 if eighth % 2 else 0.06
        _add(mix, start + eighth * beat / 2, _noise_hit(rng, 0.08, 0.015, 2) * accent, pan=0.3)


def _add(mix: np.ndarray, at: float, sound: np.ndarray, *, pan: float) -> None:
    """Mix ``sound`` (shorter than the track) in at ``at`` seconds; what runs past the end continues at the start."""
    gains = np.array([np.cos((pan + 1) * np.pi / 4), np.sin((pan + 1) * np.pi / 4)])  # constant power
    first = round(at * RATE) % len(mix)
    head = min(len(sound), len(mix) - first)
    mix[first:first + head] += sound[:head, None] * gains
    mix[:len(sound) - head] += sound[head:, None] * gains


def _at_preview_level(mix: np.ndarray) -> np.ndarray:
    """Gain to TRACK_LOUDNESS, less if that would peak above TRACK_PEAK."""
    gain_db = TRACK_LOUDNESS - lufs.integrated_loudness(mix)
    peak_db = lufs.true_peak(mix)
    return mix * lufs.gain(min(gain_db, TRACK_PEAK - peak_db))
