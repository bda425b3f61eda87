"""Training the span model (spanmodel.py) and calibrating it, in one pass over the documents.

Each trainable paragraph's features are computed once and handed to every label's CRF, and to
the calibration CRFs that learn without every fifth document. On those held-back documents,
per label, the threshold and the shortest and longest span (characters) with the best
SemEval-2020 span F1 are kept with the model: a CRF trained on propaganda proposes spans
of a median 49 characters where the annotators' are 18, so long runs are dropped.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from annotator.suggestions.suggesters.evaluation import merge, span_counts
from annotator.suggestions.suggesters.spandecoding import MIN_SPAN_CHARS, candidates
from annotator.suggestions.suggesters.spanmodel import (
    THRESHOLD,
    TRAINED,
    Document,
    FeatureSettings,
    Tagger,
    features,
    paragraphs,
    rule_spans,
    tokens,
    word_counts,
)

# L1 weight grows with the data, from C1_SMALL (a handful of documents: keep their words) to
# C1_LARGE at C1_LARGE_AT paragraphs and beyond (an archive: drop rare words). On held-back
# development documents of the propaganda corpus 0.5 reached span F1 0.37 where 0.05 gave 0.30.
C1_SMALL, C1_LARGE, C1_LARGE_AT = 0.05, 0.5, 2000
# Finer steps where propaganda's best threshold lies (0.05 to 0.1: its span F1 is flat there,
# precision trading for recall) and between the shortest lengths: span F1 +0.006 and +0.007
# on two inner splits of the propaganda corpus's dev part.
GRID = (0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.125, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
SHORTEST = (MIN_SPAN_CHARS, 6, 8, 10, 12, 15)
# Probabilities a run may extend over, below its threshold (spanmodel._runs): a span is found
# where the model is sure of some of its tokens, and takes in the neighbours it is less sure
# of. On two inner splits of the attribution corpus's dev part (its spans run from source to
# content), span F1 0.790 / 0.794 at the best plain threshold -> 0.803 / 0.805 extended
# (threshold 0.5-0.6 over 0.02-0.1), exact-match F1 unchanged; propaganda about the same.
LOWS = (0.02, 0.05, 0.1, 0.2)
# Extended runs are chosen only when they beat the best plain threshold by this much span F1 on
# the held-back documents: on propaganda's inner splits they were 0.002 below and 0.004 above
# (noise), and made the demo articles' suggestions a median 50 characters long instead of 32;
# on attribution they were 0.012-0.015 above.
EXTEND_MARGIN = 0.005
LONGEST = (None, 400, 250, 150, 100, 70, 50, 35, 25)
TRAINING_PARAMS = {
    "c2": 0.01,
    "max_iterations": 120,
    "feature.possible_transitions": True,
}


def labels_of(documents: list[Document]) -> list[str]:
    found = set()
    for document in documents:
        found.update(label for _, _, label in document.spans)
    return sorted(found)


def _tags(toks: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[str]:
    tags = ["O"] * len(toks)
    for start, end in sorted(spans):
        inside = [i for i, (s, e) in enumerate(toks) if s < end and e > start]
        for n, i in enumerate(inside):
            if tags[i] == "O":  # a token in two spans stays in the first
                tags[i] = "B" if n == 0 else "I"
    return tags


def sequences(
    document: Document, labels: list[str], settings: FeatureSettings = TRAINED
) -> Iterator[tuple[object, dict]]:
    """(features, {label: tags}) per paragraph that the document's marks make trainable for
    some label: all of them when fully labelled, else those with a positive or a rejected span
    of the label. Features are computed once per paragraph, whatever the number of labels."""
    import pycrfsuite

    positives = {lab: [(s, e) for s, e, x in document.spans if x == lab] for lab in labels}
    negatives = {lab: [(s, e) for s, e, x in document.negatives if x == lab] for lab in labels}
    full = {lab for lab in labels if lab in document.labels}
    if not (full or any(positives.values()) or any(negatives.values())):
        return
    counts = word_counts(document.text)
    rules = rule_spans(document.text) if settings.rules else None
    for start, end in paragraphs(document.text):
        trainable = {}
        for label in labels:
            inside = [(s, e) for s, e in positives[label] if s < end and e > start]
            rejected = any(s < end and e > start for s, e in negatives[label])
            if label in full or inside or rejected:
                trainable[label] = inside
        if not trainable:
            continue
        toks = tokens(document.text, start, end)
        if toks:
            xseq = features(document.text, toks, counts, rules, settings)
            items = pycrfsuite.ItemSequence(xseq)
            yield items, {label: _tags(toks, inside) for label, inside in trainable.items()}


def _fit(trainers: dict, params: dict | None) -> dict[str, bytes]:
    models = {}
    for label, (trainer, count) in trainers.items():
        if not count:
            continue
        c1 = C1_SMALL + (C1_LARGE - C1_SMALL) * min(1.0, count / C1_LARGE_AT)
        trainer.set_params({**TRAINING_PARAMS, "c1": c1, **(params or {})})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.crfsuite"
            trainer.train(str(path))
            models[label] = path.read_bytes()
    return models


def _model(models: dict, settings: FeatureSettings, calibration: dict | None = None) -> dict:
    calibration = calibration or {}
    return {
        "kind": "crf",
        "labels": models,
        "threshold": THRESHOLD,
        "thresholds": {k: v["threshold"] for k, v in calibration.items() if k in models},
        "lows": {k: v["low"] for k, v in calibration.items() if k in models},
        "lengths": {k: v["lengths"] for k, v in calibration.items() if k in models},
        **settings.stored(),
    }


def train(
    documents: list[Document],
    params: dict | None = None,
    calibrated: bool = True,
    settings: FeatureSettings = TRAINED,
) -> dict:
    """One CRF per label with at least one positive span, calibrated (when there are enough
    documents) on every fifth document by CRFs trained on the others, over the attributes of
    `settings`: {"kind", "labels": {label: model bytes}, "threshold", "thresholds", "lows",
    "lengths", and the settings' keys}."""
    import pycrfsuite

    labels = labels_of(documents)
    held = documents[::5] if calibrated and len(documents[::5]) >= 3 else []
    final = {label: [pycrfsuite.Trainer(verbose=False), 0] for label in labels}
    partial = {label: [pycrfsuite.Trainer(verbose=False), 0] for label in labels} if held else {}
    for index, document in enumerate(documents):
        for items, tags in sequences(document, labels, settings):
            for label, yseq in tags.items():
                final[label][0].append(items, yseq)
                final[label][1] += 1
                if partial and index % 5:
                    partial[label][0].append(items, yseq)
                    partial[label][1] += 1
    calibration = {}
    if partial:
        calibration = calibrate(Tagger(_model(_fit(partial, params), settings)), held)
        del partial
    return _model(_fit(final, params), settings, calibration)


def calibrate(tagger: Tagger, held: list[Document]) -> dict[str, dict]:
    """Per label, the threshold of GRID, the probability of LOWS (or the threshold itself) a
    run extends over, and the (shortest, longest) span of SHORTEST x LONGEST with the best
    span F1 on the held-back documents."""
    decodings = [(t, low) for t in GRID for low in (t, *(x for x in LOWS if x < t))]
    combos = [(t, low, lo, hi) for t, low in decodings for lo in SHORTEST for hi in LONGEST]
    totals = {label: {c: [0.0, 0, 0.0, 0] for c in combos} for label in tagger.labels}
    for document in held:
        scored = set(document.labels or {label for _, _, label in document.spans}) & set(totals)
        runs: dict[str, list] = {label: [] for label in scored}
        for label, toks, _, inside, begins in tagger.marginals(document.text):
            if label in scored:
                runs[label].append((toks, inside, begins))
        for label in scored:
            gold = merge([(s, e) for s, e, lab in document.spans if lab == label])
            for threshold, low in decodings:
                found = [
                    (toks[i][0], toks[j - 1][1])
                    for toks, inside, begins in runs[label]
                    for i, j, _ in candidates(document.text, toks, inside, begins, threshold, low)
                ]
                for lo in SHORTEST:
                    for hi in LONGEST:
                        pred = [
                            (s, e) for s, e in found if e - s >= lo and (hi is None or e - s <= hi)
                        ]
                        counts = span_counts(gold, pred)
                        total = totals[label][(threshold, low, lo, hi)]
                        for k, value in enumerate(counts):
                            total[k] += value
    result = {}
    plain = [c for c in combos if c[1] == c[0]]
    for label, by_combo in totals.items():
        if not any(total[3] for total in by_combo.values()):
            continue  # no gold span of this label held back: nothing to tell
        # Runs extend only when that is clearly better (longer spans for a reviewer to check).
        best_plain = max(_f1(*by_combo[c]) for c in plain)
        if max(_f1(*total) for total in by_combo.values()) < best_plain + EXTEND_MARGIN:
            by_combo = {c: by_combo[c] for c in plain}
        # Ties (small data ties over a wide range): the middle tied threshold, which keeps a
        # margin both ways, then no extension before any, then the widest lengths (combos'
        # order).
        best = max(_f1(*total) for total in by_combo.values())
        tied = [c for c in by_combo if _f1(*by_combo[c]) >= best - 1e-9]
        thresholds = sorted({c[0] for c in tied})
        middle = thresholds[len(thresholds) // 2]
        threshold, low, lo, hi = next(c for c in tied if c[0] == middle)
        result[label] = {"threshold": threshold, "low": low, "lengths": [lo, hi]}
    return result


def _f1(credit_pred: float, pred: int, credit_gold: float, gold: int) -> float:
    precision = credit_pred / pred if pred else 0.0
    recall = credit_gold / gold if gold else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
