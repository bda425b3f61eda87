"""The W3C export written by the database (COPY on PostgreSQL, keyset batches of SQL-built items
on SQLite) is byte for byte what the Python path (exports.w3c_lines, json.dumps) writes."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.api import export_w3c, exports, keyset
from annotator.models import Annotation, Origin
from corpus.models import Document
from tests.annotator.api.test_export_streaming import (  # noqa: F401 (a fixture)
    TRICKY,
    claims_corpus,
)
from tests.factories import (
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    api_for,
)

pytestmark = pytest.mark.django_db
BASE = "http://testserver"
RTL = 'قال الوزير «إن ١٢٠٠ شخص» — אמר השר 😀 "quoted" \\ back\nline\ttab'


@pytest.fixture
def w3c_corpus(claims_corpus, reviewer, lead):  # noqa: F811
    """claims_corpus plus right-to-left text, spans at both ends of a text, suggestions with
    whole and long scores, a document without a source URL, and annotations whose revision
    is an older stored text or none at all."""
    rtl = DocumentFactory(title=RTL, source_url="", text=RTL + " tail " + TRICKY)
    AnnotationFactory(document=rtl, start=0, end=3, created_by=reviewer, note=RTL)
    end = len(rtl.text)
    AnnotationFactory(document=rtl, start=end - 2, end=end, created_by=lead, evidence_url="")
    for score in (1.0, 0.0, 0.1 + 0.2, 1e-05, 0.8734912345678901):
        suggestion = SuggestionFactory(
            document=rtl, start=4, end=9, score=score, suggester="sourced"
        )
        AnnotationFactory(
            document=rtl,
            start=4,
            end=9,
            origin=Origin.SUGGESTION,
            suggestion=suggestion,
            created_by=reviewer,
        )
    AnnotationFactory(document=rtl, start=5, end=8, origin=Origin.SUGGESTION, suggestion=None)
    older = AnnotationFactory(document=rtl, start=10, end=15, created_by=reviewer)
    lost = AnnotationFactory(document=rtl, start=10, end=15, created_by=reviewer)
    rtl.text = "A new text, 😀 shorter. " + RTL
    rtl.save()
    rtl.refresh_from_db()
    assert rtl.revision == 2
    Annotation.objects.filter(pk=older.pk).update(revision=1)
    Annotation.objects.filter(pk=lost.pk).update(revision=7)
    return claims_corpus


def _python(query=None) -> bytes:
    annotations = Annotation.objects.all() if query is None else query
    return "".join(exports.w3c_lines(annotations, base_url=BASE)).encode()


def _api(user, query: str = "") -> bytes:
    response = api_for(user).get(f"/api/export/annotations/?format=w3c&{query}")
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_database_written_w3c_is_byte_for_byte_the_python_export(lead, w3c_corpus):
    expected = _python()
    page = json.loads(expected)
    assert len(page["items"]) == Annotation.objects.count() == 22
    assert any(len(item["body"]) > 2 for item in page["items"])  # evidence and verdict bodies
    scores = [item["generator"]["score"] for item in page["items"] if "generator" in item]
    assert 0.8734912345678901 in scores and b'"score": 1.0}' in expected
    prefixes = {item["target"]["selector"][1]["prefix"] for item in page["items"]}
    assert "A new text" not in "".join(prefixes)  # the older revision's text, not the new one
    written = "".join(export_w3c.w3c_text_lines(Annotation.objects.all(), base_url=BASE))
    assert written.encode() == expected
    assert _api(lead) == expected


@pytest.mark.parametrize(
    "query", ["collection=desk", "origin=suggestion", "is_final=true", "label=nothing-such"]
)
def test_filtered_w3c_equals_python(lead, w3c_corpus, query):
    from annotator.api.filters import AnnotationFilter

    filtered = AnnotationFilter(dict([query.split("=")]), queryset=Annotation.objects.all()).qs
    assert _api(lead, query) == _python(filtered)


@pytest.mark.parametrize("chunk_size", [1, 2, 5000])
def test_w3c_batches_carry_their_claims_and_texts(lead, w3c_corpus, chunk_size, monkeypatch):
    """Any batch size gives the same bytes, in pieces of at most PIECE items; each batch
    costs the same few queries."""
    monkeypatch.setattr(export_w3c, "PIECE", 3)
    with CaptureQueriesContext(connection) as queries:
        written = "".join(
            export_w3c.w3c_text_lines(
                Annotation.objects.all(), base_url=BASE, chunk_size=chunk_size
            )
        )
    assert written.encode() == _python()
    pieces = list(
        export_w3c.w3c_text_lines(Annotation.objects.all(), base_url=BASE, chunk_size=chunk_size)
    )
    item = '{"id": "' + BASE + "/api/annotations/"
    assert max(piece.count(item) for piece in pieces) == min(3, chunk_size)
    batches = -(-Annotation.objects.count() // chunk_size) + (chunk_size == 1)
    assert len(queries) <= 5 * batches


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.parametrize(("segment", "texts"), [(1, 9), (2, 9), (5000, 9), (5000, 1)])
def test_copied_w3c_segments_carry_their_claims_and_texts(w3c_corpus, monkeypatch, segment, texts):
    """PostgreSQL's COPY path gives the same bytes at any segment size (a COPY each), its
    lines completed with the quotes' context, scores and claims; a segment ends where it
    would need more than SEGMENT_TEXTS texts."""
    monkeypatch.setattr(export_w3c, "SEGMENT", segment)
    monkeypatch.setattr(export_w3c, "SEGMENT_TEXTS", texts)
    with CaptureQueriesContext(connection) as queries:
        written = "".join(export_w3c.w3c_copy_lines(Annotation.objects.all(), base_url=BASE))
    assert written.encode() == _python()
    copies = [q for q in queries.captured_queries if q["sql"].startswith("COPY")]
    if texts == 1:  # one COPY per run of annotations on the same text
        pairs = list(Annotation.objects.order_by("id").values_list("document_id", "revision"))
        runs = 1 + sum(a != b for a, b in zip(pairs, pairs[1:], strict=False))
        assert len(copies) == runs > 3
    else:
        assert len(copies) == -(-Annotation.objects.count() // segment)
    page = json.loads(written)
    assert page["items"] and all(
        item["target"]["selector"][1]["prefix"] is not None for item in page["items"]
    )


def test_w3c_of_nothing_is_an_empty_page(lead):
    assert (
        _api(lead)
        == _python()
        == b'{"@context": "%s", "type": "AnnotationPage", ' % (exports.W3C_CONTEXT.encode())
        + b'"items": [\n]}\n'
    )


def test_w3c_base_url_is_escaped_as_json():
    base = 'http://h%x/"q"'
    page = json.loads("".join(export_w3c.w3c_text_lines(Annotation.objects.none(), base_url=base)))
    assert page["items"] == []
    head, _ = export_w3c.w3c_item_expressions(base)
    AnnotationFactory()
    text = Annotation.objects.annotate(h=head).values_list("h", flat=True).get()
    assert text.startswith('{"id": "http://h%x/\\"q\\"/api/annotations/')


def test_documents_without_revision_rows_still_export(lead):
    """A document whose text has no stored revision row (older data) anchors on its text."""
    document = DocumentFactory(collection=CollectionFactory(slug="old"))
    AnnotationFactory(document=document, start=0, end=6)
    Document.objects.filter(pk=document.pk).update(revision=3)
    Annotation.objects.update(revision=3)
    assert _api(lead) == _python()
    assert exports.database_writes_json() == (connection.vendor in {"postgresql", "sqlite"})


def test_filtered_exports_start_at_their_first_id(lead, django_assert_num_queries):
    """A filter's rows at the end of the table: on PostgreSQL the id-order scan is bounded by
    their first and last id (one query); no filter, no query; nothing matching, nothing."""
    early = DocumentFactory(collection=CollectionFactory(slug="early"))
    late = DocumentFactory(collection=CollectionFactory(slug="late"))
    for start in range(5):
        AnnotationFactory(document=early, start=start, end=start + 2)
    wanted = [AnnotationFactory(document=late, start=s, end=s + 2).pk for s in range(3)]
    AnnotationFactory(document=early, start=9, end=11)
    late_only = Annotation.objects.filter(document__collection__slug="late")
    postgresql = connection.vendor == "postgresql"  # SQLite passes the rows faster
    with django_assert_num_queries(int(postgresql)):
        bounded = keyset.within_id_range(late_only)
    assert list(bounded.order_by("id").values_list("id", flat=True)) == wanted
    assert (f">= {wanted[0]}" in str(bounded.query)) == postgresql
    with django_assert_num_queries(0):
        keyset.within_id_range(Annotation.objects.all())
    nothing = keyset.within_id_range(Annotation.objects.filter(document__collection__slug="x"))
    assert not nothing.exists()
    for fmt in ("jsonl", "csv", "w3c"):
        response = api_for(lead).get(f"/api/export/annotations/?format={fmt}&collection=late")
        text = b"".join(response.streaming_content).decode()
        assert sum(f"annotations/{pk}/" in text or f"{pk}," in text for pk in wanted) == 3
