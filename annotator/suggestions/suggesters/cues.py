"""Patterns shared by the rule suggesters: who is speaking, and quote handling."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
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
SOURCE_BEFORE = re.compile(
    rf"(?:^|(?<=[\s,“”\"(—]))((?:{_MODIFIER}{GENERIC_SOURCE})|{NAME}|{PRONOUN}){_AUX}\s*$"
)
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


def source_before(text: str, position: int, window: int = 80) -> tuple[int, str] | None:
    """The speaker ending at `position`: (start offset, name) or None."""
    start = max(0, position - window)
    match = SOURCE_BEFORE.search(text, start, position)
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


class Terms:
    """Case-insensitive whole-word alternatives (longest first) from a lexicon.

    Matched on the lowercased text with a lowercased pattern, which is faster than
    re.IGNORECASE; offsets are the same because lowercasing kept the text's length (when it
    does not, e.g. "İ", the original text is matched with IGNORECASE). Take the matched words
    from the original text, not from the match.
    """

    def __init__(self, terms: list[str]) -> None:
        ordered = sorted(terms, key=len, reverse=True)
        source = r"\b(?:" + "|".join(ordered) + r")\b"
        self.lowered = re.compile(_lower_literals(source))
        self.ignorecase = re.compile(source, re.IGNORECASE)

    def spans(self, text: str, lowered: str | None) -> Iterator[tuple[int, int]]:
        """(start, end) of every match; `lowered` is lowered_text(text)."""
        if lowered is None:
            return (match.span() for match in self.ignorecase.finditer(text))
        return (match.span() for match in self.lowered.finditer(lowered))


def lowered_text(text: str) -> str | None:
    """text.lower() when it keeps every offset, else None."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else None


def _lower_literals(pattern: str) -> str:
    """Lowercase a regex's literal characters; escapes such as \\W or \\S keep their case."""
    out, escaped = [], False
    for char in pattern:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return "".join(out)
