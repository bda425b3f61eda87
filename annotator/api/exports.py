"""Annotation records for exports, shared by the admin actions and the API."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connections
from django.db.models import F, Func, QuerySet, TextField

from annotator.api.keyset import keyset_rows
from annotator.claims.transfer import chunks as _chunks
from annotator.claims.transfer import w3c_bodies, with_claims
from annotator.models import Annotation

EXPORT_FIELDS = [
    "id",
    "document_id",
    "document_title",
    "document_source_url",
    "document_sha256",
    "document_collection",
    "start",
    "end",
    "quote",
    "label",
    "note",
    "evidence_url",
    "created_by",
    "created_at",
    "updated_at",
    "origin",
    "is_final",
    "suggestion_score",
    "suggester",
    "adjudicated_from",
    "revision",
    "anchor_state",
]


def export_queryset(annotations: QuerySet[Annotation]) -> QuerySet[Annotation]:
    return annotations.select_related(
        "document__collection", "label", "created_by", "suggestion"
    ).order_by("document_id", "start", "end", "id")


def annotation_record(annotation: Annotation) -> dict[str, Any]:
    document = annotation.document
    suggestion = annotation.suggestion
    return {
        "id": annotation.pk,
        "document_id": document.pk,
        "document_title": document.title,
        "document_source_url": document.source_url,
        "document_sha256": document.sha256,
        "document_collection": document.collection.slug,
        "start": annotation.start,
        "end": annotation.end,
        "quote": annotation.quote,
        "label": annotation.label.slug,
        "note": annotation.note,
        "evidence_url": annotation.evidence_url,
        "created_by": annotation.created_by.get_username(),
        "created_at": annotation.created_at.isoformat(),
        "updated_at": annotation.updated_at.isoformat(),
        "origin": annotation.origin,
        "is_final": annotation.is_final,
        "suggestion_score": suggestion.score if suggestion else None,
        "suggester": suggestion.suggester if suggestion else None,
        "adjudicated_from": annotation.adjudicated_from,
        "revision": annotation.revision,
        "anchor_state": annotation.anchor_state,
    }


def iter_records(annotations: QuerySet[Annotation], chunk_size: int = 2000) -> Iterator[dict]:
    """The same records as annotation_record(), read as tuples (no model instances)."""
    return iter_export_records(annotations, chunk_size=chunk_size)


def jsonl_lines(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; a list
    (adjudicated_from) is written as JSON."""
    if isinstance(value, list):
        return json.dumps(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(
    records: Iterable[dict], fieldnames: list[str] | None = None, rows_per_piece: int = 500
) -> Iterator[str]:
    """CSV text in pieces of `rows_per_piece` rows (the header first on its own)."""
    fieldnames = fieldnames or EXPORT_FIELDS
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fieldnames)
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    held = 0
    for record in records:
        writer.writerow([csv_cell(record.get(key)) for key in fieldnames])
        held += 1
        if held >= rows_per_piece:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            held = 0
    yield buffer.getvalue()


# Fast streaming for the API: rows as tuples (no model instances), text fetched per document.

ROW_FIELDS = (
    "id",
    "document_id",
    "document__title",
    "document__source_url",
    "document__sha256",
    "document__collection__slug",
    "start",
    "end",
    "quote",
    "label__slug",
    "note",
    "evidence_url",
    "created_by__username",
    "created_at",
    "updated_at",
    "origin",
    "is_final",
    "suggestion__score",
    "suggestion__suggester",
    "adjudicated_from",
    "revision",
    "anchor_state",
)


RECORD_KEYS = tuple(EXPORT_FIELDS)


class IsoUtc(Func):
    """A timestamp as Python's isoformat() writes it (microseconds only when not zero)."""

    template = (
        "to_char(%(expressions)s AT TIME ZONE 'UTC', CASE WHEN "
        "mod(date_part('microseconds', %(expressions)s)::bigint, 1000000) = 0 "
        'THEN \'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\' '
        'ELSE \'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\' END)'
    )
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]", isoformat()'s digits.
        template = "replace(%(expressions)s, ' ', 'T') || '+00:00'"
        return super().as_sql(compiler, connection, template=template)


def _iso(value: Any) -> str:
    """Timestamps arrive as isoformat() text where the database writes it (_row_fields)."""
    return value if isinstance(value, str) else value.isoformat()


def _row_fields(queryset: QuerySet) -> tuple[QuerySet, tuple[str, ...]]:
    """ROW_FIELDS with the two timestamps written as isoformat() text by PostgreSQL or SQLite:
    parsing them into datetimes and formatting them back cost a third of the W3C export."""
    if connections[queryset.db].vendor not in {"postgresql", "sqlite"}:
        return queryset, ROW_FIELDS
    queryset = queryset.annotate(
        export_created_at=IsoUtc(F("created_at")), export_updated_at=IsoUtc(F("updated_at"))
    )
    fields = list(ROW_FIELDS)
    fields[13], fields[14] = "export_created_at", "export_updated_at"
    return queryset, tuple(fields)


def _row_record(row: tuple) -> dict[str, Any]:
    return {
        "id": row[0],
        "document_id": row[1],
        "document_title": row[2],
        "document_source_url": row[3],
        "document_sha256": row[4],
        "document_collection": row[5],
        "start": row[6],
        "end": row[7],
        "quote": row[8],
        "label": row[9],
        "note": row[10],
        "evidence_url": row[11],
        "created_by": row[12],
        "created_at": _iso(row[13]),
        "updated_at": _iso(row[14]),
        "origin": row[15],
        "is_final": row[16],
        "suggestion_score": row[17],
        "suggester": row[18],
        "adjudicated_from": row[19],
        "revision": row[20],
        "anchor_state": row[21],
    }


def _text_lookup(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The text each (document, revision) pair's offsets refer to: the document's own text
    for its current revision, the stored revision's otherwise (orphans)."""
    from corpus.models import Document, DocumentRevision

    texts = {
        (pk, revision): text
        for pk, revision, text in Document.objects.filter(id__in={d for d, _ in pairs}).values_list(
            "id", "revision", "text"
        )
    }
    older = pairs - texts.keys()
    if older:
        rows = DocumentRevision.objects.filter(
            document_id__in={d for d, _ in older}, number__in={n for _, n in older}
        ).values_list("document_id", "number", "text")
        texts.update({(d, n): t for d, n, t in rows if (d, n) in older})
    return texts


def database_writes_json() -> bool:
    """PostgreSQL and SQLite write export text themselves (export_sql, export_w3c)."""
    from django.db import connection

    return connection.vendor in {"postgresql", "sqlite"}


def _document_order_rows(queryset: QuerySet, chunk_size: int) -> Iterator[list[tuple]]:
    queryset, fields = _row_fields(queryset)
    rows = (
        queryset.order_by("document_id", "start", "end", "id")
        .values_list(*fields)
        .iterator(chunk_size=chunk_size)
    )
    return _chunks(rows, chunk_size)


def iter_export_records(
    annotations: QuerySet[Annotation],
    *,
    include_text: bool = False,
    chunk_size: int = 5000,
    document_order: bool = False,
) -> Iterator[dict]:
    """Export records in key order (document order on request), read in batches.

    With include_text every record carries `document_text` (fetched once per document,
    in one query per batch of rows).
    """
    if document_order:
        batches = _document_order_rows(annotations, chunk_size)
    else:
        batches = keyset_rows(*_row_fields(annotations), batch_size=chunk_size)
    for batch in batches:
        texts = _text_lookup({(row[1], row[20]) for row in batch}) if include_text else {}
        for row in batch:
            record = _row_record(row)
            if include_text:
                record["document_text"] = texts.get((row[1], row[20]), "")
            yield record


def json_array_lines(records: Iterable[dict]) -> Iterator[str]:
    """A JSON array written piecewise, one record per line."""
    yield "["
    first = True
    for record in records:
        yield ("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]\n"


W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
QUOTE_CONTEXT_CHARS = 32


def w3c_annotation(record: dict, text: str, *, base_url: str = "") -> dict[str, Any]:
    """A W3C Web Annotation (JSON-LD) anchoring the span by position and by quote."""
    start, end = record["start"], record["end"]
    body: list[dict[str, Any]] = [
        {"type": "TextualBody", "purpose": "tagging", "value": record["label"]}
    ]
    if record["note"]:
        body.append(
            {
                "type": "TextualBody",
                "purpose": "commenting",
                "value": record["note"],
                "format": "text/plain",
            }
        )
    if record["evidence_url"]:
        body.append({"id": record["evidence_url"], "type": "Text", "purpose": "linking"})
    body += w3c_bodies(record)
    source = record["document_source_url"] or f"{base_url}/api/documents/{record['document_id']}/"
    annotation: dict[str, Any] = {
        "id": f"{base_url}/api/annotations/{record['id']}/",
        "type": "Annotation",
        "motivation": "tagging",
        "created": record["created_at"],
        "modified": record["updated_at"],
        "creator": {"type": "Person", "nickname": record["created_by"]},
        "body": body,
        "target": {
            "source": source,
            # The document revision the position refers to; the quote re-anchors in any.
            "revision": record["revision"],
            "selector": [
                {"type": "TextPositionSelector", "start": start, "end": end},
                {
                    "type": "TextQuoteSelector",
                    "exact": record["quote"],
                    "prefix": text[max(0, start - QUOTE_CONTEXT_CHARS) : start],
                    "suffix": text[end : end + QUOTE_CONTEXT_CHARS],
                },
            ],
        },
    }
    if record["origin"] == "suggestion":
        annotation["generator"] = {
            "type": "Software",
            "name": record["suggester"],
            "score": record["suggestion_score"],
        }
    return annotation


def w3c_lines(annotations: QuerySet[Annotation], *, base_url: str = "") -> Iterator[str]:
    """A W3C AnnotationPage (JSON-LD) streamed piecewise."""
    yield json.dumps({"@context": W3C_CONTEXT, "type": "AnnotationPage"})[:-1] + ', "items": ['
    first = True
    for record in with_claims(iter_export_records(annotations, include_text=True)):
        text = record.pop("document_text")
        item = w3c_annotation(record, text, base_url=base_url)
        yield ("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def spacy_lines(annotations: QuerySet[Annotation]) -> Iterator[str]:
    """spaCy/Prodigy-style JSONL: one line per document, {"text", "spans", "meta"}.

    Offsets are code points (Python string indices), as spaCy's `doc.char_span` expects.
    """
    current: dict[str, Any] | None = None
    records = iter_export_records(annotations, include_text=True, document_order=True)
    for record in records:
        if record["anchor_state"] == "orphan":
            continue  # its offsets refer to an older text than the one written here
        if current is None or current["meta"]["document_id"] != record["document_id"]:
            if current is not None:
                yield json.dumps(current, ensure_ascii=False) + "\n"
            current = {
                "text": record["document_text"],
                "spans": [],
                "meta": {
                    "document_id": record["document_id"],
                    "title": record["document_title"],
                    "source_url": record["document_source_url"],
                    "sha256": record["document_sha256"],
                },
            }
        current["spans"].append(
            {"start": record["start"], "end": record["end"], "label": record["label"]}
        )
    if current is not None:
        yield json.dumps(current, ensure_ascii=False) + "\n"
