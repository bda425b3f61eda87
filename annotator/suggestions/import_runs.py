"""One suggestion run per import batch: the run lists its documents (`document_ids`) and one
task computes them in turn, skipping those the run already recorded, so a task delivered
again (or queued again by recovery) resumes where the last one stopped."""

from __future__ import annotations

import logging

from django.db import transaction

from annotator.enqueue import SUGGESTIONS_BATCH, task
from annotator.models import SuggestionRun
from annotator.suggestions.progress import run_fail, run_finish, run_started
from annotator.suggestions.runs import (
    SuggestionsUnavailable,
    broker_check,
    suggestion_run_start,
    suggestions_create,
)
from corpus.models import Collection, Document

logger = logging.getLogger(__name__)


def suggestion_batch_start(
    *, document_ids: list[int], collection: Collection, created_by=None
) -> SuggestionRun:
    """Create the batch's run and queue its task after commit (a single document gets the
    usual per-document run). Raises SuggestionsUnavailable when the broker is down."""
    if len(document_ids) == 1:
        document = Document.objects.get(pk=document_ids[0])
        return suggestion_run_start(document=document, created_by=created_by)
    run = SuggestionRun.objects.create(
        collection=collection,
        document_ids=list(document_ids),
        documents_total=len(document_ids),
        created_by=created_by,
    )
    try:
        broker_check()
    except SuggestionsUnavailable as exc:
        run_fail(run.pk, str(exc), finished=True)
        raise
    transaction.on_commit(lambda: suggestion_batch_enqueue(run.pk))
    return run


def suggestion_batch_enqueue(run_id: int) -> None:
    try:
        result = task(SUGGESTIONS_BATCH).apply_async(kwargs={"run_id": run_id}, retry=False)
    except Exception as exc:  # the broker went away between the check and the publish
        logger.warning("Could not queue suggestion run %s: %s", run_id, exc)
        run_fail(run_id, f"Suggestions are unavailable: {exc}", finished=True)
        return
    SuggestionRun.objects.filter(pk=run_id, task_id="").update(task_id=result.id or "")


def suggestions_batch(*, run_id: int) -> int:
    """Compute the run's documents not recorded yet; returns how many suggestions were made."""
    run = SuggestionRun.objects.filter(pk=run_id, finished_at__isnull=True).first()
    if run is None:
        return 0
    run_started(run_id)
    done = set(run.done.values_list("document_id", flat=True))
    created = 0
    for document_id in run.document_ids:
        if document_id not in done:
            created += suggestions_create(
                document_id=document_id, suggester=run.suggester or None, run_id=run_id
            )
    run_finish(run_id)
    return created
