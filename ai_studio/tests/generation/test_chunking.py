"""How a script is cut into chunks and words, and how word timings are estimated or mapped."""

import random
from itertools import pairwise

import pytest

from ai_studio.generation.speech.openai_tts import align_transcribed_words
from ai_studio.generation.speech.text import script_word_spans, script_words, split_sentences
from ai_studio.generation.speech.timing import TimeSpan, estimate_word_timings, fill_unmatched_timings
from ai_studio.generation.types import WordTiming

SCRIPT = (
    "Meet ReelMate. It writes, voices and edits your short videos in minutes! "
    "Pick an avatar, paste a script, and press go; the rest is automatic. "
    "Ready?"
)


def assert_ordered_within(timings: list[WordTiming], start: float, end: float) -> None:
    for word in timings:
        assert start <= word.start <= word.end <= end
    for earlier, later in pairwise(timings):
        assert earlier.end <= later.start


# --- chunks ---------------------------------------------------------------------------------------


def test_chunking_keeps_all_text_in_order():
    for max_chars in (10, 25, 60, 1000):
        assert " ".join(split_sentences(SCRIPT, max_chars)).split() == SCRIPT.split()


def test_chunking_never_splits_a_word():
    words = set(SCRIPT.split())
    for max_chars in range(5, 80):
        for chunk in split_sentences(SCRIPT, max_chars):
            assert set(chunk.split()) <= words


def test_chunks_fit_the_limit():
    for max_chars in range(12, 200, 7):
        assert all(
            len(chunk) <= max_chars for chunk in split_sentences(SCRIPT, max_chars)
        )


def test_chunks_end_at_sentence_boundaries_when_sentences_fit():
    text = "One two three. Four five six! Seven eight nine?"
    assert split_sentences(text, 17) == [
        "One two three.",
        "Four five six!",
        "Seven eight nine?",
    ]


def test_whole_sentences_are_packed_together_up_to_the_limit():
    text = "One. Two. Three. Four."
    assert split_sentences(text, 10) == ["One. Two.", "Three.", "Four."]
    assert split_sentences(text, 1000) == [text]


def test_an_overlong_sentence_splits_at_commas_before_spaces():
    text = "First part of it, second part of it, third part of it."
    assert split_sentences(text, 20) == [
        "First part of it,",
        "second part of it,",
        "third part of it.",
    ]


def test_an_overlong_clause_splits_between_words():
    text = "alpha beta gamma delta epsilon zeta eta theta"
    chunks = split_sentences(text, 12)
    assert chunks == ["alpha beta", "gamma delta", "epsilon zeta", "eta theta"]


def test_a_word_longer_than_the_limit_becomes_its_own_chunk():
    assert split_sentences("see https://example.com/a/very/long/path now", 10) == [
        "see",
        "https://example.com/a/very/long/path",
        "now",
    ]


def test_chunking_ignores_extra_whitespace_and_empty_text():
    assert split_sentences("  Hello\n\n  world.\tAgain.  ", 100) == [
        "Hello world. Again."
    ]
    assert split_sentences("   ", 100) == []


def test_chunking_needs_a_positive_limit():
    with pytest.raises(ValueError):
        split_sentences("Hello.", 0)


def test_chunking_keeps_random_text_and_limits():
    rng = random.Random(7)
    vocabulary = [
        "a",
        "word",
        "longer",
        "sentence.",
        "clause,",
        "wow!",
        "semi;",
        "dash",
        "—",
        "x" * 30,
    ]
    for _ in range(200):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 60)))
        max_chars = rng.randint(5, 120)
        chunks = split_sentences(text, max_chars)
        assert " ".join(chunks).split() == text.split()
        assert all(len(chunk) <= max_chars or " " not in chunk for chunk in chunks)


# --- words ----------------------------------------------------------------------------------------


def test_script_words_are_whitespace_separated_and_keep_punctuation():
    assert script_words("Hello, world! It's 5 o'clock.") == [
        "Hello,",
        "world!",
        "It's",
        "5",
        "o'clock.",
    ]


def test_unspoken_tokens_are_glued_to_a_neighbouring_word():
    assert script_words("— Wait — what ...") == ["— Wait —", "what ..."]


def test_read_out_symbols_count_as_words():
    assert script_words("salt & pepper, 50 %") == ["salt", "&", "pepper,", "50", "%"]


def test_word_spans_point_into_the_text():
    text = "  ¿Dónde   está?"
    assert [
        (word, text[start:end]) for word, start, end in script_word_spans(text)
    ] == [
        ("¿Dónde", "¿Dónde"),
        ("está?", "está?"),
    ]


# --- estimated and mapped timings ------------------------------------------------------------------


def test_estimate_spreads_words_over_the_whole_span_in_order():
    words = script_words(SCRIPT)
    timings = estimate_word_timings(words, 0.5, 12.0)
    assert [t.text for t in timings] == words
    assert_ordered_within(timings, 0.5, 12.0)
    assert timings[0].start == 0.5 and timings[-1].end == pytest.approx(12.0)


def test_estimate_gives_longer_words_more_time_and_pauses_after_punctuation():
    timings = estimate_word_timings(["a", "wonderful.", "Then", "more"], 0.0, 10.0)
    a, wonderful, then, more = timings
    assert wonderful.end - wonderful.start > a.end - a.start
    assert then.start - wonderful.end > more.start - then.end


def test_estimate_of_no_words_is_empty_and_of_no_time_is_zero_length():
    assert estimate_word_timings([], 0.0, 1.0) == []
    assert all(
        t.start == t.end == 2.0 for t in estimate_word_timings(["a", "b"], 2.0, 2.0)
    )


def test_words_without_a_span_are_estimated_inside_their_gap():
    spans = [TimeSpan(0.0, 0.4), None, None, TimeSpan(1.2, 1.5)]
    timings = fill_unmatched_timings(["one", "two", "three", "four"], spans, 0.0, 2.0)
    assert [t.text for t in timings] == ["one", "two", "three", "four"]
    assert_ordered_within(timings, 0.0, 2.0)
    assert 0.4 <= timings[1].start and timings[2].end <= 1.2


def test_overlapping_spans_are_made_ordered():
    spans = [TimeSpan(0.0, 0.6), TimeSpan(0.5, 0.9), TimeSpan(0.8, 3.0)]
    assert_ordered_within(
        fill_unmatched_timings(["a", "b", "c"], spans, 0.0, 2.0), 0.0, 2.0
    )


def test_transcribed_words_map_back_onto_the_script():
    script = ["Hello,", "world!", "It", "costs", "$5."]
    heard = [
        WordTiming("hello", 0.1, 0.4),
        WordTiming("world", 0.5, 0.9),
        WordTiming("it", 1.2, 1.3),
        WordTiming("costs", 1.35, 1.7),
        WordTiming("five", 1.8, 2.0),
        WordTiming("dollars", 2.0, 2.4),
    ]
    timings = align_transcribed_words(script, heard, 0.0, 3.0)
    assert [t.text for t in timings] == script
    assert (timings[0].start, timings[0].end) == (0.1, 0.4)
    assert (timings[-1].start, timings[-1].end) == (
        1.8,
        2.4,
    )  # "$5." heard as two words
    assert_ordered_within(timings, 0.0, 3.0)


def test_a_script_word_missing_from_the_transcript_is_estimated_between_neighbours():
    heard = [
        WordTiming("one", 0.0, 0.3),
        WordTiming("two", 0.4, 0.6),
        WordTiming("four", 1.5, 1.8),
    ]
    timings = align_transcribed_words(["one", "two", "three", "four"], heard, 0.0, 2.0)
    assert (
        timings[2].text == "three" and 0.6 <= timings[2].start <= timings[2].end <= 1.5
    )


def test_a_transcript_that_does_not_line_up_is_rejected():
    heard = [
        WordTiming(word, i, i + 0.5)
        for i, word in enumerate(["completely", "different", "speech"])
    ]
    assert (
        align_transcribed_words(["Hello", "there", "my", "friend"], heard, 0.0, 3.0)
        is None
    )
