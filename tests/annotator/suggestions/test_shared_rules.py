"""The rule suggesters' spans are computed once per text and shared with the span model, which
reads them as attributes right after the rules ran on the same text (base.shared): what it
reads must be exactly what recomputing them gives."""

from __future__ import annotations

import random
from pathlib import Path

from annotator.management.commands.generate_corpus import article
from annotator.suggestions.suggesters import (
    disputed,
    propaganda,
    sourced,
    spanmodel,
    spantraining,
)
from annotator.suggestions.suggesters.base import segmentation
from corpus.models import normalize_newlines
from tests.annotator.suggestions.archive import archive

DEMO = Path(__file__).resolve().parents[3] / "corpus/fixtures/demo"
RULES = (sourced, disputed, propaganda)


def _texts() -> list[str]:
    rng = random.Random(16)
    demo = [normalize_newlines(p.read_text(encoding="utf-8")) for p in sorted(DEMO.glob("*.txt"))]
    return demo + [article(rng, 1500, emoji=i % 2 == 0) for i in range(12)]


def _recomputed(text: str) -> list[tuple[int, int, str]]:
    """The rule spans from the undecorated suggesters: nothing remembered."""
    return sorted(
        (span.start, span.end, span.label)
        for module in RULES
        for span in module.suggest.__wrapped__(text)
    )


def test_the_span_model_reads_the_spans_the_rules_just_suggested_and_they_are_the_same():
    texts = _texts()
    for text in texts:
        found = {module.name: module.suggest(text) for module in RULES}
        assert all(found.values()), "every rule suggester finds something in these texts"
        # Shared, not recomputed: the very objects the rules returned.
        remembered = segmentation(text).found
        assert all(
            a is b for m in RULES for a, b in zip(remembered[m.name], found[m.name], strict=True)
        )
        assert spanmodel.rule_spans(text) == _recomputed(text)
        segmentation.cache_clear()
    # With other texts in between (the cache holds a few): still each text's own spans.
    for text in texts[:3] + texts[:3]:
        assert spanmodel.rule_spans(text) == _recomputed(text)


def test_a_caller_changing_its_list_does_not_change_what_the_next_one_reads():
    text = _texts()[0]
    first = sourced.suggest(text)
    expected = list(first)
    first.clear()
    assert sourced.suggest(text) == expected == sourced.suggest.__wrapped__(text)
    segmentation.cache_clear()


def test_the_model_tags_the_same_after_the_rules_ran_as_on_its_own():
    documents = []
    for record in archive(12):
        spans = [(s["start"], s["end"], s["label"]) for s in record["spans"]]
        documents.append(spanmodel.Document(record["text"], spans, ("slogan",)))
    tagger = spanmodel.Tagger(spantraining.train(documents, calibrated=False))
    assert tagger.settings.rules
    for text in _texts():
        alone = tagger.spans(text)
        segmentation.cache_clear()
        for module in RULES:
            module.suggest(text)
        assert tagger.spans(text) == alone
        segmentation.cache_clear()
