"""The learned span model: a linear-chain CRF (CRFsuite) per label over the tokens of each
paragraph, tagging B/I/O, so a suggestion starts and ends at any token inside a sentence.

Plain data in, model bytes out (no ORM). A training document is its text, its spans of a
label (positives), and whether the rest of the text counts as negative: the whole text for a
fully labelled document, else only the spans that reviewers rejected (`negatives`) and the
paragraphs around its positives. Labels are whatever slugs the spans carry: one CRF each.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from annotator.suggestions.suggesters.spanfeatures import context_features

# Tokens: words (with inner apostrophes and hyphens), numbers, or one other character.
TOKEN = re.compile(r"\w+(?:[’'\-.]\w+)*|[^\w\s]")
PARAGRAPH = re.compile(r"[^\n]+")
QUOTES = '"“”«»'
# Not shown as a rationale's "strongest words" (they carry weight only through context).
_FUNCTION = (
    "a an the and or but of to in on at by for with from as is are was were be been it "
    "its this that these those he she they we you i his her their our what which who"
)
FUNCTION_WORDS = frozenset(_FUNCTION.split())
MIN_SPAN_CHARS = 3
CONTEXT = True  # sentence-context attributes (spanfeatures.py)
# L1 weight grows with the data, from C1_SMALL (a handful of documents: keep their words) to
# C1_LARGE at C1_LARGE_AT paragraphs and beyond (an archive: drop rare words). On held-back
# development documents of the propaganda corpus 0.5 reached span F1 0.37 where 0.05 gave 0.30.
C1_SMALL, C1_LARGE, C1_LARGE_AT = 0.05, 0.5, 2000
THRESHOLD = 0.1  # unless calibrated per label on documents held back from training
GRID = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
TRAINING_PARAMS = {
    "c2": 0.01,
    "max_iterations": 120,
    "feature.possible_transitions": True,
}


@dataclass
class Document:
    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    labels: tuple[str, ...] = ()  # labels whose unmarked text is negative ("fully labelled")
    negatives: list[tuple[int, int, str]] = field(default_factory=list)  # rejected spans


def tokens(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN.finditer(text, start, end)]


def paragraphs(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in PARAGRAPH.finditer(text) if m.group().strip()]


@lru_cache(maxsize=100_000)
def _shape(word: str) -> str:
    shape = re.sub(r"[A-Z]", "A", word)
    shape = re.sub(r"[a-z]", "a", shape)
    shape = re.sub(r"\d", "0", shape)
    return re.sub(r"(.)\1+", r"\1\1", shape)


@lru_cache(maxsize=100_000)
def _word_features(word: str) -> tuple[str, ...]:
    lower = word.lower()
    return (f"w={lower}", f"s3={lower[-3:]}", f"sh={_shape(word)}")


def features(
    text: str, toks: list[tuple[int, int]], counts: Counter | None = None
) -> list[list[str]]:
    """CRFsuite attributes per token: the word, its neighbours, shape, quote state, position,
    the paragraph's end punctuation, and whether the word recurs in the document (`counts`)."""
    words = [text[s:e] for s, e in toks]
    lowers = [w.lower() for w in words]
    para = [f"pend={words[-1]}" if not words[-1].isalnum() else "pend=w"]
    if "!" in words:
        para.append("p!")
    inside_quote, quote_state = [], False
    for word in words:
        if word in QUOTES:
            quote_state = not quote_state if word == '"' else word in "“«"
        inside_quote.append(quote_state)
    count = len(words)
    context = context_features(words, lowers) if CONTEXT else [[] for _ in words]
    result = []
    for i, word in enumerate(words):
        f = ["bias", *_word_features(word), *para, *context[i]]
        if counts is not None and len(word) > 3 and counts[lowers[i]] >= 3:
            f.append("rep")
        f.append(f"pos={min(i, 5)}")
        f.append(f"rpos={min(count - 1 - i, 5)}")
        if inside_quote[i]:
            f.append("inq")
        if word[:1].isupper():
            f.append("cap")
        for offset in (-3, -2, -1, 1, 2, 3):
            j = i + offset
            if 0 <= j < count:
                f.append(f"{offset}w={lowers[j]}")
                if abs(offset) == 1:
                    f.append(f"{offset}sh={_shape(words[j])}")
            else:
                f.append(f"{offset}edge")
        if i > 0:
            f.append(f"b-1={lowers[i - 1]}|{lowers[i]}")
        if i + 1 < count:
            f.append(f"b+1={lowers[i]}|{lowers[i + 1]}")
        result.append(f)
    return result


def _tags(toks: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[str]:
    tags = ["O"] * len(toks)
    for start, end in sorted(spans):
        inside = [i for i, (s, e) in enumerate(toks) if s < end and e > start]
        for n, i in enumerate(inside):
            if tags[i] == "O":  # a token in two spans stays in the first
                tags[i] = "B" if n == 0 else "I"
    return tags


def _sequences(document: Document, label: str):
    """(features, tags) per paragraph that the document's marks make trainable for `label`."""
    positives = [(s, e) for s, e, lab in document.spans if lab == label]
    negatives = [(s, e) for s, e, lab in document.negatives if lab == label]
    full = label in document.labels
    if not (full or positives or negatives):
        return
    counts = word_counts(document.text)
    for start, end in paragraphs(document.text):
        inside = [(s, e) for s, e in positives if s < end and e > start]
        rejected = any(s < end and e > start for s, e in negatives)
        if not (full or inside or rejected):
            continue
        toks = tokens(document.text, start, end)
        if toks:
            yield features(document.text, toks, counts), _tags(toks, inside)


def word_counts(text: str) -> Counter:
    return Counter(m.group().lower() for m in TOKEN.finditer(text))


def labels_of(documents: list[Document]) -> list[str]:
    found = set()
    for document in documents:
        found.update(label for _, _, label in document.spans)
    return sorted(found)


def train(
    documents: list[Document], params: dict | None = None, thresholds: dict | None = None
) -> dict:
    """One CRF per label with at least one positive span:
    {"kind", "labels": {label: model bytes}, "threshold", "thresholds": {label: threshold}}."""
    import pycrfsuite

    models = {}
    for label in labels_of(documents):
        trainer = pycrfsuite.Trainer(verbose=False)
        sequences = 0
        for document in documents:
            for xseq, yseq in _sequences(document, label):
                trainer.append(xseq, yseq)
                sequences += 1
        if not sequences:
            continue
        c1 = C1_SMALL + (C1_LARGE - C1_SMALL) * min(1.0, sequences / C1_LARGE_AT)
        trainer.set_params({**TRAINING_PARAMS, "c1": c1, **(params or {})})
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.crfsuite"
            trainer.train(str(path))
            models[label] = path.read_bytes()
    return {
        "kind": "crf",
        "labels": models,
        "threshold": THRESHOLD,
        "thresholds": {label: t for label, t in (thresholds or {}).items() if label in models},
    }


def calibrate(documents: list[Document], params: dict | None = None) -> dict[str, float]:
    """Per label, the threshold of GRID with the best span F1 on every fifth document when
    trained on the others ({} when there are too few documents to tell)."""
    from annotator.suggestions.suggesters.evaluation import merge, span_counts

    held, rest = documents[::5], [d for i, d in enumerate(documents) if i % 5]
    if len(held) < 3 or not labels_of(rest):
        return {}
    tagger = Tagger(train(rest, params))
    totals = {label: {t: [0.0, 0, 0.0, 0] for t in GRID} for label in tagger.labels}
    for document in held:
        scored = document.labels or {label for _, _, label in document.spans}
        runs: dict[str, list] = {label: [] for label in tagger.labels}
        for label, toks, _, inside, begins in tagger.marginals(document.text):
            runs[label].append((toks, inside, begins))
        for label in set(scored) & set(totals):
            gold = merge([(s, e) for s, e, lab in document.spans if lab == label])
            for threshold in GRID:
                pred = [
                    (toks[i][0], toks[j - 1][1])
                    for toks, inside, begins in runs[label]
                    for i, j in _runs(inside, begins, threshold)
                ]
                for k, value in enumerate(span_counts(gold, pred)):
                    totals[label][threshold][k] += value
    return {label: max(GRID, key=lambda t: _f1(*totals[label][t])) for label in totals}


def _f1(credit_pred: float, pred: int, credit_gold: float, gold: int) -> float:
    precision = credit_pred / pred if pred else 0.0
    recall = credit_gold / gold if gold else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _runs(inside: list[float], begins: list[bool], threshold: float):
    """Runs of tokens whose probability of being inside a span reaches the threshold (a run
    restarts where "B" beats "I"), as (first, last + 1) token indices."""
    i = 0
    while i < len(inside):
        if inside[i] < threshold:
            i += 1
            continue
        j = i + 1
        while j < len(inside) and inside[j] >= threshold and not begins[j]:
            j += 1
        yield i, j
        i = j


class Tagger:
    """A loaded model: taggers per label, and the attribute weights used for rationales."""

    def __init__(self, model: dict) -> None:
        import pycrfsuite

        self.thresholds = dict(model.get("thresholds") or {})
        self.threshold = model.get("threshold", THRESHOLD)
        self.taggers, self.weights = {}, {}
        # CRFsuite reads the model from this memory while tagging: keep it alive.
        self._buffers = []
        for label, data in model["labels"].items():
            data = bytes(data)
            self._buffers.append(data)
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(data)
            self.taggers[label] = tagger
            weights: dict[str, float] = {}
            for (attribute, tag), weight in tagger.info().state_features.items():
                if tag in ("B", "I") and attribute.startswith(("w=", "-1w=", "b-1=", "b+1=")):
                    weights[attribute] = weights.get(attribute, 0.0) + weight
            self.weights[label] = weights

    @property
    def labels(self) -> list[str]:
        return sorted(self.taggers)

    def marginals(self, text: str):
        """(label, tokens, features, P(inside), B beats I) per paragraph and label."""
        counts = word_counts(text)
        for start, end in paragraphs(text):
            toks = tokens(text, start, end)
            if not toks:
                continue
            xseq = features(text, toks, counts)
            for label, tagger in self.taggers.items():
                tagger.set(xseq)
                b = [tagger.marginal("B", k) for k in range(len(toks))]
                inner = [tagger.marginal("I", k) for k in range(len(toks))]
                inside = [x + y for x, y in zip(b, inner, strict=True)]
                begins = [x > y for x, y in zip(b, inner, strict=True)]
                yield label, toks, xseq, inside, begins

    def spans(self, text: str) -> list[tuple[int, int, str, float, list[str]]]:
        """(start, end, label, probability, strongest terms) for each tagged span, scored by
        the mean probability of its tokens."""
        found = []
        for label, toks, xseq, inside, begins in self.marginals(text):
            threshold = self.thresholds.get(label, self.threshold)
            for i, j in _runs(inside, begins, threshold):
                probability = sum(inside[i:j]) / (j - i)
                found.extend(self._span(label, text, toks, xseq, i, j, probability))
        return found

    def _span(self, label, text, toks, xseq, i, j, probability):
        # Spans start and end on a word or quote, not on other punctuation.
        while i < j and not _keeps(text[toks[i][0]]):
            i += 1
        while j > i and not _keeps(text[toks[j - 1][0]]):
            j -= 1
        if j > i and toks[j - 1][1] - toks[i][0] >= MIN_SPAN_CHARS:
            yield toks[i][0], toks[j - 1][1], label, probability, self._terms(label, xseq[i:j])

    def _terms(self, label: str, xseq: list[list[str]], count: int = 3) -> list[str]:
        weights = self.weights[label]
        scored: dict[str, float] = {}
        for attributes in xseq:
            for attribute in attributes:
                word = attribute[2:]
                if (
                    attribute.startswith("w=")
                    and weights.get(attribute, 0) > 0
                    and word.isalpha()
                    and word not in FUNCTION_WORDS
                ):
                    scored[word] = max(scored.get(word, 0.0), weights[attribute])
        return [w for w, _ in sorted(scored.items(), key=lambda x: -x[1])[:count]]


def _keeps(character: str) -> bool:
    return character.isalnum() or character in QUOTES


def dumps(model: dict) -> bytes:
    payload = {
        "kind": model["kind"],
        "threshold": model["threshold"],
        "thresholds": model.get("thresholds", {}),
        "labels": {label: data.hex() for label, data in model["labels"].items()},
    }
    return json.dumps(payload).encode()


def loads(data: bytes) -> dict:
    payload = json.loads(bytes(data))
    return {
        "kind": payload["kind"],
        "threshold": payload["threshold"],
        "thresholds": payload.get("thresholds", {}),
        "labels": {label: bytes.fromhex(value) for label, value in payload["labels"].items()},
    }
