"""Propaganda: loaded language, name calling, slogans, flag-waving, appeals to fear,
glittering generalities and exaggeration, from the lexicon in data/propaganda.json.

The span is the cue phrase, or the whole short quotation that holds it; the rationale
names the technique(s) and the cue.
"""

from __future__ import annotations

from annotator.suggestions.suggesters.base import SpanSuggestion, dedupe
from annotator.suggestions.suggesters.cues import Terms, data, enclosing_quote, lowered_text

name = "propaganda"
version = "1"


def _compile() -> list[tuple[str, float, Terms]]:
    techniques = data("propaganda.json")["techniques"]
    return [
        (technique, float(entry["score"]), Terms(entry["patterns"]))
        for technique, entry in techniques.items()
    ]


TECHNIQUES = _compile()
MAX_QUOTE = 160


def suggest(text: str) -> list[SpanSuggestion]:
    found: dict[tuple[int, int], tuple[float, list[str]]] = {}
    lowered = lowered_text(text)
    for technique, score, terms in TECHNIQUES:
        for cue_start, cue_end in terms.spans(text, lowered):
            start, end = cue_start, cue_end
            quote = enclosing_quote(text, start, end, MAX_QUOTE)
            if quote is not None:
                start, end = quote
            reason = f"{technique} ('{' '.join(text[cue_start:cue_end].split())}')"
            best, reasons = found.get((start, end), (0.0, []))
            if reason not in reasons:
                reasons.append(reason)
            found[(start, end)] = (max(best, score), reasons)
    spans = []
    for (start, end), (score, reasons) in found.items():
        score = min(0.95, score + 0.1 * (len(reasons) - 1))
        rationale = "Technique: " + "; ".join(reasons) + "."
        spans.append(SpanSuggestion(start, end, name, round(score, 2), rationale))
    return _drop_nested(dedupe(spans))


def _drop_nested(spans: list[SpanSuggestion]) -> list[SpanSuggestion]:
    """Keep a cue phrase only when no longer suggestion (a quotation) already covers it."""
    kept: list[SpanSuggestion] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start >= kept[-1].start and span.end <= kept[-1].end:
            continue
        kept.append(span)
    return kept
