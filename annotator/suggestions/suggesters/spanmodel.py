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
from dataclasses import dataclass, field
from pathlib import Path

# Tokens: words (with inner apostrophes and hyphens), numbers, or one other character.
TOKEN = re.compile(r"\w+(?:[’'\-.]\w+)*|[^\w\s]")
PARAGRAPH = re.compile(r"[^\n]+")
QUOTES = '"“”«»'
MIN_SPAN_CHARS = 3
THRESHOLD = 0.1
TRAINING_PARAMS = {
    "c1": 0.05,
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


def _shape(word: str) -> str:
    shape = re.sub(r"[A-Z]", "A", word)
    shape = re.sub(r"[a-z]", "a", shape)
    shape = re.sub(r"\d", "0", shape)
    return re.sub(r"(.)\1+", r"\1\1", shape)


def _word_features(word: str) -> list[str]:
    lower = word.lower()
    return [f"w={lower}", f"s3={lower[-3:]}", f"sh={_shape(word)}"]


def features(text: str, toks: list[tuple[int, int]]) -> list[list[str]]:
    """CRFsuite attributes per token: the word, its neighbours, shape, quote state, position."""
    words = [text[s:e] for s, e in toks]
    lowers = [w.lower() for w in words]
    inside_quote, quote_state = [], False
    for word in words:
        if word in QUOTES:
            quote_state = not quote_state if word == '"' else word in "“«"
        inside_quote.append(quote_state)
    count = len(words)
    result = []
    for i, word in enumerate(words):
        f = ["bias", *_word_features(word)]
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
            if tags[i] == "O":
                tags[i] = "B" if n == 0 and (i == 0 or tags[i - 1] == "O") else "I"
    return tags


def _sequences(document: Document, label: str):
    """(features, tags) per paragraph that the document's marks make trainable for `label`."""
    positives = [(s, e) for s, e, lab in document.spans if lab == label]
    negatives = [(s, e) for s, e, lab in document.negatives if lab == label]
    full = label in document.labels
    if not (full or positives or negatives):
        return
    for start, end in paragraphs(document.text):
        inside = [(s, e) for s, e in positives if s < end and e > start]
        rejected = any(s < end and e > start for s, e in negatives)
        if not (full or inside or rejected):
            continue
        toks = tokens(document.text, start, end)
        if toks:
            yield features(document.text, toks), _tags(toks, inside)


def labels_of(documents: list[Document]) -> list[str]:
    found = set()
    for document in documents:
        found.update(label for _, _, label in document.spans)
    return sorted(found)


def train(documents: list[Document], params: dict | None = None) -> dict:
    """One CRF per label with at least one positive span; {"kind", "labels": {label: bytes}}."""
    import pycrfsuite

    models = {}
    for label in labels_of(documents):
        trainer = pycrfsuite.Trainer(verbose=False)
        trainer.set_params({**TRAINING_PARAMS, **(params or {})})
        sequences = 0
        for document in documents:
            for xseq, yseq in _sequences(document, label):
                trainer.append(xseq, yseq)
                sequences += 1
        if not sequences:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.crfsuite"
            trainer.train(str(path))
            models[label] = path.read_bytes()
    return {"kind": "crf", "labels": models, "threshold": THRESHOLD}


class Tagger:
    """A loaded model: taggers per label, and the attribute weights used for rationales."""

    def __init__(self, model: dict) -> None:
        import pycrfsuite

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

    def spans(self, text: str) -> list[tuple[int, int, str, float, list[str]]]:
        """(start, end, label, probability, strongest terms) for each tagged span."""
        found = []
        for start, end in paragraphs(text):
            toks = tokens(text, start, end)
            if not toks:
                continue
            xseq = features(text, toks)
            for label, tagger in self.taggers.items():
                found.extend(self._spans_of(tagger, label, text, toks, xseq))
        return found

    def _spans_of(self, tagger, label, text, toks, xseq):
        """Runs of tokens whose marginal probability of being inside a span reaches the
        threshold (a run restarts where "B" beats "I"); scored by their mean probability."""
        tagger.set(xseq)
        inside = [tagger.marginal("B", k) + tagger.marginal("I", k) for k in range(len(toks))]
        begins = [tagger.marginal("B", k) > tagger.marginal("I", k) for k in range(len(toks))]
        i = 0
        while i < len(toks):
            if inside[i] < self.threshold:
                i += 1
                continue
            j = i + 1
            while j < len(toks) and inside[j] >= self.threshold and not begins[j]:
                j += 1
            probability = sum(inside[i:j]) / (j - i)
            yield from self._span(label, text, toks, xseq, i, j, probability)
            i = j

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
                if attribute.startswith("w=") and weights.get(attribute, 0) > 0:
                    word = attribute[2:]
                    scored[word] = max(scored.get(word, 0.0), weights[attribute])
        return [w for w, _ in sorted(scored.items(), key=lambda x: -x[1])[:count]]


def _keeps(character: str) -> bool:
    return character.isalnum() or character in QUOTES


def dumps(model: dict) -> bytes:
    payload = {
        "kind": model["kind"],
        "threshold": model["threshold"],
        "labels": {label: data.hex() for label, data in model["labels"].items()},
    }
    return json.dumps(payload).encode()


def loads(data: bytes) -> dict:
    payload = json.loads(bytes(data))
    return {
        "kind": payload["kind"],
        "threshold": payload["threshold"],
        "labels": {label: bytes.fromhex(value) for label, value in payload["labels"].items()},
    }
