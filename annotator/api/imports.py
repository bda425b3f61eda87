"""Import of the JSONL annotation export: all records checked first, then written at once.
Matching and creation rules (also in README):
- a record's document is found by `document_sha256` (the first document with that text), or
  by `document_id` when the record carries no sha256; when no document matches and the record
  carries `document_text` (export with include_text=1), the document is created in
  `document_collection` (default "imported") with the exported title and source URL;
- `created_by` is matched by username; unknown users are created as inactive placeholders
  (no usable password, no role) so authorship survives; an admin may activate them later;
- `created_at`/`updated_at`, origin, is_final, note, evidence URL and label are kept; a record
  from a suggestion gets an accepted Suggestion carrying its score and suggester;
- `adjudicated_from` (the reviewers' annotation ids a final one was decided from) is mapped
  through the records' exported `id`s to the new ids; an id not in the file is kept only if
  it names a reviewer's annotation on the same document here;
- a record equal to an existing annotation (document, start, end, label, author) is skipped;
- any bad record (reported with its line number) means nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime

from annotator.annotations.services import evidence_url_check, span_check
from annotator.api.import_writes import ImportResult, rows_write
from annotator.api.parsers import json_loads_bounded
from annotator.claims.transfer import claim_check
from annotator.models import (
    Label,
    Origin,
)
from corpus.models import Collection, Document, normalize_newlines, text_sha256

MAX_ERRORS = 100


class ImportErrors(Exception):
    """Bad records, by line number; nothing was imported."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} bad record(s); nothing was imported.")


def _messages(exc: ValidationError) -> dict[str, list[str]] | list[str]:
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


def _text(record: dict, name: str, required: bool = False) -> str:
    value = record.get(name)
    if value is None:
        if required:
            raise ValidationError({name: "This field is required."})
        return ""
    if not isinstance(value, str):
        raise ValidationError({name: "Must be a string."})
    if "\x00" in value:
        raise ValidationError({name: "Must not contain NUL characters."})
    return value


def _when(record: dict, name: str):
    value = record.get(name)
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible, e.g. 2024-02-30
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError({name: f"{value!r} is not an ISO 8601 date-time with a timezone."})
    return parsed


class Importer:
    def __init__(self, collection: str = "", username: str = "") -> None:
        self.collection, self.username = collection, username
        self.labels = {label.slug: label for label in Label.objects.all()}
        self.documents_by_sha: dict[str, Document] = {}
        self.documents_by_id: dict[int, Document | None] = {}
        self.new_documents: dict[str, Document] = {}  # sha256 -> unsaved document
        self.collections: dict[str, Collection | str] = {}
        self.usernames: set[str] = set()
        self.rows: list[dict[str, Any]] = []

    def document_for(self, record: dict) -> Document:
        sha = _text(record, "document_sha256")
        text = record.get("document_text")
        if text is not None and (not isinstance(text, str) or "\x00" in text or not text.strip()):
            raise ValidationError({"document_text": "Must be a non-empty string without NUL."})
        if text is not None:
            text = normalize_newlines(text)
            if sha and text_sha256(text) != sha:
                raise ValidationError({"document_text": "Does not match document_sha256."})
            sha = sha or text_sha256(text)
        if sha:
            if sha not in self.documents_by_sha:
                found = Document.objects.filter(sha256=sha).order_by("id").first()
                if found is not None:
                    self.documents_by_sha[sha] = found
            if sha in self.documents_by_sha:
                return self.documents_by_sha[sha]
            if sha in self.new_documents:
                return self.new_documents[sha]
            if text is None:
                raise ValidationError(
                    {
                        "document_sha256": f"No document has this text ({sha[:12]}…); export "
                        "with include_text=1 so the import can create it."
                    }
                )
            return self.document_new(record, text)
        document_id = record.get("document_id")
        if isinstance(document_id, bool) or not isinstance(document_id, int):
            raise ValidationError(
                {"document_id": "Give document_sha256 or an integer document_id."}
            )
        if document_id not in self.documents_by_id:
            self.documents_by_id[document_id] = Document.objects.filter(pk=document_id).first()
        found = self.documents_by_id[document_id]
        if found is None:
            raise ValidationError({"document_id": f"Unknown document {document_id}."})
        return found

    def document_new(self, record: dict, text: str) -> Document:
        slug = _text(record, "document_collection") or self.collection or "imported"
        title = _text(record, "document_title") or text.strip().splitlines()[0][:500]
        document = Document(
            title=title[:500],
            text=text,
            source_url=_text(record, "document_source_url"),
            sha256=text_sha256(text),
            metadata={"imported_from": "annotation export"},
        )
        document._collection_slug = slug
        self.new_documents[document.sha256] = document
        return document

    def check(self, record: Any) -> None:
        if not isinstance(record, dict):
            raise ValidationError("A record must be a JSON object.")
        if "spans" in record and "text" in record and "start" not in record:
            self.check_gold(record)
            return
        document = self.document_for(record)
        start, end = record.get("start"), record.get("end")
        quote = record.get("quote")
        if quote is not None and not isinstance(quote, str):
            raise ValidationError({"quote": "Must be a string."})
        quote = span_check(document=document, start=start, end=end, quote=quote)
        label = self.labels.get(_text(record, "label", required=True))
        if label is None:
            raise ValidationError({"label": f"Unknown label {record['label']!r}."})
        username = _text(record, "created_by", required=True).strip()
        if not username or len(username) > 150:
            raise ValidationError({"created_by": "A username of 1 to 150 characters is needed."})
        origin = record.get("origin") or Origin.MANUAL
        if origin not in Origin.values:
            raise ValidationError({"origin": f"Unknown origin {origin!r}."})
        is_final = record.get("is_final", False)
        if not isinstance(is_final, bool):
            raise ValidationError({"is_final": "Must be true or false."})
        sources = record.get("adjudicated_from") or []
        if not isinstance(sources, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in sources
        ):
            raise ValidationError({"adjudicated_from": "Must be a list of annotation ids."})
        exported_id = record.get("id")
        if isinstance(exported_id, bool) or not isinstance(exported_id, int | None):
            raise ValidationError({"id": "Must be an integer."})
        score = record.get("suggestion_score")
        if score is not None and (
            isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1
        ):
            raise ValidationError({"suggestion_score": "Must be a number from 0 to 1."})
        self.usernames.add(username)
        self.rows.append(
            {
                "document": document,
                "start": start,
                "end": end,
                "quote": quote,
                "label": label,
                "note": _text(record, "note"),
                "evidence_url": evidence_url_check(_text(record, "evidence_url")),
                "username": username,
                "created_at": _when(record, "created_at"),
                "updated_at": _when(record, "updated_at"),
                "origin": origin,
                "is_final": is_final,
                "suggestion_score": score,
                "suggester": _text(record, "suggester"),
                "exported_id": exported_id,
                "adjudicated_from": sources,
                "claim": claim_check(self, record),
            }
        )

    def check_gold(self, record: dict) -> None:
        """A gold-format document (as evaluate_suggestions reads): {title, text, spans}."""
        if not self.username:
            raise ValidationError(
                {"created_by": "Gold-format records need the annotator's username (--as)."}
            )
        spans = record["spans"]
        if not isinstance(spans, list):
            raise ValidationError({"spans": "Must be a list."})
        document = {
            "document_text": record["text"],
            "document_title": record.get("title") or "",
            "document_collection": self.collection,
        }
        self.document_for(document)
        for index, span in enumerate(spans):
            if not isinstance(span, dict):
                raise ValidationError({"spans": f"Span {index} must be an object."})
            try:
                self.check(
                    {
                        **document,
                        "start": span.get("start"),
                        "end": span.get("end"),
                        "label": span.get("label"),
                        "created_by": self.username,
                    }
                )
            except ValidationError as exc:
                raise ValidationError(
                    {"spans": [f"Span {index}: {m}" for m in exc.messages]}
                ) from None


def annotations_import(
    *, lines: Iterable[str | bytes], collection: str = "", username: str = ""
) -> ImportResult:
    """Import JSONL export records, or gold-format documents ({title, text, spans}, by
    `username`, new documents in `collection`); raise ImportErrors (by line) and write
    nothing if any is bad."""
    importer = Importer(collection=collection, username=username)
    errors: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError:
                errors.append({"line": number, "errors": ["Not UTF-8 text."]})
                continue
        if not line.strip():
            continue
        try:
            record = json_loads_bounded(line)
        except ValueError as exc:
            errors.append({"line": number, "errors": [f"Not valid JSON: {exc}."]})
        else:
            try:
                importer.check(record)
            except ValidationError as exc:
                errors.append({"line": number, "errors": _messages(exc)})
        if len(errors) >= MAX_ERRORS:
            errors.append({"line": number, "errors": ["Too many errors; stopped here."]})
            break
    if not errors and not importer.rows and not importer.new_documents:
        errors.append({"line": 0, "errors": ["No records found."]})
    if errors:
        raise ImportErrors(errors)
    result = ImportResult()
    with transaction.atomic():
        rows_write(
            rows=importer.rows,
            new_documents=importer.new_documents,
            documents_by_sha=importer.documents_by_sha,
            usernames=importer.usernames,
            result=result,
        )
    return result
