"""Training the learned span model on reviewers' work, and promoting it.

Training documents: every document with an annotation or a decided suggestion. Annotations
(a reviewer's own, or an accepted suggestion) are positive spans; rejected suggestions are
negative spans; a document a reviewer marked done, or any document of the archive collection
given to `suggester_train(collection=...)`, is fully labelled: its unannotated text is
negative for every label. One document in five (by id) is held back to compare the model
with the rule suggesters; the model is promoted only when its span F1 is higher there.
One training runs at a time: it reserves its version row first (status "training").
"""

from __future__ import annotations

import time
import zlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotator.models import (
    Annotation,
    AssignmentStatus,
    Label,
    SuggesterModel,
    Suggestion,
    SuggestionStatus,
)
from annotator.suggestions.suggesters import (
    RULE_SUGGESTERS,
    spanmodel,
    spantraining,
    suggester_get,
)
from annotator.suggestions.suggesters.base import segmentation
from annotator.suggestions.suggesters.evaluation import evaluate
from corpus.models import Collection, Document

NAME = "learned"
MIN_DOCUMENTS = 5
# A training that has not finished after this long is taken as dead (its worker was killed).
STALE_TRAINING = timedelta(hours=2)


class TooLittleData(Exception):
    """Not enough labelled documents to train and measure a model."""


def _held_out(document_id: int) -> bool:
    return zlib.crc32(f"held:{document_id}".encode()) % 5 == 0


def training_documents(
    *, collection: Collection | None = None, label: str | None = None
) -> list[tuple[int, spanmodel.Document]]:
    """(document id, training document) for every document with marks (or the collection's)."""
    annotations = Annotation.objects.values_list("document_id", "start", "end", "label__slug")
    rejected = Suggestion.objects.filter(status=SuggestionStatus.REJECTED).values_list(
        "document_id", "start", "end", "label__slug"
    )
    done = set(
        Document.objects.filter(assignments__status=AssignmentStatus.DONE).values_list(
            "id", flat=True
        )
    )
    if collection is not None:
        annotations = annotations.filter(document__collection=collection)
        rejected = rejected.filter(document__collection=collection)
        ids = set(collection.documents.values_list("id", flat=True))
        done = ids
    if label is not None:
        annotations = annotations.filter(label__slug=label)
        rejected = rejected.filter(label__slug=label)
    positives: dict[int, list] = {}
    for doc_id, start, end, slug in annotations:
        positives.setdefault(doc_id, []).append((start, end, slug))
    negatives: dict[int, list] = {}
    for doc_id, start, end, slug in rejected:
        negatives.setdefault(doc_id, []).append((start, end, slug))
    labels = tuple([label] if label else Label.objects.values_list("slug", flat=True))
    ids = set(positives) | set(negatives) | done
    documents = []
    for document in Document.objects.filter(pk__in=ids).only("id", "text").order_by("id"):
        documents.append(
            (
                document.pk,
                spanmodel.Document(
                    text=document.text,
                    spans=positives.get(document.pk, []),
                    labels=labels if document.pk in done else (),
                    negatives=negatives.get(document.pk, []),
                ),
            )
        )
    return documents


def _gold(document: spanmodel.Document, labels: list[str]) -> dict:
    annotated = list(document.labels) or sorted({lab for _, _, lab in document.spans})
    return {
        "text": document.text,
        "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in document.spans],
        "labels_annotated": [lab for lab in annotated if lab in labels],
    }


def _rule_spans(text: str, labels: list[str]) -> list[tuple[int, int, str]]:
    spans = []
    for name in RULE_SUGGESTERS:
        spans.extend(
            (s.start, s.end, s.label)
            for s in suggester_get(name).suggest(text)
            if s.label in labels
        )
    segmentation.cache_clear()
    return spans


def evaluate_held_out(model: dict, held: list[spanmodel.Document]) -> dict:
    """Span-measure scores of the model and of the rule suggesters, per label and micro."""
    tagger = spanmodel.Tagger(model)
    labels = tagger.labels
    records = [_gold(document, labels) for document in held]
    started = time.monotonic()
    ours = [[(s, e, lab) for s, e, lab, _, _ in tagger.spans(d.text)] for d in held]
    seconds = time.monotonic() - started
    rules = [_rule_spans(d.text, labels) for d in held]
    scores = {
        "learned": evaluate(records, ours, labels),
        "rules": evaluate(records, rules, labels),
    }
    result: dict = {"held_out_documents": len(held), "labels": labels}
    for who, score in scores.items():
        result[who] = {
            key: {m: round(score["span"][key][m], 3) for m in ("precision", "recall", "f1")}
            for key in (*labels, "micro")
            if key in score["span"]
        }
        result[who]["overlap_micro_f1"] = round(score["overlap"]["micro"]["f1"], 3)
    chars = sum(len(d.text) for d in held)
    result["chars_per_second"] = round(chars / seconds) if seconds else None
    return result


def _reserve_version(collection: Collection | None) -> SuggesterModel:
    """The row of the next version, marked "training"; ValidationError if one is running."""
    with transaction.atomic():
        rows = SuggesterModel.objects.select_for_update().filter(name=NAME)
        last = rows.order_by("-version").first()
        running = SuggesterModel.objects.filter(name=NAME, metrics__status="training")
        stale = running.filter(trained_at__lt=timezone.now() - STALE_TRAINING)
        stale.delete()
        if running.exists():
            raise ValidationError(
                "A training of the learned suggester is already running."
            ) from None
        try:
            return SuggesterModel.objects.create(
                name=NAME,
                version=(last.version + 1) if last else 1,
                metrics={
                    "status": "training",
                    "collection": collection.slug if collection else None,
                },
                artifact=b"",
            )
        except IntegrityError:
            raise ValidationError(
                "A training of the learned suggester is already running."
            ) from None


def suggester_training_running() -> bool:
    return SuggesterModel.objects.filter(
        name=NAME,
        metrics__status="training",
        trained_at__gte=timezone.now() - STALE_TRAINING,
    ).exists()


def suggester_train(
    *,
    collection: Collection | None = None,
    label: str | None = None,
    promote: bool = True,
    force: bool = False,
    min_documents: int = MIN_DOCUMENTS,
) -> SuggesterModel:
    """Train a new version, measure it against the rules on held-back documents, promote it
    when better (or `force`). Raises TooLittleData, or ValidationError if one is running."""
    from annotator.suggestions.suggesters import learned

    documents = training_documents(collection=collection, label=label)
    train_set = [d for pk, d in documents if not _held_out(pk) and d.spans]
    held = [d for pk, d in documents if _held_out(pk) and d.spans]
    train_set += [d for pk, d in documents if not _held_out(pk) and not d.spans]
    if len(train_set) < min_documents or not held:
        raise TooLittleData(
            f"Too little data to train: {len(documents)} labelled documents "
            f"({len(held)} with spans held back for measuring); need at least "
            f"{min_documents} to train on and one with spans to hold back."
        )
    row = _reserve_version(collection)
    try:
        started = time.monotonic()
        model = spantraining.train(train_set)
        seconds = round(time.monotonic() - started, 1)
        if not model["labels"]:
            raise TooLittleData("Too little data to train: no span of any label.")
        metrics = evaluate_held_out(model, held)
    except BaseException:
        row.delete()
        raise
    ours, rules = metrics["learned"]["micro"], metrics["rules"]["micro"]
    beats = (ours["f1"], ours["precision"]) > (rules["f1"], rules["precision"])
    verdict = f"span F1 {ours['f1']} vs rules {rules['f1']}"
    metrics.update(
        status="trained",
        collection=collection.slug if collection else None,
        training_documents=len(train_set),
        training_seconds=seconds,
        thresholds=model["thresholds"],
        lows=model["lows"],
        lengths=model["lengths"],
        beats_rules=beats,
        **{"promoted_because" if beats or force else "not_promoted_because": verdict},
    )
    with transaction.atomic():
        row.metrics, row.training_size = metrics, len(train_set)
        row.artifact = spanmodel.dumps(model)
        row.save()
        if promote and (beats or force):
            SuggesterModel.objects.filter(name=NAME).update(promoted=False)
            SuggesterModel.objects.filter(pk=row.pk).update(promoted=True)
            row.promoted = True
    learned.reset()
    return row


def suggester_train_by_ids(
    *, collection_id: int | None = None, label: str | None = None, force: bool = False
) -> SuggesterModel:
    collection = None
    if collection_id is not None:
        collection = Collection.objects.filter(pk=collection_id).first()
        if collection is None:
            raise TooLittleData(f"Collection {collection_id} no longer exists.")
    return suggester_train(collection=collection, label=label, force=force)


def suggester_train_queue(
    *, collection: Collection | None = None, label: str | None = None, force: bool = False
) -> None:
    """Queue a training (after commit); ValidationError naming the field when it cannot run."""
    from annotator.enqueue import SUGGESTIONS_TRAIN, task

    if label is not None and not Label.objects.filter(slug=label).exists():
        raise ValidationError({"label": f"Unknown label {label!r}."})
    if suggester_training_running():
        raise ValidationError(
            {"collection": "A training of the learned suggester is already running."}
        )
    kwargs = {"collection_id": collection.pk if collection else None, "label": label}
    transaction.on_commit(
        lambda: task(SUGGESTIONS_TRAIN).apply_async(kwargs={**kwargs, "force": force})
    )


def suggester_models() -> list[dict]:
    """The learned suggester's versions, newest first: status, promotion and scores."""
    return [
        {
            "version": row.version,
            "trained_at": row.trained_at,
            "promoted": row.promoted,
            "status": row.metrics.get("status", "trained"),
            "collection": row.metrics.get("collection"),
            "training_documents": row.training_size,
            "metrics": row.metrics,
        }
        for row in SuggesterModel.objects.filter(name=NAME).order_by("-version")[:20]
    ]


def suggester_retrain_due() -> bool:
    """True once SUGGEST_RETRAIN_EVERY decisions were made since the last training began,
    and no training is running."""
    from annotator.models import SuggestionDecision

    every = getattr(settings, "SUGGEST_RETRAIN_EVERY", 50)
    if every <= 0 or suggester_training_running():
        return False
    last = (
        SuggesterModel.objects.filter(name=NAME)
        .order_by("-trained_at")
        .values_list("trained_at", flat=True)
        .first()
    )
    decided = SuggestionDecision.objects.all()
    if last is not None:
        decided = decided.filter(decided_at__gt=last)
    return decided.count() >= every
