"""Training the learned suggester on reviewers' decisions, and promoting it."""

from __future__ import annotations

import zlib

from django.conf import settings
from django.db import transaction

from annotator.models import (
    Annotation,
    SuggesterModel,
    SuggestionDecision,
    SuggestionStatus,
)
from annotator.suggestions.suggesters import RULE_SUGGESTERS, suggester_get, suggester_list
from annotator.suggestions.suggesters.base import segmentation
from corpus.models import Document

# --- The learned suggester: training on reviewers' decisions, promotion ---

NEGATIVES_PER_DOCUMENT = 30


def _held_out(document_id: int, start: int) -> bool:
    """A stable one-in-five split by sentence, so a sentence is never on both sides."""
    return zlib.crc32(f"{document_id}:{start}".encode()) % 5 == 0


def training_examples() -> list:
    """Sentences of the documents reviewers worked on, labelled by their decisions."""
    from annotator.suggestions.suggesters.training import Example

    positives: dict[int, list[tuple[int, str]]] = {}
    for doc_id, start, slug in Annotation.objects.values_list(
        "document_id", "start", "label__slug"
    ):
        positives.setdefault(doc_id, []).append((start, slug))
    negatives: dict[int, list[tuple[int, str]]] = {}
    for doc_id, start, slug in SuggestionDecision.objects.filter(
        status=SuggestionStatus.REJECTED
    ).values_list("suggestion__document_id", "suggestion__start", "suggestion__label__slug"):
        negatives.setdefault(doc_id, []).append((start, slug))
    examples = []
    for document in Document.objects.filter(pk__in=set(positives) | set(negatives)).only(
        "id", "text"
    ):
        seg = segmentation(document.text)
        used = set()
        for marks, positive in ((positives, True), (negatives, False)):
            for start, slug in marks.get(document.pk, []):
                s, e = seg.sentence_at(start)
                used.add(s)
                examples.append(
                    Example(document.text[s:e], slug, positive, _held_out(document.pk, s))
                )
        unmarked = [(s, e) for s, e in seg.sentences() if s not in used and e - s >= 8]
        for s, e in unmarked[:NEGATIVES_PER_DOCUMENT]:
            examples.append(Example(document.text[s:e], None, False, _held_out(document.pk, s)))
        segmentation.cache_clear()
    return examples


def _rules_predict(texts: list[str]) -> dict[str, list[bool]]:
    modules = {m.name: m for m in suggester_list() if m.name in RULE_SUGGESTERS}
    predicted: dict[str, list[bool]] = {}
    for name in RULE_SUGGESTERS:
        module = modules.get(name) or suggester_get(name)
        predicted[name] = [bool(module.suggest(text)) for text in texts]
    return predicted


def suggester_evaluate_held_out(model: dict, held: list) -> dict:
    """Micro scores of the model and of the rule suggesters on the held-out sentences."""
    from annotator.suggestions.suggesters import training

    texts = [e.text for e in held]
    probabilities = training.predict(model, texts)
    rules = _rules_predict(texts)
    learned_pred, rule_pred, actual = [], [], []
    for label in ("sourced", "disputed", "propaganda"):
        for index, example in enumerate(held):
            if example.label not in (label, None):
                continue
            actual.append(example.positive and example.label == label)
            probs = probabilities.get(label)
            learned_pred.append(bool(probs) and probs[index] >= model["threshold"])
            rule_pred.append(rules[label][index])
    return {
        "learned": training.score(learned_pred, actual),
        "rules": training.score(rule_pred, actual),
        "held_out": len(held),
    }


def suggester_train(*, min_examples: int = 20, promote: bool = True) -> SuggesterModel | None:
    """Train a new version on all decisions but the held-out fifth; promote it if it beats
    the rule suggesters (F1, then precision) on that fifth. None when there is too little data."""
    from annotator.suggestions.suggesters import learned, training

    examples = training_examples()
    train_set = [e for e in examples if not e.held_out]
    held = [e for e in examples if e.held_out]
    if len(train_set) < min_examples or not any(e.positive for e in train_set) or not held:
        return None
    model = training.train(train_set)
    if not model["classifiers"]:
        return None
    metrics = suggester_evaluate_held_out(model, held)
    ours, rules = metrics["learned"], metrics["rules"]
    beats = (ours["f1"], ours["precision"]) > (rules["f1"], rules["precision"])
    metrics["promoted_because" if beats else "not_promoted_because"] = (
        f"F1 {ours['f1']} vs rules {rules['f1']}; precision {ours['precision']} vs {rules['precision']}"
    )
    with transaction.atomic():
        last = SuggesterModel.objects.select_for_update().filter(name="learned").first()
        row = SuggesterModel.objects.create(
            name="learned",
            version=(last.version + 1) if last else 1,
            training_size=len(train_set),
            metrics=metrics,
            promoted=False,
            artifact=training.dumps(model),
        )
        if promote and beats:
            SuggesterModel.objects.filter(name="learned").update(promoted=False)
            SuggesterModel.objects.filter(pk=row.pk).update(promoted=True)
            row.promoted = True
    learned.reset()
    return row


def suggester_retrain_due() -> bool:
    """True once SUGGEST_RETRAIN_EVERY decisions were made since the last training."""
    every = getattr(settings, "SUGGEST_RETRAIN_EVERY", 50)
    if every <= 0:
        return False
    last = (
        SuggesterModel.objects.filter(name="learned").values_list("trained_at", flat=True).first()
    )
    decided = SuggestionDecision.objects.all()
    if last is not None:
        decided = decided.filter(decided_at__gt=last)
    return decided.count() >= every
