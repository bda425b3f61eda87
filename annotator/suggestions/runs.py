"""Suggestion runs: starting them, the idempotent per-document body of the task, recovery."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from annotator.enqueue import SUGGESTIONS_CREATE, SUGGESTIONS_RUN, task
from annotator.models import (
    Annotation,
    Label,
    RunStatus,
    Suggestion,
    SuggestionDecision,
    SuggestionRun,
    SuggestionStatus,
)
from annotator.suggestions.suggesters import suggester_get, suggester_list
from annotator.suggestions.suggesters.base import SpanSuggestion, chunks, segmentation
from corpus.models import Collection, Document

logger = logging.getLogger(__name__)


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
    run = SuggestionRun.objects.get(pk=run_id)
    try:
        if run.documents_total == 0:
            _run_finish(run_id)
            return
        if run.document_id is not None:
            result = task(SUGGESTIONS_CREATE).apply_async(
                kwargs={
                    "document_id": run.document_id,
                    "suggester": run.suggester or None,
                    "run_id": run.pk,
                },
                retry=False,
            )
        else:
            result = task(SUGGESTIONS_RUN).apply_async(kwargs={"run_id": run.pk}, retry=False)
    except Exception as exc:  # the broker went away between the check and the publish
        logger.warning("Could not queue suggestion run %s: %s", run_id, exc)
        _run_fail(run_id, f"Suggestions are unavailable: {exc}", finished=True)
        return
    SuggestionRun.objects.filter(pk=run_id, task_id="").update(task_id=result.id or "")


def suggestion_run_fan_out(*, run_id: int, chunk_size: int = 500) -> int:
    """Queue one task per document of a collection run, in groups of `chunk_size`."""
    from celery import group

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
            task(SUGGESTIONS_CREATE).si(document_id=doc_id, suggester=suggester, run_id=run_id)
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


def suggestion_runs_recover() -> int:
    """Queue again the runs a killed worker left running.

    Redis and RabbitMQ deliver an unacknowledged task again by themselves; the embedded
    filesystem broker forgets a message once a worker took it, so a worker starting on it
    calls this. Running a document twice is harmless (pending suggestions are replaced).
    """
    count = 0
    for run in SuggestionRun.objects.filter(status=RunStatus.RUNNING, finished_at__isnull=True):
        if run.document_id is not None:
            kwargs = {
                "document_id": run.document_id,
                "suggester": run.suggester or None,
                "run_id": run.pk,
            }
            task(SUGGESTIONS_CREATE).apply_async(kwargs=kwargs, retry=False)
        else:
            task(SUGGESTIONS_RUN).apply_async(kwargs={"run_id": run.pk}, retry=False)
        count += 1
    if count:
        logger.warning("Queued %s interrupted suggestion run(s) again.", count)
    return count
