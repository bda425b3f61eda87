"""Annotation records for exports, shared by the admin actions and the API."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from .models import Annotation

EXPORT_FIELDS = [
    "id",
    "document_id",
    "document_title",
    "document_source_url",
    "document_sha256",
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
]


def export_queryset(annotations: QuerySet[Annotation]) -> QuerySet[Annotation]:
    return annotations.select_related("document", "label", "created_by", "suggestion").order_by(
        "document_id", "start", "end", "id"
    )


def annotation_record(annotation: Annotation) -> dict[str, Any]:
    document = annotation.document
    suggestion = annotation.suggestion
    return {
        "id": annotation.pk,
        "document_id": document.pk,
        "document_title": document.title,
        "document_source_url": document.source_url,
        "document_sha256": document.sha256,
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
    }


def iter_records(annotations: QuerySet[Annotation], chunk_size: int = 2000) -> Iterator[dict]:
    for annotation in export_queryset(annotations).iterator(chunk_size=chunk_size):
        yield annotation_record(annotation)


def jsonl_lines(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def csv_lines(records: Iterable[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow(record)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
