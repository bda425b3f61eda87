"""Propaganda: loaded language, name calling, slogans, flag-waving, appeals to fear, doubt,
exaggeration and repetition, from the lexicons in data/propaganda.json and
data/loaded_language.json.

Propaganda lives in short phrases (median 18 characters in the SemEval-2020 corpus), so a cue
word becomes the phrase around it: up to `CONTEXT` words either side, never across clause
punctuation. Short quotations (“scare quotes”), rhetorical questions and exclamations are
suggested whole. Overlapping phrases merge into one suggestion whose rationale names every
technique and cue; more cues, higher score.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from itertools import accumulate, compress

from annotator.suggestions.suggesters.base import SpanSuggestion, shared, trim
from annotator.suggestions.suggesters.cues import data, enclosing_quote
from annotator.suggestions.suggesters.lexicon import Terms, lowered_text

name = "propaganda"
version = "2"


def _compile() -> list[tuple[str, float, Terms]]:
    techniques = data("propaganda.json")["techniques"]
    return [
        (technique, float(entry["score"]), Terms(entry["patterns"]))
        for technique, entry in techniques.items()
    ]


TECHNIQUES = _compile()
LOADED = frozenset(data("loaded_language.json")["words"])
LOADED_SCORE = 0.45
MAX_QUOTE = 160
CONTEXT = 2
WORD = re.compile(r"[^\W\d_][\w’'\-]*")
WORDS = re.compile(f"({WORD.pattern})")
# Clause punctuation a phrase never crosses (quotes included: a quotation is its own unit).
CLAUSE = re.compile(r"[.,;:!?()\[\]\n“”\"—–]")
# A short quotation of one to four words: “experts”, “fake news”, “Crooked Hillary”.
SCARE_QUOTE = re.compile(r"[“\"]([^“”\"\n]{2,40}?)[”\"]")
# A question or exclamation mark, and what ends the sentence before it.
QUESTION_END = re.compile(r"[?!]")
SENTENCE_END = re.compile(r"[.!?\n“”\"]")
_STRIP = " \t\n,;:—–-“”\"‘’'()"


class _Words:
    """Word positions of a text and the clause breaks between them."""

    def __init__(self, text: str, lowered: str | None) -> None:
        self.text = text
        # Splitting on the words (captured) gives them and the text between them; their
        # offsets are running sums of the pieces' lengths: no match object per word.
        pieces = WORDS.split(text if lowered is None else lowered)
        bounds = list(accumulate(map(len, pieces)))
        self.starts = bounds[0:-1:2]
        self.spans = list(zip(self.starts, bounds[1::2], strict=True))
        words = pieces[1::2]
        if lowered is None:  # lowercasing moved offsets ("İ"): lowercase word by word
            words = [word.lower() for word in words]
        self.loaded = list(compress(self.spans, map(LOADED.__contains__, words)))
        # CLAUSE matches one character: a break is the end of each piece but the last.
        pieces = CLAUSE.split(text)
        lengths = map((1).__add__, map(len, pieces[:-1]))  # each piece and its break
        self.breaks = list(accumulate(lengths, initial=-1))[1:]

    def phrase(self, start: int, end: int) -> tuple[int, int]:
        """The cue text[start:end] widened by up to CONTEXT words each side within its clause."""
        starts, spans, breaks = self.starts, self.spans, self.breaks
        first = bisect_right(starts, start) - 1
        last = bisect_left(starts, end) - 1
        if first < 0 or last < first:
            return start, end
        # No break lies inside a word, so the last break before the first word and the first
        # one after the last word stay the nearest ones while the phrase widens.
        index = bisect_left(breaks, starts[first])
        left = breaks[index - 1] if index else -1
        for _ in range(CONTEXT):
            if first == 0 or spans[first - 1][1] <= left:
                break
            first -= 1
        index = bisect_left(breaks, spans[last][1])
        right = breaks[index] if index < len(breaks) else len(self.text)
        for _ in range(CONTEXT):
            if last + 1 >= len(spans) or starts[last + 1] > right:
                break
            last += 1
        return min(start, spans[first][0]), max(end, spans[last][1])


def _cues(text: str, lowered: str | None, words: _Words):
    """(start, end, score, reason) of every cue phrase."""
    for technique, score, terms in TECHNIQUES:
        for cue_start, cue_end in terms.spans(text, lowered):
            quote = enclosing_quote(text, cue_start, cue_end, MAX_QUOTE)
            start, end = quote if quote else words.phrase(cue_start, cue_end)
            yield start, end, score, f"{technique} ('{_cue(text, cue_start, cue_end)}')"
    for cue_start, cue_end in words.loaded:
        start, end = words.phrase(cue_start, cue_end)
        yield start, end, LOADED_SCORE, f"loaded language ('{text[cue_start:cue_end]}')"
    for match in SCARE_QUOTE.finditer(text):
        if len(match.group(1).split()) <= 4:
            cue = _cue(text, *match.span(1))
            yield *match.span(1), 0.5, f"name calling or labelling in quotation marks ('{cue}')"
    yield from _questions(text)
    yield from _repetition(text, words)


def _questions(text: str):
    """Rhetorical questions (doubt) and exclamations, one sentence each."""
    previous = 0
    for match in QUESTION_END.finditer(text):
        end = match.end()
        start = max(previous, _sentence_start(text, match.start()))
        previous = end
        if any(char.isalpha() for char in text[start:end]):
            kind = "doubt (rhetorical question)" if match.group(0) == "?" else "exclamation"
            yield start, end, 0.45, kind


def _sentence_start(text: str, position: int, window: int = 400) -> int:
    """Just after the last sentence end (or quote mark) before `position`, within `window`."""
    floor = max(0, position - window)
    found = floor
    for match in SENTENCE_END.finditer(text, floor, position):
        found = match.end()
    return found


def _repetition(text: str, words: _Words):
    """A loaded word used three times or more in one document: repetition."""
    counts = Counter(text[s:e].lower() for s, e in words.loaded if e - s > 4)
    for start, end in words.loaded:
        word = text[start:end].lower()
        if counts[word] >= 3:
            yield start, end, 0.5, f"repetition ('{word}' {counts[word]} times)"


def _cue(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())


@shared(name)
def suggest(text: str) -> list[SpanSuggestion]:
    lowered = lowered_text(text)
    words = _Words(text, lowered)
    found = []
    for start, end, score, reason in _cues(text, lowered, words):
        start, end = trim(text, start, end, _STRIP)
        if end > start:
            found.append((start, end, score, reason))
    return _merge(found)


def _merge(found: list[tuple[int, int, float, str]]) -> list[SpanSuggestion]:
    """Overlapping phrases become one suggestion: every reason kept, more cues score higher."""
    spans: list[SpanSuggestion] = []
    group: list[tuple[int, int, float, str]] = []
    group_end = 0
    for item in sorted(found):
        if group and item[0] >= group_end:
            spans.append(_suggestion(group))
            group = []
        group.append(item)
        group_end = max(group_end, item[1]) if len(group) > 1 else item[1]
    if group:
        spans.append(_suggestion(group))
    return spans


def _suggestion(group: list[tuple[int, int, float, str]]) -> SpanSuggestion:
    """`group` is sorted: the first item starts first."""
    if len(group) == 1:  # most phrases: one cue
        start, end, score, reason = group[0]
        return SpanSuggestion(start, end, name, round(min(0.95, score), 2), f"Technique: {reason}.")
    reasons = list(dict.fromkeys([item[3] for item in group]))
    score = min(0.95, max([item[2] for item in group]) + 0.1 * (len(reasons) - 1))
    end = max([item[1] for item in group])
    rationale = "Technique: " + "; ".join(reasons) + "."
    return SpanSuggestion(group[0][0], end, name, round(score, 2), rationale)
