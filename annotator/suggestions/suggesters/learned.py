"""Learned: a model trained on the reviewers' own decisions (see training.py).

It suggests nothing until a model was trained and promoted (it beat the rule suggesters on
decisions held back from its training). The promoted model is loaded through `loader`
(set to annotator.suggestions.model_store.promoted_model when the app starts) and re-checked at most every CHECK_SECONDS.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from annotator.suggestions.suggesters import training
from annotator.suggestions.suggesters.base import SpanSuggestion, segmentation, trim

name = "learned"
version = "none"  # set to the promoted model's version when one is loaded
CHECK_SECONDS = 30.0


def _no_model() -> None:
    return None


# (version, artifact) of the promoted model, or None; set when the app starts.
loader: Callable[[], tuple[int, bytes] | None] = _no_model
_state: dict = {"checked": 0.0, "version": None, "model": None}


def reset() -> None:
    """Forget the cached model (tests; after a promotion in this process)."""
    global version
    _state.update(checked=0.0, version=None, model=None)
    version = "none"


def _model() -> dict | None:
    global version
    now = time.monotonic()
    if now - _state["checked"] >= CHECK_SECONDS:
        loaded = loader()
        _state["checked"] = now
        if loaded is None:
            _state.update(version=None, model=None)
        elif loaded[0] != _state["version"]:
            _state.update(version=loaded[0], model=training.loads(loaded[1]))
        version = "none" if _state["version"] is None else str(_state["version"])
    return _state["model"]


def suggest(text: str) -> list[SpanSuggestion]:
    model = _model()
    if model is None:
        return []
    sentences = [trim(text, s, e, " \t\n") for s, e in segmentation(text).sentences()]
    sentences = [(s, e) for s, e in sentences if e - s >= 8]
    texts = [text[s:e] for s, e in sentences]
    spans = []
    for label, probabilities in training.predict(model, texts).items():
        for (start, end), sentence, probability in zip(
            sentences, texts, probabilities, strict=True
        ):
            if probability >= model["threshold"]:
                terms = ", ".join(training.top_terms(model, sentence, label)) or "n/a"
                rationale = (
                    f"Learned model v{version}: p={probability:.2f}; strongest terms: {terms}."
                )
                spans.append(SpanSuggestion(start, end, label, round(probability, 2), rationale))
    return spans
