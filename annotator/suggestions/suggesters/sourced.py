"""Sourced: claims attributed to a named source ("X said", "according to X", "per X", quotes).

The span is the claim, not the attribution; the rationale names the source and the cue.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from annotator.suggestions.suggesters.base import SpanSuggestion, dedupe, segmentation, trim
from annotator.suggestions.suggesters.cues import PRONOUN, QUOTE_CHARS, source_after, source_before

name = "sourced"
version = "1"

_VERBS = (
    r"said|says|say|told|tells|stated|states|added|adds|announced|wrote|writes|warned|insisted|"
    r"confirmed|noted|argued|declared|explained|claimed|claims|reported|reports|"
    r"describe[sd]?|condemned|promised|vowed|accused"
)
VERB = re.compile(rf"\b(?:{_VERBS})\b")
ACCORDING = re.compile(r"\b[Aa]ccording to\b")
# "there have been credible reports of CLAIM": the reports are the source.
REPORTS = re.compile(
    r"\b(?:(?:multiple|several|many|credible|media|news|first|intelligence)\s+)+reports (?:of|that)\s+"
)
PER = re.compile(r"(?<=[,;]) per (?=(?:[A-Z]|an? |the ))")
# What may sit between a speech verb and its claim: "that", a colon; after "told" an addressee.
AFTER_VERB = re.compile(r"(?:\s+(?:on|in) [A-Z]\w+)?\s*(?:,\s*|:\s*|\s+that\b\s*|\s+)?")
AFTER_TOLD = re.compile(
    r"(?:\s+(?:reporters|journalists|lawmakers|the \w+|[A-Z][\w’'.\-]*(?:\s+[A-Z][\w’'.\-]*)*))?"
    r"(?:\s+(?:on|in) [A-Z]\w+)?\s*(?:,\s*|:\s*|\s+that\b\s*|\s+)?"
)
PRONOUN_ONLY = re.compile(rf"^{PRONOUN}$")
MIN_CLAIM = 12
SCORES = {
    "according to": 0.8,
    "named": 0.75,
    "generic": 0.65,
    "pronoun": 0.55,
    "per": 0.75,
}
_STRIP = " \t\n.,;:—–-" + QUOTE_CHARS


def suggest(text: str) -> list[SpanSuggestion]:
    seg = segmentation(text)
    found: list[SpanSuggestion] = []
    for match in VERB.finditer(text):
        span = _speech(text, seg.sentence_at(match.start()), match)
        if span:
            found.append(span)
    for match in ACCORDING.finditer(text):
        span = _prepositional(text, seg.sentence_at(match.start()), match, "according to")
        if span:
            found.append(span)
    for match in REPORTS.finditer(text):
        s_start, s_end = seg.sentence_at(match.start())
        source = " ".join(match.group(0).split()[:-1])
        span = _make(text, match.end(), s_end, source, source, "generic")
        if span:
            found.append(span)
    for match in PER.finditer(text):
        span = _prepositional(text, seg.sentence_at(match.start()), match, "per")
        if span:
            found.append(span)
    return _best_per_region(dedupe(found))


def _best_per_region(spans: list[SpanSuggestion]) -> list[SpanSuggestion]:
    """Overlapping claims come from several cues on one sentence: keep the best-scored."""
    starts: list[int] = []  # kept spans, sorted and disjoint
    kept: list[SpanSuggestion] = []
    for span in sorted(spans, key=lambda s: (-s.score, s.start)):
        index = bisect_left(starts, span.start)
        if index > 0 and kept[index - 1].end > span.start:
            continue
        if index < len(kept) and kept[index].start < span.end:
            continue
        starts.insert(index, span.start)
        kept.insert(index, span)
    return kept


def _make(text: str, start: int, end: int, source: str, cue: str, kind: str):
    start, end = trim(text, start, end, _STRIP)
    if end - start < MIN_CLAIM:
        return None
    source = " ".join(source.split())
    return SpanSuggestion(start, end, name, SCORES[kind], f"Attributed to {source} (cue: '{cue}').")


def _kind(source: str) -> str:
    if PRONOUN_ONLY.match(source):
        return "pronoun"
    return (
        "named"
        if source[:1].isupper() and not source.startswith(("The ", "A ", "An "))
        else "generic"
    )


def _speech(text: str, sentence: tuple[int, int], match: re.Match[str]):
    s_start, s_end = sentence
    cue = match.group(0)
    before = source_before(text, match.start())
    if before is not None and before[0] >= s_start:
        source_start, source = before
        if source.endswith(("’s", "'s")):
            return None  # "North Korea’s reported losses": a possessive, not a speaker
        pattern = AFTER_TOLD if cue in ("told", "tells") else AFTER_VERB
        after = pattern.match(text, match.end(), s_end)
        claim_start = after.end() if after else match.end()
        # "CLAIM, X said, per Y" puts the claim first; "X said CLAIM" after the verb.
        claim_first = text[match.end() : match.end() + 1] in (",", ".", "")
        if not claim_first and s_end - claim_start >= MIN_CLAIM:
            return _make(text, claim_start, s_end, source, f"{source} {cue}", _kind(source))
        # "CLAIM, X said." — the claim comes first.
        return _make(text, s_start, source_start, source, f"{source} {cue}", _kind(source))
    # "“CLAIM,” said X" — the speaker follows the verb.
    if text[max(s_start, match.start() - 3) : match.start()].strip(" ,") in ("”", '"'):
        after = source_after(text, match.end(), s_end)
        if after is not None:
            return _make(text, s_start, match.start(), after[1], f"said {after[1]}", "named")
    return None


def _prepositional(text: str, sentence: tuple[int, int], match: re.Match[str], cue: str):
    s_start, s_end = sentence
    after = source_after(text, match.end(), s_end)
    if after is None:
        return None
    source_end, source = after
    kind = "according to" if cue == "according to" else "per"
    if text[s_start : match.start()].strip(' “"') == "":
        # "According to X, CLAIM."
        return _make(text, source_end, s_end, source, f"{cue} {source}", kind)
    return _make(text, s_start, match.start(), source, f"{cue} {source}", kind)
