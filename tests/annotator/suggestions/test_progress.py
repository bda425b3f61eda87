"""A run's per-document progress: each document counted once, recovery of the unfinished."""

import pytest

from annotator.models import RunStatus, Suggestion, SuggestionRun, SuggestionRunDocument
from annotator.suggestions.progress import suggestion_runs_recover
from annotator.suggestions.runs import suggestions_create
from tests.annotator.suggestions.test_tasks import TEXT
from tests.factories import CollectionFactory, DocumentFactory

pytestmark = pytest.mark.django_db


def collection_run(count: int, **fields):
    collection = CollectionFactory()
    documents = [DocumentFactory(collection=collection, text=f"{i}. {TEXT}") for i in range(count)]
    run = SuggestionRun.objects.create(collection=collection, documents_total=count, **fields)
    return run, documents


def test_a_document_delivered_twice_is_computed_and_counted_once(rules_only):
    run, (first, second) = collection_run(2)
    assert suggestions_create(document_id=first.pk, run_id=run.pk) == 3
    assert suggestions_create(document_id=first.pk, run_id=run.pk) == 0
    run.refresh_from_db()
    assert (run.documents_done, run.suggestions_created, run.status) == (1, 3, RunStatus.RUNNING)
    assert run.finished_at is None  # not succeeded before its last document
    assert suggestions_create(document_id=second.pk, run_id=run.pk) == 3
    suggestions_create(document_id=second.pk, run_id=run.pk)
    run.refresh_from_db()
    assert (run.documents_done, run.suggestions_created, run.status) == (2, 6, RunStatus.SUCCEEDED)
    assert Suggestion.objects.filter(run=run).count() == 6
    assert list(
        SuggestionRunDocument.objects.filter(run=run)
        .values_list("document_id", flat=True)
        .order_by("document_id")
    ) == [first.pk, second.pk]


def test_recovery_queues_only_the_unfinished_documents(rules_only, eager, monkeypatch):
    run, documents = collection_run(5, status=RunStatus.RUNNING)
    for document in documents[:2]:
        suggestions_create(document_id=document.pk, run_id=run.pk)
    computed = []
    original = suggestions_create

    def spy(**kwargs):
        computed.append(kwargs["document_id"])
        return original(**kwargs)

    monkeypatch.setattr("annotator.suggestions.runs.suggestions_create", spy)
    assert suggestion_runs_recover() == 3
    assert sorted(computed) == [document.pk for document in documents[2:]]
    run.refresh_from_db()
    assert (run.documents_total, run.documents_done, run.status) == (5, 5, RunStatus.SUCCEEDED)
    assert run.suggestions_created == Suggestion.objects.filter(run=run).count() == 15
    assert suggestion_runs_recover() == 0  # finished runs are left alone


def test_recovery_of_a_document_run_already_done_queues_nothing(rules_only, eager):
    document = DocumentFactory(text=TEXT)
    run = SuggestionRun.objects.create(document=document, documents_total=1)
    suggestions_create(document_id=document.pk, run_id=run.pk)
    # A run left running with its document recorded (say, by an older version).
    SuggestionRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, finished_at=None)
    assert suggestion_runs_recover() == 0
    other = SuggestionRun.objects.create(
        document=DocumentFactory(text=TEXT), documents_total=1, status=RunStatus.RUNNING
    )
    assert suggestion_runs_recover() == 1
    other.refresh_from_db()
    assert (other.status, other.documents_done, other.suggestions_created) == ("succeeded", 1, 3)
