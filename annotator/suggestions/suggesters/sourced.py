"""Sourced: attributed claims ("X said CLAIM", "CLAIM, X told Y", "according to X, CLAIM",
“CLAIM,” said X, quotations, anonymous and titled sources).

The span runs from the first to the last character of the source, the cue and the content, as
in the attribution corpora (PARC, PolNeAR), inside one sentence; the rationale names the
source and the cue. Cues live in data/sourced.json: reporting verbs in every tense,
prepositional cues, anonymous sources and titles.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from annotator.suggestions.suggesters.base import SpanSuggestion, segmentation, shared, trim
from annotator.suggestions.suggesters.cues import PRONOUN, data, source_after, source_before
from annotator.suggestions.suggesters.lexicon import Terms, lowered_text

name = "sourced"
version = "2"

_DATA = data("sourced.json")
VERBS = Terms([form for forms in _DATA["verbs"].values() for form in forms])
PREPOSITIONS = Terms(_DATA["prepositions"])
ANONYMOUS = Terms(_DATA["anonymous_sources"])
# "CLAIM, per KCNA Watch": "per" only after a comma, before a name or an article.
# Written to start with a literal (the comma checked behind it): re then jumps from one
# " per " to the next instead of trying every position.
PER = re.compile(r" per (?=(?:[A-Z]|an? |the ))(?<=[,;] per )")
# "there have been credible reports of CLAIM": the reports are the source.
_REPORTERS = ["multiple", "several", "many", "credible", "media", "news", "first"]
_REPORTERS += ["intelligence", "press"]
# \b(?:(?:multiple|…)\s+)+reports…, with the word boundary checked after each first letter
# so that the pattern starts with literals (which re skips to) rather than with \b.
REPORTS = re.compile(
    "(?:" + "|".join(rf"{w[0]}(?<!\w{w[0]}){w[1:]}" for w in _REPORTERS) + r")\s+"
    r"(?:(?:" + "|".join(_REPORTERS) + r")\s+)*reports (?:of|that)\s+"
)
# A quotation (of three words or more, checked on the match).
QUOTATION = re.compile(r"[“\"][^“”\"\n]{5,600}[”\"]")
WHO = re.compile(r"(?:^|[\s,])(?:who|which|that)\s*$")
PRONOUN_ONLY = re.compile(rf"^{PRONOUN}$|^(?:I|[Ww]e|[Yy]ou)$")
MIN_SPAN = 12
SCORES = {
    "according to": 0.8,
    "named": 0.75,
    "anonymous": 0.5,
    "generic": 0.65,
    "pronoun": 0.6,
    "per": 0.75,
    "quotation": 0.55,
    "clause": 0.5,
}
_STRIP = " \t\n.,;:—–-"


@shared(name)
def suggest(text: str) -> list[SpanSuggestion]:
    seg = segmentation(text)
    lowered = lowered_text(text)
    found: list[_Found] = []
    for start, end in VERBS.spans(text, lowered):
        found += _speech(text, seg.sentence_at(start), start, end)
    for start, end in PREPOSITIONS.spans(text, lowered):
        found += _prepositional(text, seg.sentence_at(start), start, end, "according to")
    for match in PER.finditer(text):
        found += _prepositional(text, seg.sentence_at(match.start()), *match.span(), "per")
    # The pattern needs "reports ": most texts skip its scan.
    for match in REPORTS.finditer(text) if "reports " in text else ():
        s_start, s_end = seg.sentence_at(match.start())
        source = " ".join(match.group(0).split()[:-1])
        found += _make(text, match.start(), s_end, source, source, "generic")
    for start, end in ANONYMOUS.spans(text, lowered):
        # Weaker than a cue verb: the sentence is likely attributed, the boundaries less sure.
        s_start, s_end = seg.sentence_at(start)
        source = " ".join(text[start:end].split())
        found += _make(text, s_start, s_end, source, source, "anonymous")
    for match in QUOTATION.finditer(text):
        if match.group(0).count(" ") < 2:
            continue
        s_start, _ = seg.sentence_at(match.start())
        _, s_end = seg.sentence_at(match.end() - 1)
        found += _make(
            text, s_start, max(s_end, match.end()), "a quoted speaker", "“…”", "quotation"
        )
    return [_suggestion(*item) for item in _best_per_region(_dedupe(found))]


# A candidate span: start, end, score, source and cue (formatted only if it is kept).
_Found = tuple[int, int, float, str, str]


def _dedupe(found: list[_Found]) -> list[_Found]:
    """One candidate per span, the highest score (the first of equal ones), by position."""
    best: dict[tuple[int, int], _Found] = {}
    for item in found:
        key = (item[0], item[1])
        other = best.get(key)
        if other is None or item[2] > other[2]:
            best[key] = item
    return sorted(best.values(), key=_position)


def _position(item: _Found) -> tuple[int, int]:
    return item[0], item[1]


def _rank(item: _Found) -> tuple[float, int, int]:
    return -item[2], item[0], item[0] - item[1]


def _best_per_region(spans: list[_Found]) -> list[_Found]:
    """Overlapping spans come from several cues on one sentence: keep the best-scored, and
    name every other cue in its rationale."""
    starts: list[int] = []  # kept spans, sorted and disjoint
    kept: list[_Found] = []
    for span in sorted(spans, key=_rank):
        start, end = span[0], span[1]
        index = bisect_left(starts, start)
        if index > 0 and kept[index - 1][1] > start:
            continue
        if index < len(kept) and kept[index][0] < end:
            continue
        starts.insert(index, start)
        kept.insert(index, span)
    return kept


def _make(text: str, start: int, end: int, source: str, cue: str, kind: str) -> list[_Found]:
    start, end = trim(text, start, end, _STRIP)
    if end - start < MIN_SPAN:
        return []
    return [(start, end, SCORES[kind], source, cue)]


def _suggestion(start: int, end: int, score: float, source: str, cue: str) -> SpanSuggestion:
    source = " ".join(source.split()).rstrip(".,;:")
    rationale = f"Attributed to {source} (cue: '{' '.join(cue.split())}')."
    return SpanSuggestion(start, end, name, score, rationale)


def _kind(source: str) -> str:
    if PRONOUN_ONLY.match(source):
        return "pronoun"
    if source[:1].isupper() and not source.startswith(("The ", "A ", "An ")):
        return "named"
    return "generic"


def _speech(text: str, sentence: tuple[int, int], start: int, end: int):
    s_start, s_end = sentence
    cue = text[start:end]
    before = source_before(text, start)
    if before is not None and before[0] >= s_start:
        source_start, source = before
        if source.endswith(("’s", "'s")):
            return []  # "North Korea’s reported losses": a possessive, not a speaker
        # "CLAIM, X said." — the content comes first: from the sentence start to the cue.
        if text[end : end + 1] in (",", ".", "") or s_end - end < MIN_SPAN:
            return _make(text, s_start, end, source, f"{source} {cue}", _kind(source))
        # "X said CLAIM" — from the source to the sentence end.
        return _make(text, source_start, s_end, source, f"{source} {cue}", _kind(source))
    # "“CLAIM,” said X" — the speaker follows the verb.
    if text[max(s_start, start - 3) : start].strip(" ,") in ("”", '"', "’", "'"):
        after = source_after(text, end, s_end)
        if after is not None:
            return _make(text, s_start, after[0], after[1], f"said {after[1]}", "named")
    # "…, who said CLAIM" and a speaker the patterns do not know: the clause before the cue.
    clause_start = max(s_start, text.rfind(",", s_start, start) + 1)
    if start - clause_start <= 60 or WHO.search(text, clause_start, start):
        source = text[clause_start:start].strip() or "an unnamed speaker"
        if text[end : end + 1] in (",", ".", "") or s_end - end < MIN_SPAN:
            return _make(text, s_start, end, source, cue, "clause")  # "CLAIM, X added."
        return _make(text, clause_start, s_end, source, cue, "clause")
    return []


def _prepositional(text: str, sentence: tuple[int, int], start: int, end: int, cue: str):
    s_start, s_end = sentence
    after = source_after(text, end, s_end)
    if after is None:
        return []
    source = after[1]
    kind = "according to" if cue == "according to" else "per"
    cue = f"{' '.join(text[start:end].split())} {source}"
    # "According to X, CLAIM." and "CLAIM, according to X.": the whole sentence.
    return _make(text, s_start, s_end, source, cue, kind)
