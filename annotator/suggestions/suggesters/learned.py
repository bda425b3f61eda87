"""Learned: a span model trained on the reviewers' own work (see spanmodel.py).

It suggests nothing until a model was trained and promoted (it beat the rule suggesters on
documents held back from its training). The promoted model is loaded through `loader`
(set to annotator.suggestions.model_store.promoted_model when the app starts) and re-checked
at most every CHECK_SECONDS. Reading `version` loads the model first, so a run records the
version of the model that made its suggestions.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from annotator.suggestions.suggesters import spanmodel
from annotator.suggestions.suggesters.base import SpanSuggestion

name = "learned"
CHECK_SECONDS = 30.0


def _no_model() -> None:
    return None


# (version, artifact) of the promoted model, or None; set when the app starts.
loader: Callable[[], tuple[int, bytes] | None] = _no_model
_state: dict = {"checked": None, "version": None, "tagger": None}


def reset() -> None:
    """Forget the cached model (tests; after a promotion in this process)."""
    _state.update(checked=None, version=None, tagger=None)


def _tagger() -> spanmodel.Tagger | None:
    now = time.monotonic()
    if _state["checked"] is None or now - _state["checked"] >= CHECK_SECONDS:
        loaded = loader()
        _state["checked"] = now
        if loaded is None:
            _state.update(version=None, tagger=None)
        elif loaded[0] != _state["version"]:
            try:
                tagger = spanmodel.Tagger(spanmodel.loads(loaded[1]))
            except (ValueError, KeyError):  # a model of an older format: not usable
                tagger = None
            _state.update(version=loaded[0] if tagger else None, tagger=tagger)
    return _state["tagger"]


def __getattr__(attribute: str) -> str:
    if attribute == "version":
        _tagger()
        return "none" if _state["version"] is None else str(_state["version"])
    raise AttributeError(attribute)


def explain(why: spanmodel.Why) -> str:
    """The rationale's reasons: the strongest words and the context that weighed."""
    parts = []
    if why.words:
        parts.append(f"strongest words: {', '.join(why.words)}")
    if why.context:
        parts.append(f"context: {', '.join(why.context)}")
    return "; ".join(parts) or "no single word or context stands out (the words around it)"


def suggest(text: str) -> list[SpanSuggestion]:
    tagger = _tagger()
    if tagger is None:
        return []
    version = _state["version"]
    spans = []
    for start, end, label, probability, why in tagger.spans(text):
        rationale = f"Learned span model v{version}: p={probability:.2f}; {explain(why)}."
        spans.append(SpanSuggestion(start, end, label, round(probability, 2), rationale))
    return spans
