"""Sentence-context attributes for the span model: where a token stands relative to the
reporting cues of its sentence (attribution spans run from a source through its cue to the end
of the content), and where it stands in its sentence. Cues: the `sourced` rules' data file."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "sourced.json"
SENTENCE_END = frozenset(".!?")
CLOSERS = frozenset(('"', "”", "’", ")", "''"))
QUOTES = frozenset(('"', "“", "”", "''", "``"))


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def reporting_words() -> frozenset[str]:
    data = _data()
    forms = {form.lower() for forms in data["verbs"].values() for form in forms}
    return frozenset(forms | {"according"})


@lru_cache(maxsize=1)
def stance_words() -> frozenset[str]:
    """Cue words of PolNeAR's attributions that the rules leave out (internal states, stances,
    forms that are also nouns): the data file's "stances"."""
    return frozenset(word.lower() for word in _data()["stances"]) - reporting_words()


def sentences(words: list[str]) -> list[tuple[int, int]]:
    """Token index ranges of the sentences of a paragraph (a closing quote stays with its end)."""
    found, start, i = [], 0, 0
    while i < len(words):
        if words[i] in SENTENCE_END:
            while i + 1 < len(words) and words[i + 1] in CLOSERS:
                i += 1
            found.append((start, i + 1))
            start = i + 1
        i += 1
    if start < len(words):
        found.append((start, len(words)))
    return found


_SIDX = tuple(f"sidx={i}" for i in range(4))
_NEAR = {
    side: tuple((f"cue{side}", f"cue{side}{d}") for d in range(5))
    for side in ("here", "right", "left")
}


def context_features(words: list[str], lowers: list[str], stances: bool = False) -> list[list[str]]:
    """Per token: is it a reporting cue; does its sentence have one, and is the nearest one
    before or after it (and how far); first/last token and index of its sentence; quotes.
    With `stances`, stance_words are cues too, and also an attribute of their own ("stance")."""
    more = stance_words() if stances else frozenset()
    cues = reporting_words() | more
    result: list[list[str]] = []
    for index, (start, end) in enumerate(sentences(words)):
        marks = [k for k in range(start, end) if lowers[k] in cues]
        quoted = any(words[k] in QUOTES for k in range(start, end))
        sidx = _SIDX[min(index, 3)]
        position = 0  # marks[position] is the first cue at or after k
        for k in range(start, end):
            f = [sidx]
            result.append(f)
            if k == start:
                f.append("sfirst")
            if k == end - 1:
                f.append("slast")
            if lowers[k] in more:
                f.append("stance")
            if quoted:
                f.append("squote")
            if not marks:
                f.append("nocue")
                continue
            while position < len(marks) and marks[position] < k:
                position += 1
            after = marks[position] if position < len(marks) else None
            before = marks[position - 1] if position else None
            # The nearest cue; on a tie the earlier one (as min() over marks in order).
            if after == k:
                f.append("cue")
                f.extend(_NEAR["here"][0])
            elif after is None or (before is not None and k - before <= after - k):
                f.extend(_NEAR["left"][min(k - before, 12) // 3])
            else:
                f.extend(_NEAR["right"][min(after - k, 12) // 3])
            if marks[0] > k:
                f.append("beforefirstcue")
            if marks[-1] < k:
                f.append("afterlastcue")
    return result
