"""Decoding the span model's per-token probabilities (spanmodel.Tagger.marginals) into
spans: runs of tokens around the ones the model is sure of, trimmed to start and end on a word
or a quote. Plain lists in, token indices out."""

from __future__ import annotations

MIN_SPAN_CHARS = 3
# A span may start or end on a token beginning with one of these (else it is trimmed).
KEEP = frozenset("\"“”«»'‘’`")


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
    punctuation), at least MIN_SPAN_CHARS long."""
    for i, j in _runs(inside, begins, threshold, low):
        probability = sum(inside[i:j]) / (j - i)
        while i < j and not _keeps(text[toks[i][0]]):
            i += 1
        while j > i and not _keeps(text[toks[j - 1][0]]):
            j -= 1
        if j > i and toks[j - 1][1] - toks[i][0] >= MIN_SPAN_CHARS:
            yield i, j, probability


def _keeps(character: str) -> bool:
    return character.isalnum() or character in KEEP
