"""Disputed: hedged, contested, unverified or denied claims.

The cues live in data/disputed.json; the span is the sentence holding the cue and the
rationale names the cue (and, for denials, who denies).
"""

from __future__ import annotations

from annotator.suggestions.suggesters.base import (
    SpanSuggestion,
    dedupe,
    segmentation,
    shared,
    trim,
)
from annotator.suggestions.suggesters.cues import data, source_before
from annotator.suggestions.suggesters.lexicon import Terms, lowered_text

name = "disputed"
version = "1"


def _compile() -> list[tuple[str, float, Terms]]:
    return [
        (group["kind"], float(group["score"]), Terms(group["patterns"]))
        for group in data("disputed.json")["cues"]
    ]


CUES = _compile()


@shared(name)
def suggest(text: str) -> list[SpanSuggestion]:
    seg = segmentation(text)
    by_sentence: dict[tuple[int, int], tuple[float, list[str]]] = {}
    lowered = lowered_text(text)
    for kind, score, start, end in _cues(text, lowered):
        sentence = seg.sentence_at(start)
        reason = _reason(text, kind, start, end, sentence[0])
        best, reasons = by_sentence.get(sentence, (0.0, []))
        if reason not in reasons:
            reasons.append(reason)
        by_sentence[sentence] = (max(best, score), reasons)
    spans = []
    for (start, end), (score, reasons) in by_sentence.items():
        start, end = trim(text, start, end, " \t\n")
        if end - start >= 8:
            # Several independent cues make a disputed reading more likely.
            score = min(0.95, score + 0.05 * (len(reasons) - 1))
            spans.append(
                SpanSuggestion(start, end, name, round(score, 2), "; ".join(reasons) + ".")
            )
    return dedupe(spans)


def _cues(text: str, lowered: str | None) -> list[tuple[str, float, int, int]]:
    """(kind, score, start, end) of each cue, in CUES' order; where cues overlap, the longest
    is the cue ("could not be verified", not also "could"; "rejected the claims", not also
    "claims")."""
    found = [
        (order, kind, score, start, end)
        for order, (kind, score, terms) in enumerate(CUES)
        for start, end in terms.spans(text, lowered)
    ]
    taken: set[int] = set()
    kept = []
    for cue in sorted(found, key=lambda c: (c[3] - c[4], c[3])):  # longest first
        span = range(cue[3], cue[4])
        if taken.isdisjoint(span):
            taken.update(span)
            kept.append(cue)
    return [(kind, score, start, end) for _, kind, score, start, end in sorted(kept)]


def _reason(text: str, kind: str, start: int, end: int, sentence_start: int) -> str:
    cue = " ".join(text[start:end].split())
    if kind == "denial":
        speaker = source_before(text, start)
        if speaker is not None and speaker[0] >= sentence_start:
            return f"Denied by {' '.join(speaker[1].split())} (cue: '{cue}')"
        return f"Denial (cue: '{cue}')"
    return f"{kind.capitalize()} (cue: '{cue}')"
