"""A suggestion run's progress: which documents are done, the counts, finishing, recovery.

Each document of a run is recorded once (SuggestionRunDocument, unique per run and document)
in the transaction that stores its suggestions and counts it, so a document delivered twice
(a broker's redelivery, a recovered run) is counted once, and a run finishes with the update
that counts its last document. Recovery queues only the documents not recorded.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from annotator.enqueue import SUGGESTIONS_BATCH, SUGGESTIONS_CREATE, task
from annotator.events.services import run_finished_event
from annotator.models import RunStatus, SuggestionRun, SuggestionRunDocument
from corpus.models import Document

logger = logging.getLogger(__name__)


@transaction.atomic
def run_fail(run_id: int, error: str, *, finished: bool = False) -> None:
    fields = {"status": RunStatus.FAILED}
    if finished:
        fields["finished_at"] = timezone.now()
    SuggestionRun.objects.filter(pk=run_id).update(**fields)
    SuggestionRun.objects.filter(pk=run_id, error="").update(error=error[:5000])
    if finished:
        run_finished_event(run_id)


def run_started(run_id: int) -> None:
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


def document_done(run_id: int, document_id: int) -> bool:
    return SuggestionRunDocument.objects.filter(run_id=run_id, document_id=document_id).exists()


@transaction.atomic
def run_document_done(run_id: int, document_id: int, *, created: int, failed: bool) -> bool:
    """Record and count a document once; the update that counts the last one also finishes
    the run. False (nothing counted) when the document was already recorded.

    One UPDATE whose right-hand sides all read the row as it was, so only one task finishes
    the run however many count at once.
    """
    _, new = SuggestionRunDocument.objects.get_or_create(
        run_id=run_id,
        document_id=document_id,
        defaults={"suggestions_created": created, "failed": failed},
    )
    if not new:
        return False
    last = Q(finished_at__isnull=True) & Q(documents_done__gte=F("documents_total") - 1)
    SuggestionRun.objects.filter(pk=run_id).update(
        documents_done=Least(F("documents_done") + 1, F("documents_total")),
        documents_failed=F("documents_failed") + int(failed),
        suggestions_created=F("suggestions_created") + created,
        **_run_finished(last, failing=failed),
    )
    run_finished_event(run_id)
    return True


@transaction.atomic
def run_finish(run_id: int) -> None:
    """Finish the run if every document is done (a run with none, or counted elsewhere)."""
    done = Q(finished_at__isnull=True) & Q(documents_done__gte=F("documents_total"))
    if SuggestionRun.objects.filter(pk=run_id).update(**_run_finished(done)):
        run_finished_event(run_id)


def suggestion_run_fan_out(*, run_id: int, chunk_size: int = 500) -> int:
    """Queue one task per document of a collection run not done yet, in groups of
    `chunk_size`. Returns how many were queued."""
    from celery import group

    run = SuggestionRun.objects.filter(pk=run_id, finished_at__isnull=True).first()
    if run is None or run.collection_id is None:
        return 0
    run_started(run_id)
    documents = Document.objects.filter(collection_id=run.collection_id)
    if run.document_ids:  # an import batch's run covers its documents only
        documents = documents.filter(pk__in=run.document_ids)
    ids = list(documents.order_by("id").values_list("id", flat=True))
    done = set(run.done.values_list("document_id", flat=True))
    pending = [doc_id for doc_id in ids if doc_id not in done]
    # The collection may have changed since the run was created.
    SuggestionRun.objects.filter(pk=run_id).update(documents_total=len(set(ids) | done))
    if not pending:
        run_finish(run_id)
    suggester = run.suggester or None
    for first in range(0, len(pending), chunk_size):
        group(
            task(SUGGESTIONS_CREATE).si(document_id=doc_id, suggester=suggester, run_id=run_id)
            for doc_id in pending[first : first + chunk_size]
        ).apply_async()
    return len(pending)


def suggestion_runs_recover() -> int:
    """Queue again the documents of unfinished runs that no worker recorded as done.

    For the embedded broker, which forgets a message once a worker took it: a worker starting
    on it calls this. A document still queued is then delivered twice; the second delivery
    finds it recorded and does nothing. Returns how many documents were queued.
    """
    count = 0
    for run in SuggestionRun.objects.filter(status=RunStatus.RUNNING, finished_at__isnull=True):
        if run.document_ids:  # an import batch's run: its one task skips what is done
            count += len(run.document_ids) - run.done.count()
            task(SUGGESTIONS_BATCH).apply_async(kwargs={"run_id": run.pk}, retry=False)
        elif run.collection_id is not None:
            count += suggestion_run_fan_out(run_id=run.pk)
        elif run.document_id is not None and not document_done(run.pk, run.document_id):
            kwargs = {
                "document_id": run.document_id,
                "suggester": run.suggester or None,
                "run_id": run.pk,
            }
            task(SUGGESTIONS_CREATE).apply_async(kwargs=kwargs, retry=False)
            count += 1
    if count:
        logger.warning("Queued %s document(s) of interrupted suggestion runs again.", count)
    return count
