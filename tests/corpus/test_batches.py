"""The one write path: records checked first, then written in bulk with constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.models import Event, SuggestionRun
from corpus.batches import BatchInvalid, batch_write, records_check
from corpus.models import Document, DocumentRevision
from tests.factories import CollectionFactory, DocumentFactory, UserFactory

pytestmark = pytest.mark.django_db


def docs(n: int, prefix: str = "Doc") -> list[tuple[int, dict]]:
    return [(i, {"title": f"{prefix} {i}", "text": f"{prefix} text number {i}."}) for i in range(n)]


def test_an_invalid_record_is_named_with_its_field_and_nothing_is_checked_past_it_silently():
    records = docs(3) + [(3, {"text": "  "}), (4, {"text": "ok", "published_at": "2024-02-30"})]
    with pytest.raises(BatchInvalid) as caught:
        records_check(records, collection="wire")
    assert caught.value.errors == {
        3: {"text": ["Text is empty."]},
        4: {"published_at": ["'2024-02-30' is not an ISO date or date-time."]},
    }
    assert Document.objects.count() == 0


def test_unknown_field_and_bad_collection_are_named():
    with pytest.raises(BatchInvalid) as caught:
        records_check([(0, {"text": "x", "colour": "red"}), (1, {"text": "y", "collection": "!!"})])
    assert caught.value.errors[0] == {"colour": ["Unknown field."]}
    assert list(caught.value.errors[1]) == ["collection"]


def test_batch_writes_documents_revisions_history_and_one_event_each():
    importer = UserFactory(username="importer")
    result = batch_write(records=records_check(docs(5), collection="wire"), imported_by=importer)
    assert len(result.created) == 5 and all(d.pk for d in result.created)
    documents = Document.objects.filter(collection__slug="wire")
    assert documents.count() == 5
    revisions = DocumentRevision.objects.filter(document__in=documents)
    assert set(revisions.values_list("number", "source", "created_by__username")) == {
        (1, "import", "importer")
    }
    assert revisions.count() == 5
    assert Document.history.filter(history_type="+").count() == 5
    assert Event.objects.filter(type="document.imported").count() == 5
    # a later edit becomes revision 2, as for documents saved one by one
    document = documents.first()
    document.text = "Changed."
    document.save()
    assert list(document.revisions.values_list("number", flat=True)) == [1, 2]


def test_duplicates_in_the_collection_and_in_the_batch_are_reported_not_written():
    collection = CollectionFactory(slug="wire")
    existing = DocumentFactory(collection=collection, text="Already here.")
    records = [
        (0, {"text": "Already here.", "title": "Again"}),
        (1, {"text": "New one."}),
        (2, {"text": "New one.", "title": "Twice in the batch"}),
    ]
    result = batch_write(records=records_check(records, collection="wire"))
    assert [d.pk for d in result.duplicates] == [existing.pk, result.created[0].pk]
    assert Document.objects.filter(collection=collection).count() == 2


def test_a_known_external_id_with_a_new_text_becomes_a_revision():
    collection = CollectionFactory(slug="wire")
    known = DocumentFactory(collection=collection, text="First text.", external_id="a-1")
    records = [
        (0, {"text": "Second text.", "external_id": "a-1"}),
        (1, {"text": "First text.", "external_id": "a-1"}),
        (2, {"text": "Other.", "external_id": "b-1"}),
        (3, {"text": "Other, revised.", "external_id": "b-1"}),
    ]
    result = batch_write(records=records_check(records, collection="wire"))
    known.refresh_from_db()
    assert (known.text, known.revision) == ("Second text.", 2)
    (created,) = result.created
    created.refresh_from_db()
    assert (created.text, created.revision) == ("Other, revised.", 2)
    assert {d.pk for d in result.revised} == {known.pk, created.pk}


def test_query_count_per_batch_does_not_grow_with_its_size(
    settings, django_capture_on_commit_callbacks
):
    """Documents, revisions, history, events and the batch's one suggestion run."""
    settings.SUGGEST_ON_IMPORT = True
    collection = CollectionFactory(slug="wire")
    counts = []
    # the first batch also reads whether any webhook listens (cached afterwards)
    for n, prefix in ((2, "Warm"), (10, "Small"), (50, "Large")):
        records = records_check(docs(n, prefix), collection="wire")
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            result = batch_write(records=records, imported_by=None)
        assert len(result.created) == n
        counts.append(len(queries))
    assert counts[1] == counts[2] <= 11, counts  # PostgreSQL: +1, the events lock
    runs = SuggestionRun.objects.filter(collection=collection).order_by("id")
    assert [len(run.document_ids) for run in runs] == [2, 10, 50]


def test_sqlite_bulk_statements_use_the_real_variable_limit():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    connection.ensure_connection()
    assert connection.features.max_query_params > 999
    fields = Document._meta.concrete_fields
    assert connection.ops.bulk_batch_size(fields, [None] * 1000) >= 1000  # one INSERT


def test_a_revision_refused_in_a_file_names_the_file(tmp_path):
    from corpus.importers import ImportFileError, import_file

    collection = CollectionFactory(slug="wire")
    DocumentFactory(collection=collection, text="Taken text.")
    DocumentFactory(collection=collection, text="Mine.", external_id="x-1")
    path = tmp_path / "wire.jsonl"
    path.write_text('{"text": "Taken text.", "external_id": "x-1"}\n')
    with pytest.raises(ImportFileError, match="already has this text"):
        import_file(path=path, collection=collection)
