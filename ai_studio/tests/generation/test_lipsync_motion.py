"""Blinks and head motion: irregular like a person's, gentle, reproducible."""

from itertools import pairwise

import numpy as np

from ai_studio.generation.lipsync import (
    BLINK_GAP_MAX,
    NOD_SECONDS,
    PHRASE_PAUSE,
    blink_states,
    head_offsets,
    phrase_starts,
)
from ai_studio.generation.visemes import Viseme

FPS = 30
MINUTE = 60 * FPS


def blink_starts(states: list[int]) -> list[int]:
    return [n for n in range(1, len(states)) if states[n] and not states[n - 1]]


def test_blinks_come_at_irregular_intervals_of_a_few_seconds():
    starts = blink_starts(blink_states(MINUTE, FPS, seed=3))
    gaps = [(b - a) / FPS for a, b in pairwise(starts)]

    assert 7 <= len(starts) <= 40  # people blink ~10-20 times a minute while talking
    assert max(gaps) <= BLINK_GAP_MAX + 0.5
    assert np.std(gaps) > 0.5  # not a metronome


def test_a_blink_closes_the_eyes_through_half_shut_and_opens_again_within_a_fifth_of_a_second():
    states = blink_states(MINUTE, FPS, seed=3)
    first = blink_starts(states)[0]
    blink = states[first : first + 8]

    assert blink[0] == 1 and 2 in blink
    assert blink.index(0) <= 0.2 * FPS  # open again


def test_blinks_differ_between_seeds_and_repeat_for_the_same_seed():
    assert blink_states(MINUTE, FPS, seed=1) == blink_states(MINUTE, FPS, seed=1)
    assert blink_states(MINUTE, FPS, seed=1) != blink_states(MINUTE, FPS, seed=2)


def test_the_head_drifts_gently_within_its_margin_in_even_steps():
    offsets = head_offsets(MINUTE, FPS, margin=10, seed=3)
    xs, ys = zip(*offsets)

    assert max(map(abs, xs + ys)) <= 10
    assert all(value % 2 == 0 for value in xs + ys)
    assert max(xs) - min(xs) >= 10  # it does move
    # Gentle: never more than one 2-pixel step between frames.
    assert all(abs(a - b) <= 2 for a, b in pairwise(xs))
    assert all(abs(a - b) <= 2 for a, b in pairwise(ys))


def test_the_head_nods_as_each_phrase_begins():
    rest, talk = [Viseme.REST], [Viseme.A]
    visemes = rest * 30 + talk * 40 + rest * 3 + talk * 20 + rest * 20 + talk * 30
    starts = phrase_starts(visemes, FPS)

    still = head_offsets(len(visemes), FPS, margin=20, seed=5)
    nodding = head_offsets(len(visemes), FPS, margin=20, seed=5, nods=starts)

    assert starts == [30, 113]  # a 3-frame gap is not a pause (PHRASE_PAUSE); 20 frames are
    assert PHRASE_PAUSE * FPS <= 20
    for start in starts:
        middle = start + round(NOD_SECONDS * FPS / 2)
        assert nodding[middle][1] < still[middle][1]  # the window rises: the face dips
        assert nodding[middle][0] == still[middle][0]
    assert nodding[:30] == still[:30]


def test_speech_from_the_first_frame_is_a_phrase_start():
    assert phrase_starts([Viseme.E, Viseme.E, Viseme.REST], FPS) == [0]
