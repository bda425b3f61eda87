"""Reviewer decisions on suggestions; suggestion runs; training the learned suggester."""

from __future__ import annotations

import logging
import zlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from annotator.models import (
    Annotation,
    Label,
    Origin,
    RunStatus,
    SuggesterModel,
    Suggestion,
    SuggestionDecision,
    SuggestionRun,
    SuggestionStatus,
)
from annotator.services.annotations import annotation_create
from annotator.suggesters import RULE_SUGGESTERS, suggester_get, suggester_list
from annotator.suggesters.base import SpanSuggestion, chunks, segmentation
from corpus.models import Collection, Document

logger = logging.getLogger(__name__)


def _open_for(user, suggestion_id: int) -> Suggestion:
    """Lock the suggestion and check this user may still decide it.

    In an open collection the first decision closes a suggestion for everyone; in a
    blind-review collection it stays open for reviewers who have not decided it yet.
    """
    # Lock the suggestion and its document as before; not the collection row, which every
    # decision in the collection would otherwise wait on (PostgreSQL locks joined rows).
    current = (
        Suggestion.objects.select_for_update(of=("self", "document"))
        .select_related("document__collection")
        .get(pk=suggestion_id)
    )
    if current.status != SuggestionStatus.PENDING:
        raise ValidationError(f"This suggestion was already {current.status}.")
    mine = current.decisions.filter(reviewer=user).values_list("status", flat=True).first()
    if mine:
        raise ValidationError(f"You already {mine} this suggestion.")
    return current


def _decide(current: Suggestion, user, status: str, annotation: Annotation | None = None) -> None:
    now = timezone.now()
    SuggestionDecision.objects.create(
        suggestion=current, reviewer=user, status=status, annotation=annotation, decided_at=now
    )
    if not current.document.collection.blind_review:
        current.status = status
        current.decided_by = user
        current.decided_at = now
        current.save(update_fields=["status", "decided_by", "decided_at"])


@transaction.atomic
def suggestion_accept(
    *,
    suggestion: Suggestion,
    user,
    start: int | None = None,
    end: int | None = None,
    label: Label | str | None = None,
    note: str = "",
    evidence_url: str = "",
) -> Annotation:
    """Turn an open suggestion into the user's annotation, optionally with adjusted bounds."""
    current = _open_for(user, suggestion.pk)
    annotation = annotation_create(
        document=current.document,
        created_by=user,
        start=current.start if start is None else start,
        end=current.end if end is None else end,
        label=label or current.label,
        note=note,
        evidence_url=evidence_url,
        origin=Origin.SUGGESTION,
        suggestion=current,
    )
    _decide(current, user, SuggestionStatus.ACCEPTED, annotation)
    return annotation


@transaction.atomic
def suggestion_reject(*, suggestion: Suggestion, user) -> Suggestion:
    current = _open_for(user, suggestion.pk)
    _decide(current, user, SuggestionStatus.REJECTED)
    return current


# --- Suggestion runs: starting them, and the idempotent per-document body of the task ---


# Errors worth retrying (the task retries them with backoff); anything else a suggester
# raises is its own failure and is recorded on the run.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class SuggestionsUnavailable(Exception):
    """The task broker cannot be reached, so no suggestion run can be queued."""


def _chunk_chars() -> int:
    return getattr(settings, "SUGGEST_CHUNK_CHARS", 200_000)


def _max_chars() -> int:
    return getattr(settings, "SUGGEST_MAX_CHARS", settings.MAX_DOCUMENT_CHARS)


def broker_check() -> None:
    """Raise SuggestionsUnavailable within about CELERY_BROKER_CONNECTION_TIMEOUT seconds."""
    from annotator.celery import app

    if app.conf.task_always_eager:
        return
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0,
                timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
            )
    except Exception as exc:
        raise SuggestionsUnavailable(
            f"Suggestions are unavailable: the task broker cannot be reached ({exc})."
        ) from exc


def suggestion_run_start(
    *,
    document: Document | None = None,
    collection: Collection | None = None,
    suggester: str | None = None,
    created_by=None,
) -> SuggestionRun:
    """Create a run for one document or a whole collection and queue it after commit."""
    if (document is None) == (collection is None):
        raise ValidationError("Give either a document or a collection.")
    version = suggester_get(suggester).version if suggester else ""
    total = 1 if document is not None else collection.documents.count()
    run = SuggestionRun.objects.create(
        document=document,
        collection=collection,
        suggester=suggester or "",
        version=str(version),
        documents_total=total,
        created_by=created_by,
    )
    try:
        broker_check()
    except SuggestionsUnavailable as exc:
        _run_fail(run.pk, str(exc), finished=True)
        raise
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from annotator import tasks

    run = SuggestionRun.objects.get(pk=run_id)
    try:
        if run.documents_total == 0:
            _run_finish(run_id)
            return
        if run.document_id is not None:
            result = tasks.suggestions_create.apply_async(
                kwargs={
                    "document_id": run.document_id,
                    "suggester": run.suggester or None,
                    "run_id": run.pk,
                },
                retry=False,
            )
        else:
            result = tasks.suggestions_run.apply_async(kwargs={"run_id": run.pk}, retry=False)
    except Exception as exc:  # the broker went away between the check and the publish
        logger.warning("Could not queue suggestion run %s: %s", run_id, exc)
        _run_fail(run_id, f"Suggestions are unavailable: {exc}", finished=True)
        return
    SuggestionRun.objects.filter(pk=run_id, task_id="").update(task_id=result.id or "")


def suggestion_run_fan_out(*, run_id: int, chunk_size: int = 500) -> int:
    """Queue one task per document of a collection run, in groups of `chunk_size`."""
    from celery import group

    from annotator import tasks

    run = SuggestionRun.objects.filter(pk=run_id).first()
    if run is None or run.collection_id is None:
        return 0
    ids = list(
        Document.objects.filter(collection_id=run.collection_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    # The collection may have changed since the run was created.
    SuggestionRun.objects.filter(pk=run_id).update(documents_total=len(ids))
    if not ids:
        _run_finish(run_id)
    suggester = run.suggester or None
    for first in range(0, len(ids), chunk_size):
        group(
            tasks.suggestions_create.si(document_id=doc_id, suggester=suggester, run_id=run_id)
            for doc_id in ids[first : first + chunk_size]
        ).apply_async()
    return len(ids)


def _run_fail(run_id: int, error: str, *, finished: bool = False) -> None:
    fields = {"status": RunStatus.FAILED}
    if finished:
        fields["finished_at"] = timezone.now()
    SuggestionRun.objects.filter(pk=run_id).update(**fields)
    SuggestionRun.objects.filter(pk=run_id, error="").update(error=error[:5000])


def _run_started(run_id: int) -> None:
    queued = SuggestionRun.objects.filter(pk=run_id, status=RunStatus.QUEUED)
    # Read first: a collection run's later documents then take no write lock (SQLite).
    if queued.exists():
        queued.update(status=RunStatus.RUNNING, started_at=timezone.now())


def _run_finished(finishing: Q, *, failing: bool = False) -> dict:
    """finished_at and status for an UPDATE: set where `finishing` holds (failed when a
    document failed, the run failed, or `failing`), left as they are elsewhere."""
    failed = (
        finishing
        if failing
        else finishing & (Q(documents_failed__gt=0) | Q(status=RunStatus.FAILED))
    )
    return {
        "finished_at": Case(When(finishing, then=Value(timezone.now())), default=F("finished_at")),
        "status": Case(
            When(failed, then=Value(RunStatus.FAILED)),
            When(finishing, then=Value(RunStatus.SUCCEEDED)),
            default=F("status"),
        ),
    }


def _run_document_done(run_id: int, *, created: int, failed: bool) -> None:
    """Count a document; the update that counts the last one also finishes the run.

    One UPDATE whose right-hand sides all read the row as it was, so only one task finishes
    the run however many count at once.
    """
    last = Q(finished_at__isnull=True) & Q(documents_done__gte=F("documents_total") - 1)
    SuggestionRun.objects.filter(pk=run_id).update(
        documents_done=Least(F("documents_done") + 1, F("documents_total")),
        documents_failed=F("documents_failed") + int(failed),
        suggestions_created=F("suggestions_created") + created,
        **_run_finished(last, failing=failed),
    )


def _run_finish(run_id: int) -> None:
    """Finish the run if every document is done (a run with none, or counted elsewhere)."""
    done = Q(finished_at__isnull=True) & Q(documents_done__gte=F("documents_total"))
    SuggestionRun.objects.filter(pk=run_id).update(**_run_finished(done))


def suggester_spans(module, text: str) -> list[SpanSuggestion]:
    """Run one suggester, in chunks for long texts (offsets mapped back), valid spans only."""
    spans: list[SpanSuggestion] = []
    for offset, piece in chunks(text, _chunk_chars()):
        for span in module.suggest(piece):
            start, end = span.start + offset, span.end + offset
            if 0 <= start < end <= len(text) and 0 <= span.score <= 1:
                spans.append(SpanSuggestion(start, end, span.label, span.score, span.rationale))
    return spans


def suggestions_create(
    *, document_id: int, suggester: str | None = None, run_id: int | None = None
) -> int:
    """Compute suggestions for one document; safe to run again. Returns how many were made.

    Replaces only the named suggesters' *pending* suggestions; decided suggestions and
    annotations are never touched, and spans reviewers annotated or decided are not suggested
    again. A suggester that raises marks the run failed; the others still run.
    """
    if run_id is not None:
        _run_started(run_id)
    row = (
        Document.objects.filter(pk=document_id)
        .values_list("text", "collection__blind_review")
        .first()
    )
    if row is None:
        if run_id is not None:
            _run_document_done(run_id, created=0, failed=False)
        return 0
    text, blind = row
    if len(text) > _max_chars():
        error = f"Document {document_id} has {len(text)} characters; suggestions are limited to {_max_chars()}."
        return _document_failed(run_id, error)
    modules = [suggester_get(suggester)] if suggester else suggester_list()
    results, errors = [], []
    for module in modules:
        try:
            results.append((module.name, str(module.version), suggester_spans(module, text)))
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:
            logger.exception("Suggester %s failed on document %s", module.name, document_id)
            errors.append(f"{module.name}: {type(exc).__name__}: {exc}")
    created = _suggestions_store(
        document_id=document_id,
        text=text,
        blind=blind,
        results=results,
        run_id=run_id,
        count_done=run_id is not None and not errors,
    )
    if errors:
        _document_failed(run_id, f"Document {document_id}: " + "; ".join(errors), created=created)
    segmentation.cache_clear()
    return created


def _document_failed(run_id: int | None, error: str, created: int = 0) -> int:
    logger.warning("Suggestion run %s: %s", run_id, error)
    if run_id is not None:
        _run_fail(run_id, error)
        _run_document_done(run_id, created=created, failed=True)
    return created


@transaction.atomic
def _suggestions_store(
    *, document_id: int, text: str, blind: bool, results: list, run_id: int | None, count_done: bool
) -> int:
    """Replace the named suggesters' open suggestions, in one transaction with the run's count
    (SQLite takes one write lock per document)."""
    # Lock the document so two deliveries of the same task cannot both insert.
    if not Document.objects.select_for_update().filter(pk=document_id).exists():
        if count_done:
            _run_document_done(run_id, created=0, failed=False)
        return 0
    labels = dict(Label.objects.values_list("slug", "id"))
    names = {name for name, _, _ in results}
    decided = Exists(SuggestionDecision.objects.filter(suggestion=OuterRef("pk")))
    suggestions = Suggestion.objects.filter(document_id=document_id)
    # Suggestions someone decided are kept, and their spans are not suggested again; the
    # named suggesters' open ones are replaced.
    taken, stale = set(), False
    existing = suggestions.annotate(decided=decided).values_list(
        "start", "end", "label_id", "suggester", "status", "decided"
    )
    for start, end, label_id, name, status, is_decided in existing:
        if status != SuggestionStatus.PENDING or is_decided:
            taken.add((start, end, label_id))
        elif name in names:
            stale = True
    if stale:
        suggestions.filter(suggester__in=names, status=SuggestionStatus.PENDING).exclude(
            decided
        ).delete()
    if not blind:
        # Spans already annotated are not suggested. Under blind review one reviewer's
        # annotation must not take a suggestion away from the others.
        taken |= set(
            Annotation.objects.filter(document_id=document_id).values_list(
                "start", "end", "label_id"
            )
        )
    rows = []
    for name, version, spans in results:
        seen = set()
        for span in spans:
            label_id = labels.get(span.label)
            key = (span.start, span.end, label_id)
            if label_id is None or key in taken or key in seen:
                continue
            seen.add(key)
            rows.append(
                Suggestion(
                    document_id=document_id,
                    start=span.start,
                    end=span.end,
                    quote=text[span.start : span.end],
                    label_id=label_id,
                    score=span.score,
                    rationale=span.rationale,
                    suggester=name,
                    suggester_version=version,
                    run_id=run_id,
                )
            )
    Suggestion.objects.bulk_create(rows, batch_size=1000)
    if count_done:
        _run_document_done(run_id, created=len(rows), failed=False)
    return len(rows)


# --- The learned suggester: training on reviewers' decisions, promotion ---

NEGATIVES_PER_DOCUMENT = 30


def _held_out(document_id: int, start: int) -> bool:
    """A stable one-in-five split by sentence, so a sentence is never on both sides."""
    return zlib.crc32(f"{document_id}:{start}".encode()) % 5 == 0


def training_examples() -> list:
    """Sentences of the documents reviewers worked on, labelled by their decisions."""
    from annotator.suggesters.training import Example

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
    from annotator.suggesters import training

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
    from annotator.suggesters import learned, training

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


def suggestion_precision_table() -> list[dict]:
    """Reviewers' verdicts per suggester and label: accepted / decided (two queries).

    Every reviewer's decision counts, so under blind review a suggestion two reviewers
    decided counts twice. Pending are the suggestions nobody has decided yet. A read shared by
    the stats page and the admin; kept beside the writes it summarises.
    """
    from django.db.models import Count

    from annotator.review_selectors import suggestion_acceptance

    rows: dict[tuple, dict] = {}
    for row in suggestion_acceptance(decisions=SuggestionDecision.objects.all()):
        rows[(row["suggester"], row["label__slug"])] = {**row, "pending": 0}
    undecided = (
        Suggestion.objects.filter(status=SuggestionStatus.PENDING)
        .exclude(Exists(SuggestionDecision.objects.filter(suggestion=OuterRef("pk"))))
        .order_by()
        .values("suggester", "label__slug", "label__name")
        .annotate(n=Count("id"))
    )
    for row in undecided:
        entry = rows.setdefault(
            (row["suggester"], row["label__slug"]),
            {
                "suggester": row["suggester"],
                "label__slug": row["label__slug"],
                "label__name": row["label__name"],
                "accepted": 0,
                "rejected": 0,
                "decided": 0,
                "precision": None,
            },
        )
        entry["pending"] = row["n"]
    return [rows[k] for k in sorted(rows)]


def suggestion_runs_recover() -> int:
    """Queue again the runs a killed worker left running.

    Redis and RabbitMQ deliver an unacknowledged task again by themselves; the embedded
    filesystem broker forgets a message once a worker took it, so a worker starting on it
    calls this. Running a document twice is harmless (pending suggestions are replaced).
    """
    from annotator import tasks

    count = 0
    for run in SuggestionRun.objects.filter(status=RunStatus.RUNNING, finished_at__isnull=True):
        if run.document_id is not None:
            kwargs = {
                "document_id": run.document_id,
                "suggester": run.suggester or None,
                "run_id": run.pk,
            }
            tasks.suggestions_create.apply_async(kwargs=kwargs, retry=False)
        else:
            tasks.suggestions_run.apply_async(kwargs={"run_id": run.pk}, retry=False)
        count += 1
    if count:
        logger.warning("Queued %s interrupted suggestion run(s) again.", count)
    return count
