"""A script as the speech engines read it: its words, and chunks cut at sentence boundaries."""

from __future__ import annotations

import re

# A word that ends a sentence or a clause, closing quotes and brackets included.
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
CLAUSE_END = re.compile(r"([,;:][\"'”’)\]]*|[-–—]+)$")
# A letter, a digit, or a symbol that engines read out ("&" -> "and").
SPOKEN_CHAR = re.compile(r"[^\W_]|[&@%$€£¥#+=]")


def script_word_spans(text: str) -> list[tuple[str, int, int]]:
    """The script's words as (text, start, end) character spans.

    A word is a whitespace-separated token containing a letter, a digit or a symbol read out
    (& @ % $ € £ ¥ # + =). Any other token (a dash, an ellipsis) is not spoken on its own, so
    it is glued to the word before it (or after it, at the very start): every character of the
    script stays in the captions.
    """
    spans: list[tuple[int, int]] = []
    unspoken_lead: int | None = None  # start of unspoken tokens before the first word
    for match in re.finditer(r"\S+", text):
        if SPOKEN_CHAR.search(match.group()):
            start = match.start() if unspoken_lead is None else unspoken_lead
            spans.append((start, match.end()))
            unspoken_lead = None
        elif spans:
            spans[-1] = (spans[-1][0], match.end())
        elif unspoken_lead is None:
            unspoken_lead = match.start()
    return [(" ".join(text[start:end].split()), start, end) for start, end in spans]


def script_words(text: str) -> list[str]:
    """The script's words (see :func:`script_word_spans`), as they should appear in captions."""
    return [token for token, _, _ in script_word_spans(text)]


def split_sentences(text: str, max_chars: int) -> list[str]:
    """Cut ``text`` into chunks of at most ``max_chars``, preferring sentence boundaries.

    Whole sentences are packed greedily into chunks. A sentence longer than ``max_chars`` is cut
    after clause punctuation (, ; : dashes), and a clause still too long is cut between words.
    Words are never split: a single word longer than ``max_chars`` becomes a chunk of its own.
    Whitespace between words is normalised to single spaces; no word is lost or reordered.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    chunks: list[str] = []
    current = ""
    for piece in _pieces_that_fit(text.split(), max_chars):
        candidate = f"{current} {piece}" if current else piece
        if current and len(candidate) > max_chars:
            chunks.append(current)
            candidate = piece
        current = candidate
    if current:
        chunks.append(current)
    return chunks


def _pieces_that_fit(words: list[str], max_chars: int) -> list[str]:
    """Sentences that fit, else their clauses that fit, else single words."""
    pieces: list[str] = []
    for sentence in _group_after(words, SENTENCE_END):
        if len(" ".join(sentence)) <= max_chars:
            pieces.append(" ".join(sentence))
            continue
        for clause in _group_after(sentence, CLAUSE_END):
            if len(" ".join(clause)) <= max_chars:
                pieces.append(" ".join(clause))
            else:
                pieces.extend(clause)
    return pieces


def _group_after(words: list[str], boundary: re.Pattern[str]) -> list[list[str]]:
    """Group consecutive words, closing a group after each word that matches ``boundary``."""
    groups: list[list[str]] = [[]]
    for word in words:
        groups[-1].append(word)
        if boundary.search(word):
            groups.append([])
    return [group for group in groups if group]
