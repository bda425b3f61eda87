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
def test_sqlite_csv_batches_and_filters(lead, csv_corpus, chunk_size, django_assert_num_queries):
    suggestions = Annotation.objects.filter(origin="suggestion")
    with django_assert_num_queries(1 + suggestions.count() // chunk_size):
        written = "".join(export_csv.sqlite_csv_lines(suggestions, chunk_size=chunk_size))
    assert written == _python(suggestions)
    assert written.count("\r\n") == suggestions.count() + 1 == 8
