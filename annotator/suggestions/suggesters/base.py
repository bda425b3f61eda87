"""What every suggester shares: the span type, sentence segmentation and chunking.

Offsets are code points (Python string indices) into the text the suggester was given.
Sentences come from sentencex (Wikimedia's rule-based segmenter, in Rust), segmented lazily
per paragraph and shared by the suggesters that run on the same text, so text without any
cue is never segmented. The rule suggesters' spans are shared the same way (`shared`): the
span model reads them as attributes right after the rules ran on the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps

import sentencex

# The learned and HTTP suggesters may only use these label slugs.
LABELS = ("sourced", "disputed", "propaganda")


class SuggesterError(Exception):
    """A suggester could not produce suggestions; the message says why."""


@dataclass(frozen=True, slots=True)
class SpanSuggestion:
    start: int
    end: int
    label: str
    score: float
    rationale: str


_NEWLINE = re.compile(r"\n")
_EDGE_SPACE = re.compile(r"^\s+|\s+$")


_TERMINATOR = re.compile(r"[.!?…;:)\]]")


class Segmentation:
    """Paragraphs (lines) of a text, each split into sentences on first use."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.paragraph_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        self._sentences: dict[int, list[tuple[int, int]]] = {}
        # Per paragraph with sentences: their starts, and the sentences.
        self._starts: dict[int, tuple[list[int], list[tuple[int, int]]]] = {}
        # Per suggester name, the spans it found in this text (see `shared`).
        self.found: dict[str, tuple[SpanSuggestion, ...]] = {}

    def paragraph(self, index: int) -> tuple[int, int]:
        start = self.paragraph_starts[index]
        if index + 1 < len(self.paragraph_starts):
            return start, self.paragraph_starts[index + 1] - 1
        return start, len(self.text)

    def sentences_of(self, index: int) -> list[tuple[int, int]]:
        found = self._sentences.get(index)
        if found is None:
            start, end = self.paragraph(index)
            found = _segment(self.text[start:end], start)
            self._sentences[index] = found
        return found

    def sentence_at(self, position: int) -> tuple[int, int]:
        """The sentence holding `position` (or the nearest one before it in its paragraph)."""
        index = bisect_right(self.paragraph_starts, position) - 1
        found = self._starts.get(index)
        if found is None:
            sentences = self.sentences_of(index)
            if not sentences:
                return self.paragraph(index)
            found = self._starts[index] = ([s for s, _ in sentences], sentences)
        starts, sentences = found
        return sentences[max(0, bisect_right(starts, position) - 1)]

    def sentences(self) -> list[tuple[int, int]]:
        result: list[tuple[int, int]] = []
        for index in range(len(self.paragraph_starts)):
            result.extend(self.sentences_of(index))
        return result


def _segment(paragraph: str, offset: int) -> list[tuple[int, int]]:
    stripped = paragraph.rstrip()
    if not stripped:
        return []
    # No sentence end before the last character: one sentence, without the segmenter.
    if not _TERMINATOR.search(stripped, 0, len(stripped) - 1):
        lead = len(paragraph) - len(paragraph.lstrip())
        return [(offset + lead, offset + len(stripped))]
    spans = []
    # Boundaries are code point offsets; each sentence keeps its trailing space, trimmed here.
    for boundary in sentencex.get_sentence_boundaries("en", paragraph):
        start, end = trim(paragraph, boundary["start_index"], boundary["end_index"], _SPACE)
        if end > start:
            spans.append((offset + start, offset + end))
    return spans


_SPACE = " \t\n\r\u00a0\u2009\u200a\u202f\u3000"


@lru_cache(maxsize=4)
def segmentation(text: str) -> Segmentation:
    """Shared by the suggesters that run one after the other on the same text."""
    return Segmentation(text)


Suggest = Callable[[str], list[SpanSuggestion]]


def shared(name: str) -> Callable[[Suggest], Suggest]:
    """Remember what a suggester (a function of the text alone) found in a text for as long as
    the text's `segmentation` is cached: the span model asks again for the rule suggesters'
    spans of the text that they just suggested on. Each call gets a list of its own."""

    def decorate(suggest: Suggest) -> Suggest:
        @wraps(suggest)
        def remembered(text: str) -> list[SpanSuggestion]:
            found = segmentation(text).found
            spans = found.get(name)
            if spans is None:
                spans = found[name] = tuple(suggest(text))
            return list(spans)

        return remembered

    return decorate


def trim(text: str, start: int, end: int, strip: str = " \t\n,;:—–-") -> tuple[int, int]:
    """Shrink start/end past surrounding whitespace and the given punctuation."""
    while start < end and text[start] in strip:
        start += 1
    while end > start and text[end - 1] in strip:
        end -= 1
    return start, end


def chunks(text: str, size: int) -> list[tuple[int, str]]:
    """Split text into pieces of at most `size` characters at paragraph breaks (else spaces).

    Returns (offset, piece) pairs; offsets map piece positions back into `text`.
    """
    if len(text) <= size:
        return [(0, text)]
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            if cut == -1:
                cut = text.rfind(" ", start + size // 2, end)
            if cut != -1:
                end = cut + 1
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def dedupe(spans: list[SpanSuggestion]) -> list[SpanSuggestion]:
    """One suggestion per (start, end, label): the highest score wins."""
    best: dict[tuple[int, int, str], SpanSuggestion] = {}
    for span in spans:
        key = (span.start, span.end, span.label)
        if key not in best or span.score > best[key].score:
            best[key] = span
    return sorted(best.values(), key=lambda s: (s.start, s.end, s.label))
