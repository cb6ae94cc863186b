"""Captions: word timings -> short reel-style cues -> SRT, WebVTT or ASS (burned in by ffmpeg).

ASS files use the font "DejaVu Sans" (bold); point libass at :data:`FONT_DIR`, where the font is
shipped, so rendering never depends on the system's fonts (ffmpeg: ``subtitles=f.ass:fontsdir=``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from PIL import ImageFont

from .speech.text import SENTENCE_END
from .types import CaptionStyle, Cue, WordTiming

# libass loads every file in this folder as a font: the licence lives in licenses/ below it.
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_NAME = "DejaVu Sans"
FONT_FILE = "DejaVuSans-Bold.ttf"  # the bold face libass picks for FONT_NAME

# Horizontal room kept free on each side, and distance from the frame's edge, as shares of the
# frame; the bottom margin keeps captions clear of the app buttons reels are watched under.
_SIDE_MARGIN = 0.08
_VERTICAL_MARGIN = {"top": 0.12, "center": 0.0, "bottom": 0.22}
# ASS numpad positions, all centred horizontally.
_ALIGNMENT = {"top": 8, "center": 5, "bottom": 2}
# In burned-in video, a cue stays up until the next one when the silence between them is this
# short: a blank frame or two between cues reads as flicker.
_ASS_HOLD_GAP = 0.5


class SubtitleEntry(NamedTuple):
    """A cue read back from an SRT or WebVTT file."""

    start: float
    end: float
    text: str


def build_cues(
    words: Iterable[WordTiming],
    max_words: int = 4,
    max_chars: int = 24,
    max_gap: float = 0.6,
) -> list[Cue]:
    """Group words into short cues for reels.

    A cue holds at most ``max_words`` words and ``max_chars`` characters (a single longer word
    gets a cue of its own), ends after a word that ends a sentence, and ends before a silence
    longer than ``max_gap`` seconds. A cue lasts from its first word's start to its last word's
    end. Words are first made ordered and disjoint, so cues never overlap and no word is lost.
    """
    cues: list[Cue] = []
    current: list[WordTiming] = []
    for word in _ordered(words):
        if current and _starts_new_cue(current, word, max_words, max_chars, max_gap):
            cues.append(_cue(current))
            current = []
        current.append(word)
    if current:
        cues.append(_cue(current))
    return cues


def _ordered(words: Iterable[WordTiming]) -> list[WordTiming]:
    """Words with each starting no earlier than the previous one ends (engines can overlap a little)."""
    ordered: list[WordTiming] = []
    for word in words:
        start = max(word.start, ordered[-1].end) if ordered else max(0.0, word.start)
        ordered.append(WordTiming(word.text, start, max(word.end, start)))
    return ordered


def _starts_new_cue(
    current: list[WordTiming],
    word: WordTiming,
    max_words: int,
    max_chars: int,
    max_gap: float,
) -> bool:
    previous = current[-1]
    return (
        len(current) >= max_words
        or len(" ".join(w.text for w in current)) + 1 + len(word.text) > max_chars
        or bool(SENTENCE_END.search(previous.text))
        or word.start - previous.end > max_gap
    )


def _cue(words: list[WordTiming]) -> Cue:
    return Cue(start=words[0].start, end=words[-1].end, words=tuple(words))


# --- SRT and WebVTT -------------------------------------------------------------------------------


def to_srt(cues: Iterable[Cue]) -> str:
    blocks = [
        f"{number}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n{cue.text}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: Iterable[Cue]) -> str:
    blocks = [
        f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{_vtt_escape(cue.text)}\n"
        for cue in cues
    ]
    return "\n".join(["WEBVTT\n", *blocks])


def _timestamp(seconds: float, decimal_mark: str) -> str:
    """HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (WebVTT)."""
    hours, minutes, secs, ms = _clock(seconds, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_mark}{ms:03d}"


def _clock(seconds: float, ticks_per_second: int) -> tuple[int, int, int, int]:
    """Hours, minutes, seconds and ticks of ``seconds`` (at least 0) rounded to the nearest tick."""
    total = max(0, round(seconds * ticks_per_second))
    hours, rest = divmod(total, 3600 * ticks_per_second)
    minutes, rest = divmod(rest, 60 * ticks_per_second)
    secs, ticks = divmod(rest, ticks_per_second)
    return hours, minutes, secs, ticks


def _vtt_escape(text: str) -> str:
    # WebVTT cue text is markup: these three would otherwise start tags or entities.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_TIMING_LINE = re.compile(
    r"^(?:(\d+):)?(\d{2}):(\d{2})[,.](\d{3})\s+-->\s+(?:(\d+):)?(\d{2}):(\d{2})[,.](\d{3})"
)


def parse_srt(text: str) -> list[SubtitleEntry]:
    return _parse_blocks(text, unescape=lambda line: line)


def parse_vtt(text: str) -> list[SubtitleEntry]:
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise ValueError("A WebVTT file starts with 'WEBVTT'")
    return _parse_blocks(text, unescape=_vtt_unescape)


def _parse_blocks(text: str, unescape: Callable[[str], str]) -> list[SubtitleEntry]:
    """Entries from blank-line separated blocks; blocks without a timing line are skipped."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    entries = (_parse_block(block.split("\n"), unescape) for block in blocks)
    return [entry for entry in entries if entry is not None]


def _parse_block(
    lines: list[str], unescape: Callable[[str], str]
) -> SubtitleEntry | None:
    """A block is an optional identifier, a timing line, then the cue's text."""
    for index, line in enumerate(lines):
        timing = _TIMING_LINE.match(line.strip())
        if timing:
            start, end = _seconds(timing.groups()[:4]), _seconds(timing.groups()[4:])
            return SubtitleEntry(start, end, unescape("\n".join(lines[index + 1 :])))
    return None


def _seconds(parts: tuple[str | None, ...]) -> float:
    hours, minutes, secs, ms = (int(part or 0) for part in parts)
    return hours * 3600 + minutes * 60 + secs + ms / 1000


# --- ASS ------------------------------------------------------------------------------------------


def to_ass(
    cues: list[Cue],
    style: CaptionStyle,
    width: int,
    height: int,
    area: tuple[int, int, int, int] | None = None,
    scale: float | None = None,
) -> str:
    """An ASS script for ffmpeg's ``subtitles``/``ass`` filter, laid out for a ``width`` x ``height`` frame.

    ``area`` (left, top, right, bottom, in pixels) is the box the captions may fill: lines wrap
    between its sides, and sit on its bottom (or hang from its top, for the "top" position);
    without it, fixed shares of the frame are kept free. Sizes follow the frame
    (``style.font_size`` is for a frame whose short side is 1080 px), or ``scale`` (for a script
    drawn on a picture of only the captions' box, the frame's scale). With
    ``style.highlight_spoken_word``, each cue is written as one event per word: the same line
    with the word being spoken in ``highlight_color``; each event ends exactly when the next one
    starts, so the highlight moves from word to word without the line blinking.
    """
    events: list[str] = []
    for index, cue in enumerate(cues):
        next_cue = cues[index + 1] if index + 1 < len(cues) else None
        shown_until = _shown_until(cue, next_cue)
        if style.highlight_spoken_word:
            highlight = _ass_colour(style.highlight_color)
            events += _highlight_events(cue, shown_until, highlight)
        else:
            text = " ".join(_ass_escape(word.text) for word in cue.words)
            events.append(_dialogue(cue.start, shown_until, text))
    return _ass_header(style, width, height, area, scale) + "".join(events)


def _shown_until(cue: Cue, next_cue: Cue | None) -> float:
    """When a cue leaves the screen: at its end, or when the next one starts if that is soon."""
    if next_cue is not None and next_cue.start - cue.end <= _ASS_HOLD_GAP:
        return next_cue.start
    return cue.end


def _highlight_events(cue: Cue, shown_until: float, highlight: str) -> list[str]:
    """One event per word, from its start to the next word's start (the last: to ``shown_until``)."""
    escaped = [_ass_escape(word.text) for word in cue.words]
    events: list[str] = []
    for index, word in enumerate(cue.words):
        end = cue.words[index + 1].start if index + 1 < len(cue.words) else shown_until
        parts = [
            f"{{\\c{highlight}}}{text}{{\\r}}" if position == index else text
            for position, text in enumerate(escaped)
        ]
        events.append(_dialogue(word.start, end, " ".join(parts)))
    return events


def _dialogue(start: float, end: float, text: str) -> str:
    if _ass_time(start) == _ass_time(end):
        return ""  # shorter than a centisecond: nothing would be shown
    return f"Dialogue: 0,{_ass_time(start)},{_ass_time(end)},Caption,,0,0,0,,{text}\n"


def _ass_header(
    style: CaptionStyle, width: int, height: int, area: tuple[int, int, int, int] | None, scale: float | None
) -> str:
    font_size, outline = _sizes(style, width, height, scale)
    if area is None:
        left_margin = right_margin = round(width * _SIDE_MARGIN)
        vertical_margin = round(height * _VERTICAL_MARGIN[style.position])
    else:
        left, top, right, bottom = area
        left_margin, right_margin = left + outline, width - right + outline  # the outline stays inside too
        vertical_margin = {"top": top + outline, "center": 0, "bottom": height - bottom + outline}[style.position]
    text = _ass_style_colour(style.text_color)
    outline_colour = _ass_style_colour(style.outline_color)
    return (
        "[Script Info]\n"
        "ScriptType: v4.00+\n"
        f"PlayResX: {width}\n"
        f"PlayResY: {height}\n"
        "WrapStyle: 0\n"
        "ScaledBorderAndShadow: yes\n"
        "YCbCr Matrix: None\n"  # colours are exact RGB, no VSFilter colour mangling
        "\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
        "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Caption,{FONT_NAME},{font_size},{text},{text},{outline_colour},&H80000000,"
        f"-1,0,0,0,100,100,0,0,1,{outline},0,{_ALIGNMENT[style.position]},"
        f"{left_margin},{right_margin},{vertical_margin},1\n"
        "\n"
        "[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )


def _sizes(style: CaptionStyle, width: int, height: int, scale: float | None) -> tuple[int, int]:
    """The font size and the outline's width in pixels."""
    if scale is None:
        scale = min(width, height) / 1080  # a landscape frame's captions are as tall as a portrait one's
    font_size = max(1, round(style.font_size * scale))
    return font_size, max(1, round(font_size * 0.1))


def caption_height(cues: list[Cue], style: CaptionStyle, width: int, scale: float) -> int:
    """How tall a box ``width`` wide must be for the cue needing the most lines (see ``to_ass``
    with an area): libass makes a line as tall as the font size (its ascent plus descent), and
    the outline reaches beyond the top and bottom lines."""
    font_size, outline = _sizes(style, width, width, scale)
    reference = ImageFont.truetype(str(FONT_DIR / FONT_FILE), 100)
    ascent, descent = reference.getmetrics()
    font = ImageFont.truetype(str(FONT_DIR / FONT_FILE), max(1, round(font_size * 100 / (ascent + descent))))
    usable = width - 2 * outline
    lines = max((_line_count(cue.text, font, usable) for cue in cues), default=1)
    return lines * font_size + 2 * outline + 2


def _line_count(text: str, font: ImageFont.FreeTypeFont, width: float) -> int:
    lines, current = 1, ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and font.getlength(candidate) > width:
            lines, current = lines + 1, word
        else:
            current = candidate
    return lines


_DIALOGUE_TIMES = re.compile(r"^Dialogue: \d+,(\d+):(\d+):(\d+\.\d+),(\d+):(\d+):(\d+\.\d+),", re.MULTILINE)


def ass_event_times(script: str) -> list[float]:
    """When the events of an ASS script start and end, in seconds, sorted: the only moments its
    picture changes."""
    times = set()
    for match in _DIALOGUE_TIMES.finditer(script):
        hours, minutes, seconds, end_hours, end_minutes, end_seconds = match.groups()
        times.add(int(hours) * 3600 + int(minutes) * 60 + float(seconds))
        times.add(int(end_hours) * 3600 + int(end_minutes) * 60 + float(end_seconds))
    return sorted(times)


def _ass_time(seconds: float) -> str:
    """H:MM:SS.cc, ASS's centisecond clock."""
    hours, minutes, secs, cs = _clock(seconds, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{cs:02d}"


def _ass_escape(text: str) -> str:
    r"""Make user text literal in an ASS event.

    "{" and "}" would open and close override blocks; libass reads "\{" and "\}" as the literal
    characters. A backslash could start "\N", "\n" or "\h", so a word joiner (U+2060, invisible)
    is put after each one.
    """
    return text.replace("\\", "\\\u2060").replace("{", "\\{").replace("}", "\\}")


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    match = re.fullmatch(
        r"#?([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})", hex_colour.strip()
    )
    if not match:
        raise ValueError(f"Expected a colour like #RRGGBB, got {hex_colour!r}")
    red, green, blue = (int(channel, 16) for channel in match.groups())
    return red, green, blue


def _ass_colour(hex_colour: str) -> str:
    """#RRGGBB -> &HBBGGRR&, the form override tags take."""
    red, green, blue = _rgb(hex_colour)
    return f"&H{blue:02X}{green:02X}{red:02X}&"


def _ass_style_colour(hex_colour: str) -> str:
    """#RRGGBB -> &H00BBGGRR, the form styles take (alpha first, 00 = opaque)."""
    red, green, blue = _rgb(hex_colour)
    return f"&H00{blue:02X}{green:02X}{red:02X}"
