"""Training and scoring the learned suggester: plain data in, model bytes out (no ORM).

One TF-IDF vectoriser over sentences and one logistic regression per label. Examples are
sentences: positive for a label when a reviewer annotated (or accepted) a span of that label
in it, negative when a suggestion of that label there was rejected or the reviewer left the
sentence of an annotated document unannotated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from annotator.suggestions.suggesters.base import LABELS

THRESHOLD = 0.5


@dataclass(frozen=True)
class Example:
    text: str
    label: str | None  # None: a sentence with no claim of any label
    positive: bool
    held_out: bool = False


def train(examples: list[Example]) -> dict:
    # Imported here: scikit-learn takes a second to import and most processes never train.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [example.text for example in examples]
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_features=50000
    )
    matrix = vectorizer.fit_transform(texts)
    classifiers = {}
    for label in LABELS:
        targets = [int(e.positive and e.label == label) for e in examples]
        if 0 < sum(targets) < len(targets):
            model = LogisticRegression(class_weight="balanced", max_iter=1000)
            model.fit(matrix, targets)
            classifiers[label] = model
    return {"vectorizer": vectorizer, "classifiers": classifiers, "threshold": THRESHOLD}


def predict(model: dict, texts: list[str]) -> dict[str, list[float]]:
    """Probability per label for each text."""
    if not texts:
        return {}
    matrix = model["vectorizer"].transform(texts)
    return {
        label: classifier.predict_proba(matrix)[:, 1].tolist()
        for label, classifier in model["classifiers"].items()
    }


def top_terms(model: dict, text: str, label: str, count: int = 3) -> list[str]:
    vectorizer, classifier = model["vectorizer"], model["classifiers"][label]
    row = vectorizer.transform([text]).tocoo()
    weights = sorted(
        (
            (value * classifier.coef_[0][col], col)
            for col, value in zip(row.col, row.data, strict=True)
        ),
        reverse=True,
    )
    names = vectorizer.get_feature_names_out()
    return [names[col] for weight, col in weights[:count] if weight > 0]


def dumps(model: dict) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def loads(data: bytes) -> dict:
    import joblib

    return joblib.load(io.BytesIO(bytes(data)))


def score(predicted: list[bool], actual: list[bool]) -> dict[str, float]:
    tp = sum(p and a for p, a in zip(predicted, actual, strict=True))
    fp = sum(p and not a for p, a in zip(predicted, actual, strict=True))
    fn = sum(a and not p for p, a in zip(predicted, actual, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "support": tp + fn,
    }
