"""One suggestion run per import batch, computed by a real worker (the configured broker),
resumable: documents the run already recorded are skipped."""

from __future__ import annotations

import pytest

from annotator.models import RunStatus, Suggestion, SuggestionRun, SuggestionRunDocument
from annotator.suggestions.import_runs import suggestions_batch
from corpus.models import Document
from tests.annotator.suggestions.test_worker import TEXT, run_state, wait_for
from tests.factories import api_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def post_batch(user, n: int) -> list[int]:
    body = [{"text": f"{TEXT} Report {i}.", "collection": "wire"} for i in range(n)]
    response = api_for(user).post("/api/documents/", body, format="json")
    assert response.status_code == 201, response.content
    return [d["id"] for d in response.json()["created"]]


def test_a_worker_computes_the_batch_run_for_all_its_documents(workers, lead, settings):
    settings.SUGGEST_ON_IMPORT = True
    ids = post_batch(lead, 6)
    (run,) = SuggestionRun.objects.all()
    assert (run.document_ids, run.documents_total, run.collection.slug) == (ids, 6, "wire")
    workers.start()
    wait_for(lambda: run_state(run.pk).status == RunStatus.SUCCEEDED, 90, workers, "the run")
    run = run_state(run.pk)
    assert run.documents_done == 6 and run.task_id
    with_suggestions = set(Suggestion.objects.values_list("document_id", flat=True))
    assert with_suggestions == set(ids)
    assert run.suggestions_created == Suggestion.objects.count()


def test_the_batch_task_skips_documents_already_done(lead, settings):
    settings.SUGGEST_ON_IMPORT = False
    ids = post_batch(lead, 3)
    run = SuggestionRun.objects.create(
        collection=Document.objects.get(pk=ids[0]).collection,
        document_ids=ids,
        documents_total=3,
        documents_done=1,
    )
    SuggestionRunDocument.objects.create(run=run, document_id=ids[0])
    assert suggestions_batch(run_id=run.pk) > 0
    assert not Suggestion.objects.filter(document_id=ids[0]).exists()
    assert set(Suggestion.objects.values_list("document_id", flat=True)) == set(ids[1:])
    run.refresh_from_db()
    assert (run.status, run.documents_done) == (RunStatus.SUCCEEDED, 3)
    # delivered again: nothing more
    assert suggestions_batch(run_id=run.pk) == 0


def test_recovery_queues_an_interrupted_batch_run_again(lead, settings, eager):
    from annotator.suggestions.progress import suggestion_runs_recover

    settings.SUGGEST_ON_IMPORT = False
    ids = post_batch(lead, 2)
    run = SuggestionRun.objects.create(
        collection=Document.objects.get(pk=ids[0]).collection,
        document_ids=ids,
        documents_total=2,
        status=RunStatus.RUNNING,
    )
    assert suggestion_runs_recover() == 2
    run.refresh_from_db()
    assert (run.status, run.documents_done) == (RunStatus.SUCCEEDED, 2)
