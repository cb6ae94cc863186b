"""Captions: reel-style cues from word timings, written as SRT, WebVTT and ASS."""

import re
import subprocess
from itertools import pairwise

import imageio_ffmpeg
import numpy as np
import pytest

from ai_studio.generation.captions import (
    FONT_DIR,
    FONT_NAME,
    build_cues,
    parse_srt,
    parse_vtt,
    to_ass,
    to_srt,
    to_vtt,
)
from ai_studio.generation.types import CaptionStyle, Cue, WordTiming


def timed(
    text: str, start: float = 0.0, word_seconds: float = 0.3, gap: float = 0.05
) -> list[WordTiming]:
    """Evenly spoken words, for captions tests that need no real audio."""
    words = []
    for word in text.split():
        words.append(WordTiming(word, round(start, 3), round(start + word_seconds, 3)))
        start += word_seconds + gap
    return words


WORDS = timed(
    "Meet ReelMate, the studio in your pocket. It writes, voices and edits your videos in minutes!"
)


def events(ass: str) -> list[tuple[str, str, str]]:
    """(start, end, text) of each Dialogue line."""
    return [
        (start, end, text)
        for start, end, text in re.findall(
            r"^Dialogue: 0,([^,]+),([^,]+),Caption,,0,0,0,,(.*)$", ass, re.MULTILINE
        )
    ]


# --- cues -----------------------------------------------------------------------------------------


def test_cues_keep_every_word_in_order():
    cues = build_cues(WORDS)
    assert [word for cue in cues for word in cue.words] == WORDS


def test_cues_never_overlap_and_span_their_words():
    cues = build_cues(WORDS)
    for cue in cues:
        assert (cue.start, cue.end) == (cue.words[0].start, cue.words[-1].end)
    for earlier, later in pairwise(cues):
        assert earlier.end <= later.start


def test_cues_hold_a_few_short_words():
    for cue in build_cues(WORDS, max_words=3, max_chars=20):
        assert len(cue.words) <= 3
        assert len(cue.text) <= 20


def test_a_word_longer_than_a_cue_gets_a_cue_of_its_own():
    cues = build_cues(timed("see supercalifragilisticexpialidocious now"), max_chars=10)
    assert [cue.text for cue in cues] == [
        "see",
        "supercalifragilisticexpialidocious",
        "now",
    ]


def test_cues_end_at_sentence_ends():
    cues = build_cues(timed("Go now. Then stop! Why? Fine"), max_words=4, max_chars=40)
    assert [cue.text for cue in cues] == ["Go now.", "Then stop!", "Why?", "Fine"]


def test_cues_break_at_long_pauses():
    words = timed("one two", start=0.0) + timed("three four", start=2.0)
    assert [cue.text for cue in build_cues(words, max_gap=0.6)] == [
        "one two",
        "three four",
    ]


def test_overlapping_word_timings_still_give_disjoint_cues():
    words = [
        WordTiming("a", 0.0, 0.5),
        WordTiming("b", 0.4, 0.9),
        WordTiming("c", 0.3, 0.6),
        WordTiming("d.", 1.0, 1.2),
    ]
    cues = build_cues(words, max_words=1)
    for earlier, later in pairwise(cues):
        assert earlier.end <= later.start
    assert [cue.text for cue in cues] == ["a", "b", "c", "d."]


def test_no_words_no_cues():
    assert build_cues([]) == []
    assert parse_vtt(to_vtt([])) == []


# --- SRT and WebVTT -------------------------------------------------------------------------------


def test_srt_numbers_cues_with_comma_millisecond_timestamps():
    cues = [Cue(1.5, 2.25, tuple(timed("hello there", start=1.5)))]
    assert to_srt(cues) == "1\n00:00:01,500 --> 00:00:02,250\nhello there\n"


def test_srt_parses_back_to_the_same_cues():
    cues = build_cues(WORDS)
    parsed = parse_srt(to_srt(cues))
    assert [(p.start, p.end, p.text) for p in parsed] == [
        (c.start, c.end, c.text) for c in cues
    ]


def test_vtt_starts_with_webvtt_and_parses_back_to_the_same_cues():
    cues = build_cues(WORDS)
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n")
    parsed = parse_vtt(vtt)
    assert [(p.start, p.end, p.text) for p in parsed] == [
        (c.start, c.end, c.text) for c in cues
    ]


def test_vtt_timestamps_are_hours_minutes_seconds_milliseconds():
    cues = [Cue(3725.0416, 3726.5, (WordTiming("late", 3725.0416, 3726.5),))]
    assert "01:02:05.042 --> 01:02:06.500" in to_vtt(cues)


def test_vtt_escapes_markup_and_keeps_the_text():
    cues = [Cue(0.0, 1.0, tuple(timed("<b>bold</b> & --> arrows")))]
    vtt = to_vtt(cues)
    assert "<b>" not in vtt and "--> arrows" not in vtt
    assert parse_vtt(vtt)[0].text == "<b>bold</b> & --> arrows"


def test_parse_vtt_needs_the_webvtt_header():
    with pytest.raises(ValueError):
        parse_vtt("00:00:00.000 --> 00:00:01.000\nhi\n")


# --- ASS ------------------------------------------------------------------------------------------


def test_ass_is_laid_out_for_the_frame():
    ass = to_ass(build_cues(WORDS), CaptionStyle(font_size=64), 720, 1280)
    assert "PlayResX: 720\nPlayResY: 1280\n" in ass
    style = re.search(r"^Style: Caption,(.*)$", ass, re.MULTILINE).group(1).split(",")
    assert style[0] == FONT_NAME
    assert int(style[1]) == round(
        64 * 720 / 1080
    )  # font size follows the frame's width
    assert int(style[15]) > 0  # outlined


@pytest.mark.parametrize(
    ("position", "alignment"), [("bottom", "2"), ("center", "5"), ("top", "8")]
)
def test_ass_alignment_follows_the_caption_position(position, alignment):
    ass = to_ass(build_cues(WORDS), CaptionStyle(position=position), 1080, 1920)
    style = re.search(r"^Style: Caption,(.*)$", ass, re.MULTILINE).group(1).split(",")
    assert style[17] == alignment


def test_ass_highlights_the_spoken_word_with_one_event_per_word():
    cues = build_cues(WORDS)
    ass_events = events(
        to_ass(cues, CaptionStyle(highlight_color="#FFD400"), 1080, 1920)
    )
    assert len(ass_events) == len(WORDS)
    for (_, _, text), word in zip(ass_events, WORDS):
        assert text.count("{\\c&H00D4FF&}") == 1  # ASS colours are blue, green, red
        assert f"{{\\c&H00D4FF&}}{word.text}{{\\r}}" in text


def test_ass_highlight_events_follow_each_other_without_gaps():
    cues = build_cues(WORDS)
    ass_events = events(to_ass(cues, CaptionStyle(), 1080, 1920))
    for (_, end, _), (start, _, _) in pairwise(ass_events):
        assert end == start


def test_ass_without_highlight_has_one_plain_event_per_cue():
    cues = build_cues(WORDS)
    ass_events = events(
        to_ass(cues, CaptionStyle(highlight_spoken_word=False), 1080, 1920)
    )
    assert [text for _, _, text in ass_events] == [cue.text for cue in cues]


def test_ass_keeps_a_cue_up_through_a_short_silence_but_not_a_long_one():
    words = (
        timed("one two.", start=0.0)
        + timed("three four.", start=0.9)
        + timed("five", start=5.0)
    )
    ass_events = events(
        to_ass(build_cues(words), CaptionStyle(highlight_spoken_word=False), 1080, 1920)
    )
    assert [(start, end) for start, end, _ in ass_events] == [
        ("0:00:00.00", "0:00:00.90"),
        ("0:00:00.90", "0:00:01.55"),
        ("0:00:05.00", "0:00:05.30"),
    ]


def test_ass_escapes_braces_and_backslashes_in_user_text():
    words = timed(r"{\b1}bold \N newline")
    ass = to_ass(
        build_cues(words), CaptionStyle(highlight_spoken_word=False), 1080, 1920
    )
    text = events(ass)[0][2]
    assert (
        re.search(r"(?<!\\)[{}]", text) is None
    )  # no brace left to open an override block
    assert "\\N" not in text and "\\b1" not in text


def test_ass_colours_must_be_hex():
    with pytest.raises(ValueError):
        to_ass(build_cues(WORDS), CaptionStyle(highlight_color="yellow"), 1080, 1920)


def test_a_font_is_shipped_for_rendering():
    assert any(path.suffix == ".ttf" for path in FONT_DIR.iterdir())


def test_ffmpeg_burns_the_ass_captions_with_the_spoken_word_highlighted(tmp_path):
    width, height = 360, 640
    words = timed("{Hello} big world")
    subtitles = tmp_path / "captions.ass"
    subtitles.write_text(
        to_ass(
            build_cues(words), CaptionStyle(highlight_color="#FFD400"), width, height
        )
    )
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"color=c=black:s={width}x{height}:d=1",
        "-vf", f"subtitles={subtitles}:fontsdir={FONT_DIR}", "-ss", "0.5", "-frames:v", "1",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]  # fmt: skip
    frame = np.frombuffer(
        subprocess.run(command, capture_output=True, check=True).stdout, dtype=np.uint8
    )
    pixels = frame.reshape(height, width, 3).astype(int)
    yellow = (pixels[..., 0] > 200) & (pixels[..., 1] > 170) & (pixels[..., 2] < 80)
    white = (pixels > 200).all(axis=-1)
    assert yellow.sum() > 50, (
        "the word being spoken ('big' at 0.5 s) is drawn in the highlight colour"
    )
    assert white.sum() > 50, "the other words are drawn in the text colour"
    assert not (yellow | white)[: height // 2].any(), (
        "bottom captions stay in the lower half"
    )
