"""Suggestion runs: starting them and the idempotent per-document body of the task (progress,
counting and recovery: progress.py)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Exists, OuterRef

from annotator.enqueue import SUGGESTIONS_CREATE, SUGGESTIONS_RUN, task
from annotator.models import (
    Annotation,
    Label,
    Suggestion,
    SuggestionDecision,
    SuggestionRun,
    SuggestionStatus,
)
from annotator.suggestions.contributions import contributions_of, merged, proposed
from annotator.suggestions.paragraphs import Ranges, inside, pieces, ranges_for
from annotator.suggestions.progress import (
    document_done,
    run_document_done,
    run_fail,
    run_finish,
    run_started,
)
from annotator.suggestions.suggesters import suggester_get, suggester_list
from annotator.suggestions.suggesters.base import SpanSuggestion, chunks, segmentation
from corpus.models import Collection, Document

logger = logging.getLogger(__name__)


# --- Suggestion runs: starting them, and the idempotent per-document body of the task ---


# Errors worth retrying (the task retries them with backoff); anything else a suggester
# raises is its own failure and is recorded on the run.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MERGED_FIELDS = ["score", "rationale", "suggester", "suggester_version", "contributions"]


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
    paragraphs: dict | None = None,
) -> SuggestionRun:
    """Create a run for one document or a whole collection and queue it after commit;
    `paragraphs` limits a document's run to some of its lines (see paragraphs.py)."""
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
        run_fail(run.pk, str(exc), finished=True)
        raise
    transaction.on_commit(lambda: _enqueue(run.pk, paragraphs))
    return run


def _enqueue(run_id: int, paragraphs: dict | None = None) -> None:
    run = SuggestionRun.objects.get(pk=run_id)
    try:
        if run.documents_total == 0:
            run_finish(run_id)
            return
        if run.document_id is not None:
            result = task(SUGGESTIONS_CREATE).apply_async(
                kwargs={
                    "document_id": run.document_id,
                    "suggester": run.suggester or None,
                    "run_id": run.pk,
                    **({"paragraphs": paragraphs} if paragraphs else {}),
                },
                retry=False,
            )
        else:
            result = task(SUGGESTIONS_RUN).apply_async(kwargs={"run_id": run.pk}, retry=False)
    except Exception as exc:  # the broker went away between the check and the publish
        logger.warning("Could not queue suggestion run %s: %s", run_id, exc)
        run_fail(run_id, f"Suggestions are unavailable: {exc}", finished=True)
        return
    SuggestionRun.objects.filter(pk=run_id, task_id="").update(task_id=result.id or "")


def suggester_spans(module, text: str, ranges: Ranges | None = None) -> list[SpanSuggestion]:
    """Run one suggester, in chunks for long texts (offsets mapped back), valid spans only;
    on the `ranges` of the text only, if given."""
    spans: list[SpanSuggestion] = []
    read = [
        (at + offset, piece)
        for at, part in pieces(text, ranges)
        for offset, piece in chunks(part, _chunk_chars())
    ]
    for offset, piece in read:
        for span in module.suggest(piece):
            start, end = span.start + offset, span.end + offset
            if 0 <= start < end <= len(text) and 0 <= span.score <= 1:
                spans.append(SpanSuggestion(start, end, span.label, span.score, span.rationale))
    return spans


def suggestions_create(
    *,
    document_id: int,
    suggester: str | None = None,
    run_id: int | None = None,
    paragraphs: dict | None = None,
) -> int:
    """Compute suggestions for one document; safe to run again. Returns how many were made.

    Replaces only the named suggesters' *pending* suggestions; decided suggestions and
    annotations are never touched, and spans reviewers annotated or decided are not suggested
    again. A suggester that raises marks the run failed; the others still run.
    """
    if run_id is not None:
        if document_done(run_id, document_id):
            return 0  # delivered again: this run already has this document
        run_started(run_id)
    row = (
        Document.objects.filter(pk=document_id)
        .values_list("text", "collection__blind_review", "revision")
        .first()
    )
    if row is None:
        if run_id is not None:
            run_document_done(run_id, document_id, created=0, failed=False)
        return 0
    text, blind, revision = row
    if len(text) > _max_chars():
        error = f"Document {document_id} has {len(text)} characters; suggestions are limited to {_max_chars()}."
        return _document_failed(run_id, document_id, error)
    ranges = ranges_for(paragraphs, revision=revision, length=len(text))
    modules = [suggester_get(suggester)] if suggester else suggester_list()
    results, errors = [], []
    for module in modules:
        try:
            spans = suggester_spans(module, text, ranges)
            results.append((module.name, str(module.version), spans))
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:
            logger.exception("Suggester %s failed on document %s", module.name, document_id)
            errors.append(f"{module.name}: {type(exc).__name__}: {exc}")
    created = _suggestions_store(
        document_id=document_id,
        text=text,
        revision=revision,
        blind=blind,
        results=results,
        run_id=run_id,
        error=f"Document {document_id}: " + "; ".join(errors) if errors else "",
        ranges=ranges,
    )
    segmentation.cache_clear()
    return created


@transaction.atomic
def _document_failed(run_id: int | None, document_id: int, error: str) -> int:
    logger.warning("Suggestion run %s: %s", run_id, error)
    if run_id is not None and not document_done(run_id, document_id):
        run_fail(run_id, error)
        run_document_done(run_id, document_id, created=0, failed=True)
    return 0


@transaction.atomic
def _suggestions_store(
    *,
    document_id: int,
    text: str,
    revision: int,
    blind: bool,
    results: list,
    run_id: int | None,
    error: str,
    ranges: Ranges | None = None,
) -> int:
    """Replace the named suggesters' open suggestions, in one transaction with the run's
    record and count of the document (SQLite takes one write lock per document). `error`:
    what the suggesters that failed raised, if any; `ranges`: only the open suggestions
    inside them are replaced (the suggesters read only those)."""
    # Lock the document so two deliveries of the same task cannot both insert.
    current = (
        Document.objects.select_for_update()
        .filter(pk=document_id)
        .values_list("revision", flat=True)
        .first()
    )
    exists = current is not None
    if exists and current != revision:
        # Revised while the suggesters read the old text: the re-anchoring's run replaces it.
        results = []
    if run_id is not None and document_done(run_id, document_id):
        return 0  # another delivery stored and counted it meanwhile
    if not exists:
        if run_id is not None:
            run_document_done(run_id, document_id, created=0, failed=False)
        return 0
    labels = dict(Label.objects.values_list("slug", "id"))
    names = {name for name, _, _ in results}
    decided = Exists(SuggestionDecision.objects.filter(suggestion=OuterRef("pk")))
    suggestions = Suggestion.objects.filter(document_id=document_id)
    # Suggestions someone decided are kept, and their spans are not suggested again. An open
    # one loses the named suggesters' contributions (inside `ranges`) and keeps the others'
    # (contributions.py); it is deleted when none is left, else updated with this run's.
    taken, stale, others, changed = set(), [], {}, set()
    existing = suggestions.annotate(decided=decided).values_list(
        "pk", "start", "end", "label_id", "status", "decided", "contributions",
        "suggester", "score", "rationale", "suggester_version",
    )  # fmt: skip
    for pk, start, end, label_id, status, is_decided, mine, *fields in existing:
        key = (start, end, label_id)
        if status != SuggestionStatus.PENDING or is_decided:
            taken.add(key)
            continue
        suggester, score, rationale, version = fields
        mine = contributions_of(
            mine, suggester=suggester, score=score, rationale=rationale, version=version
        )
        if names & set(mine) and inside(ranges, start, end):
            mine = {name: c for name, c in mine.items() if name not in names}
            if not mine:
                stale.append(pk)
                continue
            changed.add(key)
        others[key] = (pk, mine)
    if stale:
        suggestions.filter(pk__in=stale).exclude(decided).delete()
    if not blind:
        # Spans already annotated are not suggested. Under blind review one reviewer's
        # annotation must not take a suggestion away from the others.
        taken |= set(
            Annotation.objects.filter(document_id=document_id).values_list(
                "start", "end", "label_id"
            )
        )
    proposals: dict[tuple, list] = {}
    for name, version, spans in results:
        for span in spans:
            key = (span.start, span.end, labels.get(span.label))
            if key[2] is not None and key not in taken:
                proposals.setdefault(key, []).append((name, version, span))
    rows = [
        Suggestion(
            document_id=document_id,
            quote=text[start:end],
            run_id=run_id,
            revision=revision,
            start=start,
            end=end,
            label_id=label_id,
            **merged(proposed(found)),
        )
        for (start, end, label_id), found in proposals.items()
        if (start, end, label_id) not in others
    ]
    updated = [
        Suggestion(
            pk=others[key][0], **merged({**others[key][1], **proposed(proposals.get(key, []))})
        )
        for key in changed | (others.keys() & proposals.keys())
    ]
    Suggestion.objects.bulk_update(updated, MERGED_FIELDS, batch_size=1000)
    Suggestion.objects.bulk_create(rows, batch_size=1000)
    if run_id is not None:
        if error:
            logger.warning("Suggestion run %s: %s", run_id, error)
            run_fail(run_id, error)
        run_document_done(run_id, document_id, created=len(rows), failed=bool(error))
    return len(rows)
