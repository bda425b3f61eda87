"""Decoding the span model's per-token probabilities (spanmodel.Tagger.marginals) into
spans: runs of tokens around the ones the model is sure of, trimmed to start and end on a word
or a quote. Plain lists in, token indices out."""

from __future__ import annotations

MIN_SPAN_CHARS = 3
# A span may start or end on a token beginning with one of these (else it is trimmed).
KEEP = frozenset("\"“”«»'‘’`")
# Nor does it end on an opening quote or a word that leads into what follows (a run extended
# over its less sure neighbours ended on "signed by", "appears to"), nor start on a closing
# quote: span F1 unchanged (+-0.001) on inner splits of both corpora's dev parts.
OPENING_QUOTES = frozenset(("“", "«", "‘", "``"))
CLOSING_QUOTES = frozenset(("”", "»"))
_LEADING = "a an the of to by for with from in on at and or but as that which who than into about"
LEADING_WORDS = frozenset(_LEADING.split())


def _runs(inside: list[float], begins: list[bool], threshold: float, low: float | None = None):
    """Runs of tokens around each token whose probability of being inside a span reaches the
    threshold, extended either way over neighbours that reach `low` (hysteresis; `low` None or
    not below the threshold: the run is the tokens reaching the threshold), and restarting
    where "B" beats "I"; as (first, last + 1) token indices."""
    low = threshold if low is None else min(low, threshold)
    i, count = 0, len(inside)
    while i < count:
        if inside[i] < threshold:
            i += 1
            continue
        first = i
        while first > 0 and inside[first - 1] >= low and not begins[first]:
            first -= 1
        j = i + 1
        while j < count and inside[j] >= low and not begins[j]:
            j += 1
        yield first, j
        i = j


def candidates(
    text: str,
    toks,
    inside: list[float],
    begins: list[bool],
    threshold: float,
    low: float | None = None,
):
    """(first, last + 1, probability) token runs of a paragraph at `threshold` (extended over
    tokens reaching `low`: _runs), starting and ending on a word or quote (not other
    punctuation, not a quote facing outwards, not ending on a word of LEADING_WORDS), at least
    MIN_SPAN_CHARS long."""
    for i, j in _runs(inside, begins, threshold, low):
        probability = sum(inside[i:j]) / (j - i)
        while i < j:
            first = text[toks[i][0] : toks[i][1]]
            if _keeps(first[0]) and first not in CLOSING_QUOTES:
                break
            i += 1
        while j > i:
            last = text[toks[j - 1][0] : toks[j - 1][1]]
            if _keeps(last[0]) and last not in OPENING_QUOTES and last.lower() not in LEADING_WORDS:
                break
            j -= 1
        if j > i and toks[j - 1][1] - toks[i][0] >= MIN_SPAN_CHARS:
            yield i, j, probability


def _keeps(character: str) -> bool:
    return character.isalnum() or character in KEEP
