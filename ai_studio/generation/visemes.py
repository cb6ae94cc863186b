"""Spoken phonemes -> mouth shapes (visemes) -> one shape per video frame.

Twelve shapes, after the classic animation sets (Preston Blair, Disney): what the lips, teeth
and tongue show, not what the ear hears. Phonemes are eSpeak NG's IPA, as Piper speaks them and
``EspeakPhonemizer`` writes them: one code point each, so a diphthong ("aʊ") is two phonemes
and the mouth glides through both shapes.

Rules, in the order :func:`viseme_spans` applies them:
- A stress mark (ˈ ˌ) has audio of its own (the onset of the stressed syllable) and belongs to
  the phoneme after it, and so does a sound made in the throat (h, ʔ), for which the lips already
  take the next shape; a length mark (ː) lengthens the phoneme before it.
- Word gaps and punctuation are pauses. A pause shorter than ``HOLD_GAP`` keeps the shape
  before it (lips do not snap shut between words); a longer one, and any time with no phoneme
  at all (silence before and after the speech), is ``rest``.
- Per frame, the shape that covers most of the frame wins, except that a closure (M/B/P,
  F/V) too brief to win any frame still takes the frame it overlaps most: a "b" must be seen.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from .types import PhonemeTiming


class Viseme(StrEnum):
    REST = "rest"  # relaxed, lips together: silence
    MBP = "mbp"  # lips pressed shut: m b p
    FV = "fv"  # upper teeth on the lower lip: f v
    TH = "th"  # tongue tip between the teeth: θ ð
    CDGKNST = "cdgknst"  # teeth nearly together, slightly open: t d k g n s z ...
    SHR = "shr"  # lips pushed forward, teeth showing: ʃ ʒ tʃ dʒ r
    L = "l"  # open, tongue tip up behind the teeth: l
    A = "a"  # jaw wide open: ɑ æ a ʌ
    E = "e"  # open, lips spread: ɛ e ə
    I = "i"  # noqa: E741 - lips spread wide, nearly closed: i ɪ j
    O = "o"  # noqa: E741 - round and open: o ɔ ɒ
    UW = "uw"  # small and round: u ʊ w


SHAPES: tuple[str, ...] = tuple(viseme.value for viseme in Viseme)
CLOSURES = frozenset({Viseme.MBP, Viseme.FV})

# A pause shorter than this keeps the mouth where it was (seconds).
HOLD_GAP = 0.12

STRESS_MARKS = frozenset("ˈˌ")
# Sounds made in the throat: the lips already take the shape of what follows ("h" in "hello").
THROAT_SOUNDS = frozenset("hɦʔ")
LENGTH_MARK = "ː"
# Word gaps and punctuation as eSpeak writes them: pauses, not sounds.
PAUSES = frozenset(" .,;:!?¡¿-–—…\"'()[]")

_PHONEME_VISEMES: dict[str, Viseme] = {}
for _viseme, _phonemes in {
    Viseme.MBP: "mbpɱβ",
    Viseme.FV: "fvʋɸ",
    Viseme.TH: "θð",
    Viseme.CDGKNST: "tdkɡgnŋszɾʔxçhɣcɟqʁχħʕɦɲ",
    Viseme.SHR: "ʃʒɹrɻʀʂʐɕʑ",
    Viseme.L: "lɫɭʎʟ",
    Viseme.A: "aɑæʌɐɶ",
    Viseme.E: "eɛəɚɜɝœøɘɵ",
    Viseme.I: "iɪjyʏɨ",
    Viseme.O: "oɔɒ",
    Viseme.UW: "uʊwɯɰʉʍɥ",
}.items():
    for _phoneme in _phonemes:
        _PHONEME_VISEMES[_phoneme] = _viseme


@dataclass(frozen=True)
class VisemeSpan:
    viseme: Viseme
    start: float
    end: float


def viseme_of(phoneme: str) -> Viseme | None:
    """The mouth shape for one IPA phoneme; None for pauses and marks.

    Combining diacritics (nasalisation, syllabic marks) are looked through: the base letter
    decides. An unknown letter gets a neutral, slightly open shape rather than nothing.
    """
    if phoneme in PAUSES or phoneme in STRESS_MARKS or phoneme == LENGTH_MARK:
        return None
    letters = [char for char in unicodedata.normalize("NFD", phoneme) if not _is_combining(char)]
    if not letters:
        return None
    return _PHONEME_VISEMES.get(letters[0], Viseme.CDGKNST)


def _is_combining(char: str) -> bool:
    return unicodedata.combining(char) > 0 or char in "ʰʲʷˠˤ̃"


def viseme_spans(phonemes: Iterable[PhonemeTiming], hold_gap: float = HOLD_GAP) -> list[VisemeSpan]:
    """Timed phonemes -> timed mouth shapes, merged where consecutive shapes are equal.

    Time not covered by any phoneme is rest (the caller's silence); see the module's rules.
    """
    sounds: list[_Sound] = []  # viseme None = a pause
    stress_start: float | None = None  # a stress mark's or throat sound's time, for the next phoneme
    for item in phonemes:
        if item.phoneme in STRESS_MARKS or item.phoneme in THROAT_SOUNDS:
            stress_start = item.start if stress_start is None else stress_start
            continue
        if item.end <= item.start:
            continue
        if item.phoneme == LENGTH_MARK or _only_combining(item.phoneme):
            if sounds:
                sounds[-1] = sounds[-1]._replace(end=max(sounds[-1].end, item.end))
            continue
        start = item.start if stress_start is None else min(stress_start, item.start)
        stress_start = None
        sounds.append(_Sound(viseme_of(item.phoneme), start, item.end))
    return _merge(_resolve_pauses(sounds, hold_gap))


class _Sound(NamedTuple):
    viseme: Viseme | None  # None: a pause
    start: float
    end: float


def _only_combining(phoneme: str) -> bool:
    return bool(phoneme) and all(_is_combining(char) for char in phoneme)


def _resolve_pauses(sounds: list[_Sound], hold_gap: float) -> list[VisemeSpan]:
    """Each run of pauses between two sounds shorter than ``hold_gap`` keeps the shape before
    it; a longer run, or one at either end, is rest."""
    spans: list[VisemeSpan] = []
    index = 0
    while index < len(sounds):
        sound = sounds[index]
        if sound.viseme is not None:
            spans.append(VisemeSpan(sound.viseme, sound.start, sound.end))
            index += 1
            continue
        run_start = sound.start
        while index < len(sounds) and sounds[index].viseme is None:
            run_end = sounds[index].end
            index += 1
        between_sounds = bool(spans) and index < len(sounds)
        if between_sounds and run_end - run_start < hold_gap:
            spans[-1] = VisemeSpan(spans[-1].viseme, spans[-1].start, run_end)
        else:
            spans.append(VisemeSpan(Viseme.REST, run_start, run_end))
    return spans


def _merge(spans: Sequence[VisemeSpan]) -> list[VisemeSpan]:
    merged: list[VisemeSpan] = []
    for span in spans:
        if merged and merged[-1].viseme == span.viseme and span.start - merged[-1].end < 1e-6:
            merged[-1] = VisemeSpan(span.viseme, merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def frame_visemes(spans: Sequence[VisemeSpan], fps: int, frame_count: int) -> list[Viseme]:
    """The shape shown on each of ``frame_count`` frames (frame n covers [n/fps, (n+1)/fps))."""
    frames = [Viseme.REST] * frame_count
    best_overlap = [0.0] * frame_count
    winners: list[int | None] = [None] * frame_count  # index of the span that won each frame
    for index, span in enumerate(spans):
        for frame in _frames_touched(span, fps, frame_count):
            overlap = _overlap(span, frame, fps)
            if overlap > best_overlap[frame]:
                best_overlap[frame], frames[frame], winners[frame] = overlap, span.viseme, index
    # A brief closure that lost every frame it touches takes the one it overlaps most.
    shown = {winner for winner in winners if winner is not None}
    for index, span in enumerate(spans):
        if span.viseme not in CLOSURES or index in shown:
            continue
        touched = list(_frames_touched(span, fps, frame_count))
        if touched:
            frame = max(touched, key=lambda f: _overlap(span, f, fps))
            frames[frame], winners[frame] = span.viseme, index
    return frames


def _frames_touched(span: VisemeSpan, fps: int, frame_count: int) -> range:
    first = max(0, int(span.start * fps))
    last = min(frame_count - 1, int(span.end * fps - 1e-9))
    return range(first, last + 1)


def _overlap(span: VisemeSpan, frame: int, fps: int) -> float:
    return max(0.0, min(span.end, (frame + 1) / fps) - max(span.start, frame / fps))
