"""Exports that start at once (issue 18): PostgreSQL writes JSONL, JSON and CSV through
COPY ... TO STDOUT and must say exactly what the generic path says; every format streams
(the first chunk leaves before the query is read to its end) in a constant number of queries."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotator.api import export_sql, exports
from annotator.claims.transfer import with_claims
from annotator.claims.verdicts import verdict_save, verdict_transition
from annotator.models import Annotation, Evidence, Origin
from tests.factories import (
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    api_for,
    label,
)

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY ... TO STDOUT is PostgreSQL's"
)

TRICKY = 'Line "one"\nline\ttwo, \\ back\x01slash – Café 😀 \u2028 end'


@pytest.fixture
def claims_corpus(reviewer, other_reviewer, lead, emoji_document):
    """Annotations with and without evidence and verdicts, suggestions, finals, formulas,
    control characters, unicode and emoji, in two collections."""
    desk = CollectionFactory(slug="desk")
    plain = DocumentFactory(
        title='=Plain, "quoted"', source_url="https://news.example/plain", collection=desk
    )
    text = emoji_document.text
    start = text.index("Café")
    emoji = AnnotationFactory(
        document=emoji_document,
        start=start,
        end=start + 13,
        created_by=reviewer,
        note=TRICKY,
        evidence_url="https://example.com/é",
    )
    suggestion = SuggestionFactory(document=plain, start=0, end=6, score=0.83, suggester="sourced")
    suggested = AnnotationFactory(
        document=plain,
        start=0,
        end=6,
        created_by=other_reviewer,
        origin=Origin.SUGGESTION,
        suggestion=suggestion,
        label=label("disputed"),
        note="+1 formula",
    )
    final = AnnotationFactory(
        document=plain,
        start=7,
        end=20,
        created_by=lead,
        is_final=True,
        adjudicated_from=[suggested.pk, emoji.pk],
        note="-",
    )
    for start in range(21, 30):
        AnnotationFactory(document=plain, start=start, end=start + 3, created_by=reviewer)
    Evidence.objects.create(
        annotation=emoji,
        created_by=reviewer,
        url="https://origin.example/post",
        stance="origin",
        title="Origin – 😀",
        excerpt=TRICKY,
        published_on=datetime.date(2024, 2, 29),
    )
    Evidence.objects.create(
        annotation=emoji,
        created_by=lead,
        url="https://mayor.example/count",
        title="Mayor's count",
        stance="refutes",
        archive_status="archived",
        archive_sha256="a" * 64,
        archive_http_status=200,
        archived_at=timezone.now().replace(microsecond=0),
        excerpt_found=True,
    )
    Evidence.objects.create(
        annotation=final,
        created_by=lead,
        url="https://third.example/",
        stance="supports",
        archived_at=timezone.now().replace(microsecond=120000),
        excerpt_found=False,
    )
    verdict = verdict_save(
        annotation=emoji,
        user=reviewer,
        rating="Mostly false",
        claim_reviewed="1,200 people – “evacuated” 😀",
        explanation=TRICKY,
        claim_author="The ministry",
        propose=True,
    )
    verdict_transition(verdict=verdict, user=lead, to="published", version=None)
    verdict_save(
        annotation=final, user=lead, rating="Mostly false", claim_reviewed="Draft", propose=True
    )
    Annotation.objects.filter(pk=final.pk).update(
        updated_at=datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    )
    return {"plain": plain, "emoji": emoji, "final": final}


QUERIES = [
    "",
    "collection=desk",
    "label=disputed",
    "is_final=true",
    "origin=suggestion",
    "created_by=rita",
    "updated_since=2025-01-01T00:00:00Z",
    "document={plain}",
]


def _export(user, query: str) -> bytes:
    response = api_for(user).get(f"/api/export/annotations/?{query}")
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def _both_paths(user, query: str, monkeypatch) -> tuple[bytes, bytes]:
    fast = _export(user, query)
    with monkeypatch.context() as patch:
        patch.setattr(export_sql, "copy_available", lambda: False)
        generic = _export(user, query)
    return fast, generic


def _ordered(text: bytes) -> list:
    """Each JSON line with its keys in order (object_pairs_hook keeps them as lists)."""
    lines = text.decode().split("\n")  # not splitlines(): U+2028 stays inside a JSON string
    assert lines.pop() == ""
    return [json.loads(line, object_pairs_hook=list) for line in lines]


def _python_records(query) -> list:
    """The records as Python builds them: the reference for every path."""
    records = with_claims(exports.iter_export_records(query))
    return [json.loads(json.dumps(r, ensure_ascii=False), object_pairs_hook=list) for r in records]


@postgresql_only
@pytest.mark.parametrize("query", QUERIES)
def test_copy_jsonl_equals_generic_path(lead, claims_corpus, monkeypatch, query):
    query = query.format(plain=claims_corpus["plain"].pk)
    fast, generic = _both_paths(lead, "format=jsonl&" + query, monkeypatch)
    assert fast.endswith(b"\n") and b"\n\n" not in fast
    assert _ordered(fast) == _ordered(generic)
    assert fast.decode().count("\n") == len(_ordered(generic))
    if not query:
        assert _ordered(fast) == _python_records(Annotation.objects.all())
        assert len(_ordered(fast)) == 12


@postgresql_only
def test_copy_jsonl_carries_claims_unicode_and_control_characters(lead, claims_corpus):
    records = [json.loads(line) for line in _export(lead, "format=jsonl").split(b"\n")[:-1]]
    emoji = next(r for r in records if r["id"] == claims_corpus["emoji"].pk)
    assert emoji["note"] == TRICKY
    assert [e["stance"] for e in emoji["evidence"]] == ["origin", "refutes"]
    assert emoji["evidence"][0]["excerpt"] == TRICKY
    assert emoji["evidence"][0]["published_on"] == "2024-02-29"
    assert emoji["evidence"][1]["archive"]["excerpt_found"] is True
    assert emoji["verdict"]["state"] == "published" and emoji["verdict"]["published_by"] == "lena"
    final = next(r for r in records if r["id"] == claims_corpus["final"].pk)
    assert final["updated_at"] == "2024-01-02T03:04:05+00:00"
    assert final["evidence"][0]["archive"]["archived_at"].endswith(".120000+00:00")
    assert final["verdict"]["published_at"] is None
    assert sum(1 for r in records if r["evidence"] == [] and r["verdict"] is None) == 10


@postgresql_only
def test_copy_json_array_equals_generic_path(lead, claims_corpus, monkeypatch):
    fast, generic = _both_paths(lead, "format=json", monkeypatch)
    assert json.loads(fast, object_pairs_hook=list) == json.loads(generic, object_pairs_hook=list)
    assert len(json.loads(fast)) == 12
    assert json.loads(_export(lead, "format=json&label=nothing-such")) == []


def _csv_rows(text: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.decode(), newline="")))


@postgresql_only
@pytest.mark.parametrize("query", QUERIES)
def test_copy_csv_equals_generic_path(lead, claims_corpus, monkeypatch, query):
    query = query.format(plain=claims_corpus["plain"].pk)
    fast, generic = _both_paths(lead, "format=csv&" + query, monkeypatch)
    assert _csv_rows(fast) == _csv_rows(generic)
    if not query:
        rows = _csv_rows(fast)
        assert rows[0] == exports.EXPORT_FIELDS and len(rows) == 13
        cells = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
        final = cells[str(claims_corpus["final"].pk)]
        assert final["note"] == "'-" and final["is_final"] == "True"
        assert json.loads(final["adjudicated_from"]) == claims_corpus["final"].adjudicated_from
        assert cells[str(claims_corpus["emoji"].pk)]["note"] == TRICKY


@postgresql_only
def test_reviewer_copy_export_respects_visibility(reviewer, claims_corpus):
    hidden = DocumentFactory(collection=CollectionFactory(slug="hidden", assigned_only=True))
    AnnotationFactory(document=hidden, note="hidden note")
    for fmt in ("jsonl", "csv", "json"):
        text = _export(reviewer, f"format={fmt}")
        assert b"hidden note" not in text
        assert text.count(b"Synthetic") == 0


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "w3c"])
def test_export_query_count_is_constant(lead, claims_corpus, fmt, settings):
    """The same number of queries for 12 annotations and for 112 (both databases)."""
    settings.API_THROTTLE_SYNC_SECONDS = 3600  # the throttle's periodic write is not the export's

    LAST: list = []

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _export(lead, f"format={fmt}")
        copies = [q for q in queries.captured_queries if q["sql"].startswith("COPY")]
        assert len(copies) == (connection.vendor == "postgresql")
        # The throttle's cache writes (a new window each minute) are not the export's.
        LAST[:] = [
            q
            for q in queries.captured_queries
            if "SAVEPOINT" not in q["sql"] and "cache" not in q["sql"]
        ]
        return len(LAST)

    _export(lead, f"format={fmt}")  # warm: the first request also reads what it caches
    small = count()
    for start in range(100):
        AnnotationFactory(
            document=claims_corpus["plain"], start=start, end=start + 2, created_by=lead
        )
    after = count()
    assert after == small, [q["sql"][:120] for q in LAST]
    if connection.vendor == "postgresql" and fmt != "w3c":
        # The user, its roles, COPY (with its settings around it); JSONL and JSON also read
        # the claims of the annotations that have some before COPY.
        assert small <= (7 if fmt in {"jsonl", "json"} else 6)


@postgresql_only
def test_copy_streams_before_the_query_is_read(lead, claims_corpus):
    """The first chunk leaves while COPY is still sending rows."""
    for start in range(300):
        AnnotationFactory(
            document=claims_corpus["plain"], start=start, end=start + 2, created_by=lead
        )
    blocks = export_sql.copy_json_lines(Annotation.objects.all(), size=4096)
    first = next(blocks)
    assert 0 < first.count(b"\n") < 100
    assert connection.connection.pgconn.transaction_status == 1  # ACTIVE: COPY is running
    rest = b"".join(blocks)
    assert (first + rest).count(b"\n") == 312


def test_keyset_export_streams_batch_by_batch(lead, claims_corpus, django_assert_num_queries):
    """Both databases: the generic path reads a batch per query and yields it at once."""
    texts = export_sql.iter_json_texts(Annotation.objects.all(), chunk_size=5)
    with django_assert_num_queries(1):
        first = next(texts)
    assert json.loads(first)["id"] == Annotation.objects.order_by("id").first().pk


def test_jsonl_export_equals_python_records_on_either_database(lead, claims_corpus):
    """What the API sends (COPY on PostgreSQL, keyset batches of database-written JSON with the
    claims spliced in on SQLite) equals the records built in Python, keys in order."""
    assert _ordered(_export(lead, "format=jsonl")) == _python_records(Annotation.objects.all())


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_abandoned_copy_leaves_the_connection_usable(lead, claims_corpus):
    """A client that hangs up mid-export closes the generator: COPY is cancelled and the
    session's settings come back. In autocommit, as a request runs: inside the test's
    transaction a cancel that reaches the server mid-COPY would abort the whole transaction
    (a timing-dependent failure under load), which no request sees."""
    for start in range(300):
        AnnotationFactory(
            document=claims_corpus["plain"], start=start, end=start + 2, created_by=lead
        )
    blocks = export_sql.copy_json_lines(Annotation.objects.all(), size=4096)
    next(blocks)
    blocks.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        jit, work_mem = cursor.fetchone()
    assert work_mem != export_sql.COPY_WORK_MEM and jit in {"on", "off"}
    assert Annotation.objects.count() == 312


@postgresql_only
@pytest.mark.parametrize(("batch", "size"), [(1, 100), (2, 4096), (3, 1)])
def test_copy_jsonl_splices_claims_across_blocks_and_batches(
    lead, claims_corpus, monkeypatch, batch, size
):
    """Claims land in their own lines whether a line opens, ends or fills a block, and when
    the claims take several batches (one COPY per batch's id range)."""
    for start in range(40):
        AnnotationFactory(document=claims_corpus["plain"], start=start, end=start + 2)
    whole = b"".join(export_sql.copy_json_lines(Annotation.objects.all()))
    assert _ordered(whole) == _python_records(Annotation.objects.all())
    with_claims_count = (
        Annotation.objects.filter(evidence__isnull=False).distinct().count()
        + Annotation.objects.filter(verdict__isnull=False, evidence__isnull=True).count()
    )
    assert with_claims_count >= 2
    monkeypatch.setattr(export_sql, "CLAIMS_BATCH", batch)
    with CaptureQueriesContext(connection) as queries:
        pieces = list(export_sql.copy_json_lines(Annotation.objects.all(), size=size))
    assert b"".join(pieces) == whole
    copies = [q for q in queries.captured_queries if q["sql"].startswith("COPY")]
    assert len(copies) == with_claims_count // batch + 1


def test_splice_claims_skips_annotations_deleted_since_the_claims_were_read():
    tail = b', "evidence" : [], "verdict" : null}'
    blocks = [b'{"id" : 1, "a" : 1}\n{"id" : 3, "a" : "}"}\n', b'{"id" : 4, "a" : {}}\n']
    claims = [(1, b"[1]", b"null"), (2, b"[2]", b"null"), (4, b"[]", b'{"s" : 1}')]
    assert b"".join(export_sql._splice_claims(blocks, claims)) == (
        b'{"id" : 1, "a" : 1, "evidence" : [1], "verdict" : null}\n'
        b'{"id" : 3, "a" : "}"' + tail + b"\n"
        b'{"id" : 4, "a" : {}, "evidence" : [], "verdict" : {"s" : 1}}\n'
    )


@postgresql_only
def test_copy_jsonl_lines_are_byte_for_byte_json_build_object(lead, claims_corpus):
    """The concatenated lines say exactly what json_build_object(...)::text says (spacing,
    escapes, unicode, floats, nulls, JSON columns), then the claims."""
    texts = list(export_sql.iter_json_texts(Annotation.objects.all()))
    text = b"".join(export_sql.copy_json_lines(Annotation.objects.all())).decode()
    lines = text.split("\n")[:-1]
    assert len(lines) == len(texts) == 12
    for line, record in zip(lines, texts, strict=True):
        assert line.startswith(record[:-1] + ', "evidence" : '), (line, record)
