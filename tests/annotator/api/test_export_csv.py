"""The CSV export written by SQLite is byte for byte what csv.writer writes in Python."""

from __future__ import annotations

import pytest
from django.db import connection

from annotator.api import export_csv, exports
from annotator.models import Annotation
from tests.annotator.api.test_export_streaming import claims_corpus  # noqa: F401 (a fixture)
from tests.annotator.api.test_export_w3c import w3c_corpus  # noqa: F401 (a fixture)
from tests.factories import AnnotationFactory, DocumentFactory, api_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's CSV path"),
]


def _python(annotations) -> str:
    return "".join(exports.csv_lines(exports.iter_export_records(annotations)))


@pytest.fixture
def csv_corpus(w3c_corpus, reviewer):  # noqa: F811
    document = DocumentFactory(title="\rstarts with CR", source_url="")
    for index, note in enumerate(["\tTab", "a\rb", "x,y", 'say "hi"', "@sum", "", " lead", "-"]):
        AnnotationFactory(document=document, start=index, end=index + 1, note=note)
    Annotation.objects.filter(note="x,y").update(adjudicated_from=[3, 1, 2])
    return w3c_corpus


def test_sqlite_csv_is_byte_for_byte_the_python_csv(lead, csv_corpus):
    expected = _python(Annotation.objects.all())
    assert expected.count("\r\n") == Annotation.objects.count() + 1 == 31
    assert '"[3, 1, 2]"' in expected and "0.30000000000000004" in expected
    assert "".join(export_csv.sqlite_csv_lines(Annotation.objects.all())) == expected
    response = api_for(lead).get("/api/export/annotations/?format=csv")
    assert b"".join(response.streaming_content).decode() == expected


@pytest.mark.parametrize("chunk_size", [1, 7])
def test_sqlite_csv_batches_and_filters(
    lead, csv_corpus, chunk_size, django_assert_max_num_queries
):
    """Per batch one query for the rows and one for their documents' cells; a label or author
    is read at its first row only."""
    suggestions = Annotation.objects.filter(origin="suggestion")
    count = suggestions.count()
    related = sum(suggestions.values(f).distinct().count() for f in ("label", "created_by"))
    with django_assert_max_num_queries(1 + count // chunk_size + -(-count // chunk_size) + related):
        written = "".join(export_csv.sqlite_csv_lines(suggestions, chunk_size=chunk_size))
    assert written == _python(suggestions)
    assert written.count("\r\n") == count + 1 == 8


def test_sqlite_csv_reads_each_document_label_and_author_once(reviewer, django_assert_num_queries):
    """The related rows' cells cost a query each per batch (documents) or per export (labels,
    authors), not a join per annotation: four queries for any number of rows in a batch."""
    document = DocumentFactory(title='=say "hi", 1', source_url="")
    for start in range(30):
        AnnotationFactory(document=document, start=start, end=start + 1, created_by=reviewer)
    annotations = Annotation.objects.all()
    with django_assert_num_queries(4):
        written = "".join(export_csv.sqlite_csv_lines(annotations, chunk_size=100))
    assert written == _python(annotations)
    assert written.count('"\'=say ""hi"", 1"') == 30
