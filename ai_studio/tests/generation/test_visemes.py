"""Phonemes -> mouth shapes -> one shape per frame: the rules a viewer's eye checks."""

import pytest

from ai_studio.generation.types import PhonemeTiming
from ai_studio.generation.visemes import (
    HOLD_GAP,
    SHAPES,
    Viseme,
    VisemeSpan,
    frame_visemes,
    viseme_of,
    viseme_spans,
)

FPS = 30


def timeline(*items: tuple[str, float]) -> list[PhonemeTiming]:
    """Phonemes back to back from t=0, each lasting the given seconds."""
    result, cursor = [], 0.0
    for phoneme, seconds in items:
        result.append(PhonemeTiming(phoneme, cursor, cursor + seconds))
        cursor += seconds
    return result


def shapes(spans: list[VisemeSpan]) -> list[str]:
    return [span.viseme.value for span in spans]


def test_there_are_twelve_shapes_from_rest_to_rounded_lips():
    assert SHAPES == ("rest", "mbp", "fv", "th", "cdgknst", "shr", "l", "a", "e", "i", "o", "uw")


@pytest.mark.parametrize(
    ("phoneme", "shape"),
    [
        ("m", Viseme.MBP), ("b", Viseme.MBP), ("p", Viseme.MBP), ("β", Viseme.MBP),
        ("f", Viseme.FV), ("v", Viseme.FV),
        ("θ", Viseme.TH), ("ð", Viseme.TH),
        ("t", Viseme.CDGKNST), ("d", Viseme.CDGKNST), ("k", Viseme.CDGKNST), ("ɡ", Viseme.CDGKNST),
        ("n", Viseme.CDGKNST), ("s", Viseme.CDGKNST), ("z", Viseme.CDGKNST),
        ("ʃ", Viseme.SHR), ("ʒ", Viseme.SHR), ("ɹ", Viseme.SHR),
        ("l", Viseme.L),
        ("ɑ", Viseme.A), ("æ", Viseme.A), ("ʌ", Viseme.A),
        ("ɛ", Viseme.E), ("ə", Viseme.E), ("ɚ", Viseme.E),
        ("i", Viseme.I), ("ɪ", Viseme.I), ("j", Viseme.I),
        ("o", Viseme.O), ("ɔ", Viseme.O),
        ("u", Viseme.UW), ("ʊ", Viseme.UW), ("w", Viseme.UW),
    ],
)  # fmt: skip
def test_each_phoneme_maps_to_the_shape_the_lips_make(phoneme, shape):
    assert viseme_of(phoneme) == shape


@pytest.mark.parametrize("mark", [" ", ",", ".", "!", "?", "ˈ", "ˌ", "ː"])
def test_pauses_and_marks_have_no_shape_of_their_own(mark):
    assert viseme_of(mark) is None


def test_a_nasalised_vowel_keeps_its_vowel_shape_and_an_unknown_letter_gets_a_neutral_one():
    assert viseme_of("ẽ") == Viseme.E  # one code point; eSpeak writes it as e + combining tilde
    assert viseme_of("ʘ") == Viseme.CDGKNST


def test_mama_closes_the_lips_on_each_m_and_opens_on_each_a():
    spans = viseme_spans(timeline(("m", 0.08), ("ˈ", 0.03), ("ɑ", 0.12), ("m", 0.08), ("ə", 0.1)))

    assert shapes(spans) == ["mbp", "a", "mbp", "e"]


def test_a_stress_mark_belongs_to_the_phoneme_after_it_and_a_length_mark_to_the_one_before():
    spans = viseme_spans(timeline(("s", 0.1), ("ˈ", 0.05), ("i", 0.1), ("ː", 0.1), ("t", 0.1)))

    assert [(s.viseme, round(s.start, 2), round(s.end, 2)) for s in spans] == [
        (Viseme.CDGKNST, 0.0, 0.1),
        (Viseme.I, 0.1, 0.35),  # the stress mark's audio and the length mark's both go to "i"
        (Viseme.CDGKNST, 0.35, 0.45),
    ]


def test_the_lips_shape_the_vowel_after_an_h_already_during_the_h():
    spans = viseme_spans(timeline(("h", 0.06), ("ˈ", 0.03), ("o", 0.15), ("ʊ", 0.1)))

    assert shapes(spans) == ["o", "uw"]
    assert spans[0].start == 0.0


def test_a_short_gap_between_words_keeps_the_shape_and_a_long_pause_rests():
    short_gap = viseme_spans(timeline(("o", 0.2), (" ", HOLD_GAP / 2), ("t", 0.1)))
    long_pause = viseme_spans(timeline(("o", 0.2), (",", 0.3), (" ", 0.05), ("t", 0.1)))

    assert shapes(short_gap) == ["o", "cdgknst"]
    assert short_gap[0].end == pytest.approx(0.2 + HOLD_GAP / 2)
    assert shapes(long_pause) == ["o", "rest", "cdgknst"]
    assert (long_pause[1].start, long_pause[1].end) == pytest.approx((0.2, 0.55))


def test_a_pause_at_the_end_rests_however_short():
    spans = viseme_spans(timeline(("o", 0.2), (".", 0.02)))

    assert shapes(spans) == ["o", "rest"]


def test_time_without_phonemes_is_rest_on_every_frame():
    spans = viseme_spans([PhonemeTiming("ɑ", 0.5, 1.0)])

    frames = frame_visemes(spans, FPS, 45)  # 1.5 s

    assert set(frames[:15]) == {Viseme.REST}  # silence before
    assert set(frames[15:30]) == {Viseme.A}
    assert set(frames[30:]) == {Viseme.REST}  # and after


def test_each_frame_shows_the_shape_heard_for_most_of_it():
    # "a" covers 70% of frame 0 and "o" the rest; frame 1 is all "o".
    spans = [VisemeSpan(Viseme.A, 0.0, 0.7 / FPS), VisemeSpan(Viseme.O, 0.7 / FPS, 2 / FPS)]

    assert frame_visemes(spans, FPS, 2) == [Viseme.A, Viseme.O]


@pytest.mark.parametrize("closure", [Viseme.MBP, Viseme.FV])
def test_a_closure_shorter_than_a_frame_is_never_dropped(closure):
    # A 10 ms "b" between two vowels, straddling a frame boundary: neither frame is mostly "b".
    boundary = 3 / FPS
    spans = [
        VisemeSpan(Viseme.A, 0.0, boundary - 0.004),
        VisemeSpan(closure, boundary - 0.004, boundary + 0.006),
        VisemeSpan(Viseme.E, boundary + 0.006, 6 / FPS),
    ]

    frames = frame_visemes(spans, FPS, 6)

    assert frames.count(closure) == 1
    assert frames[3] == closure  # the frame it overlaps most
    assert frames[0] == Viseme.A and frames[5] == Viseme.E


def test_a_brief_vowel_may_be_skipped_but_a_closure_wins_its_frame():
    spans = [
        VisemeSpan(Viseme.O, 0.0, 0.9 / FPS),
        VisemeSpan(Viseme.I, 0.9 / FPS, 0.95 / FPS),  # 1.7 ms: nobody sees it
        VisemeSpan(Viseme.O, 0.95 / FPS, 2 / FPS),
    ]

    assert frame_visemes(spans, FPS, 2) == [Viseme.O, Viseme.O]


def test_frames_past_the_timeline_rest_and_spans_past_the_frames_are_ignored():
    spans = [VisemeSpan(Viseme.A, 0.0, 10.0)]

    assert frame_visemes(spans, FPS, 3) == [Viseme.A] * 3
    assert frame_visemes([], FPS, 3) == [Viseme.REST] * 3
