"""Patterns shared by the rule suggesters: who is speaking, and quote handling."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

GENERIC_SOURCE = (
    r"(?:officials?|spokes(?:person|man|woman)|ministry|government|analysts?|experts?|"
    r"sources?|witnesses|residents|media|police|authorities|military|agency|diplomats?|"
    r"observers|statement|message|report|intelligence|Kremlin|Pentagon|White House)"
)
NAME = r"[A-Z][\w’'.\-]*(?:[ \t]+(?:[A-Z][\w’'.\-]*|of|the|de|von|al))*"
PRONOUN = r"(?:[Hh]e|[Ss]he|[Tt]hey|[Ii]t)"
_MODIFIER = r"(?:[\w.’'\-]+[ \t]+){0,3}?"
_AUX = r"(?:\s+(?:has|have|had|also|later|previously|repeatedly|long|not|would|will|did)){0,3}"

# A speaker right before a cue, e.g. "A NATO spokesperson | said"; anchored at the window end.
_SPEAKER = rf"((?:{_MODIFIER}{GENERIC_SOURCE})|{NAME}|{PRONOUN}){_AUX}\s*$"
_BREAK = r"[\s,“”\"(—]"
SOURCE_BEFORE = re.compile(rf"(?:^|(?<={_BREAK})){_SPEAKER}")
# The same speaker with the break before it consumed: a pattern that starts with a character
# class lets re skip to the next break at C speed instead of trying every position.
_AFTER_BREAK = re.compile(rf"{_BREAK}{_SPEAKER}")
# A speaker right after a cue, e.g. "said | Dr. Soo-jin Park" or "per | KCNA Watch".
SOURCE_AFTER = re.compile(rf"\s*((?:(?:[Aa]n?|[Tt]he)\s+)?(?:{_MODIFIER}{GENERIC_SOURCE}|{NAME}))")
LEADING_WORDS = frozenset(
    [
        "While",
        "Although",
        "Though",
        "But",
        "And",
        "As",
        "When",
        "Since",
        "After",
        "Before",
        "If",
        "Meanwhile",
        "However",
        "Yet",
        "So",
        "Still",
        "Now",
        "Then",
        "Later",
        "Earlier",
        "Last",
        "In",
        "On",
        "At",
    ]
)
QUOTE_CHARS = "“”\"‘’'"


_AUX_WORDS = frozenset(
    [
        "has",
        "have",
        "had",
        "also",
        "later",
        "previously",
        "repeatedly",
        "long",
        "not",
        "would",
        "will",
        "did",
    ]
)
_LAST_WORD = re.compile(r"[\w’'.\-]+$")
_GENERIC = re.compile(GENERIC_SOURCE)
_LOWER_LAST = frozenset(["of", "the", "de", "von", "al", "he", "she", "they", "it"])


_NAME_WORD = re.compile(r"[A-Z][\w’'.\-]*")
_NAME_LINKS = frozenset(["of", "the", "de", "von", "al"])
# A speaker with its auxiliaries spans at most this many words (three modifiers, a two-word
# source such as "White House", three auxiliaries), unless it is a run of names.
_MAX_WORDS = 8
_PRONOUN_WORDS = 4  # a pronoun and three auxiliaries


def _search_start(text: str, start: int, position: int) -> int | None:
    """Where SOURCE_BEFORE may find a speaker ending at `position` (searching from `start`):
    None when the word there (up to three auxiliaries before it) is neither capitalised nor
    a generic source or pronoun, which most cues fail, else the start of the earliest word a
    match can begin in: one of the last eight words, or the word before a tail of names,
    name links and auxiliaries. SOURCE_BEFORE then tries fewer positions, same match."""
    window = text[start:position]
    words = window.split()
    k, stripped = len(words), 0
    while k and stripped < 3 and words[k - 1] in _AUX_WORDS:
        k, stripped = k - 1, stripped + 1
    if not k:
        return None
    last = _LAST_WORD.search(words[k - 1])
    if last is None:
        return None
    word = last.group()
    if not (word[0].isupper() or word in _LOWER_LAST or _GENERIC.fullmatch(word) is not None):
        return None
    if len(words) <= _PRONOUN_WORDS:
        return start
    tail = 0
    for word in reversed(words):
        if word in _AUX_WORDS or word in _NAME_LINKS or _NAME_WORD.fullmatch(word):
            tail += 1
        else:
            break
    # A generic source ends in one of the last four words and takes up to two: without one
    # in the last five, only a pronoun or a run of names can match.
    generic = _GENERIC.search(" ".join(words[-5:])) is not None
    keep = max(_MAX_WORDS if generic else _PRONOUN_WORDS, tail + 1)
    if len(words) <= keep:
        return start
    return start + len(window.rsplit(None, keep)[0])


def source_before(text: str, position: int, window: int = 80) -> tuple[int, str] | None:
    """The speaker ending at `position`: (start offset, name) or None."""
    start = _search_start(text, max(0, position - window), position)
    if start is None:
        return None
    if start == 0:  # "^": a speaker at the very start of the text needs no break before it
        match = SOURCE_BEFORE.match(text, 0, position) or _AFTER_BREAK.search(text, 0, position)
    else:  # the break may be the character just before the window
        match = _AFTER_BREAK.search(text, start - 1, position)
    return speaker(match)


def speaker(match: re.Match[str] | None) -> tuple[int, str] | None:
    """(start offset, name) of the speaker a SOURCE_BEFORE match found."""
    if match is None:
        return None
    begin, name = match.start(1), match.group(1)
    # "While North Korea has denied…": the speaker is North Korea, not the conjunction.
    first, _, rest = name.partition(" ")
    if first in LEADING_WORDS and rest:
        return begin + len(first) + 1, rest.lstrip()
    return begin, name


def source_after(text: str, position: int, limit: int) -> tuple[int, str] | None:
    match = SOURCE_AFTER.match(text, position, limit)
    if match is None:
        return None
    return match.end(1), match.group(1).strip()


def enclosing_quote(text: str, start: int, end: int, limit: int = 160) -> tuple[int, int] | None:
    """Bounds of the “…” quotation holding text[start:end], if short enough."""
    left = text.rfind("“", max(0, start - limit), start)
    if left == -1 or "”" in text[left + 1 : start]:
        return None
    right = text.find("”", end, end + limit)
    if right == -1 or "“" in text[end:right]:
        return None
    return left + 1, right


@cache
def data(name: str) -> dict:
    """A lexicon kept as a JSON data file beside this module (easy to extend without code)."""
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
