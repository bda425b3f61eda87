"""The one write path for new documents: the API's list POST, the leads' file upload and
`manage.py import_documents` all check a batch of records first, then write it in bulk.

1. `records_check` cleans every record (corpus.services.document_clean_fields) and raises
   BatchInvalid naming each bad record (its index or line) and field: nothing is written.
2. `batch_write` writes the batch in one transaction with a constant number of queries: the
   documents, their first revisions and their history rows in bulk, then `documents_created`
   once per collection (the annotator records `document.imported` events in bulk and queues
   one suggestion run for the batch).

Duplicates keep their meaning: a text already in the collection (or earlier in the batch) is
reported as the existing document; a known external id with a new text becomes a revision of
that document (the few such records take the one-by-one path after the bulk insert).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from .models import Collection, Document, DocumentRevision, RevisionSource, text_sha256
from .services import collection_get_or_create, document_clean_fields, document_create
from .signals import documents_created

# At most this many errors are reported for one batch (the rest are counted).
MAX_ERRORS = 50
# A race with another import of the same text: the batch is tried again this many times.
WRITE_ATTEMPTS = 3


class BatchInvalid(ValidationError):
    """Some records of a batch are invalid: `errors` maps each one's key (index or line) to
    {field: [messages]}; nothing of the batch was written."""

    def __init__(self, errors: dict[Hashable, dict[str, list[str]]], more: int = 0) -> None:
        self.errors, self.more = errors, more
        super().__init__(
            "; ".join(f"{key}: {_fields_text(fields)}" for key, fields in errors.items())
        )


def _fields_text(fields: dict[str, list[str]]) -> str:
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())


@dataclass
class Record:
    """One checked record: its key (index or line), collection slug and cleaned fields."""

    key: Hashable
    collection: str
    fields: dict[str, Any]
    sha256: str = ""

    def __post_init__(self) -> None:
        self.sha256 = self.sha256 or text_sha256(self.fields["text"])


@dataclass
class BatchResult:
    created: list[Document] = field(default_factory=list)
    duplicates: list[Document] = field(default_factory=list)
    revised: list[Document] = field(default_factory=list)


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def records_check(
    records: Iterable[tuple[Hashable, dict[str, Any]]], *, collection: str | None = None
) -> list[Record]:
    """Clean every record; raise BatchInvalid for all bad ones (up to MAX_ERRORS) at once.

    Each record may name its collection (`collection`: a slug) unless `collection` is given.
    """
    checked: list[Record] = []
    errors: dict[Hashable, dict[str, list[str]]] = {}
    more = 0
    for key, data in records:
        data = dict(data)
        slug = collection if collection is not None else data.pop("collection", None) or "default"
        try:
            if not isinstance(slug, str) or not slugify(slug):
                raise ValidationError({"collection": "A collection slug of letters, digits or -."})
            checked.append(Record(key, slugify(slug), document_clean_fields(data)))
        except ValidationError as exc:
            if len(errors) < MAX_ERRORS:
                errors[key] = _messages(exc)
            else:
                more += 1
    if errors:
        raise BatchInvalid(errors, more)
    return checked


def batch_write(*, records: list[Record], imported_by=None) -> BatchResult:
    """Write checked records in one transaction; the documents created, duplicates and revised
    ones are returned in the records' order (text deferred for the existing ones)."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _batch_write(records, imported_by)
        except IntegrityError:
            # Another import wrote one of these texts meanwhile: read again and retry.
            if attempt == WRITE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _batch_write(records: list[Record], imported_by) -> BatchResult:
    result = BatchResult()
    by_collection: dict[str, list[Record]] = {}
    for record in records:
        by_collection.setdefault(record.collection, []).append(record)
    for slug, group in by_collection.items():
        collection = collection_get_or_create(slug=slug)
        created = _collection_write(collection, group, imported_by, result)
        if created:
            documents_created.send(
                sender=Collection, document_ids=[d.pk for d in created], collection=collection
            )
    return result


def _collection_write(
    collection: Collection, records: list[Record], imported_by, result: BatchResult
) -> list[Document]:
    """Bulk-insert the records new to `collection`; returns the documents created."""
    # No ordering: ordered by id, SQLite walks the collection's index instead of the unique
    # one (a scan of the whole collection per batch); the exclude repeats the condition of
    # the external ids' partial index, so it can be used.
    documents = Document.objects.filter(collection=collection).defer("text").order_by()
    shas = {r.sha256 for r in records}
    known_text = {d.sha256: d for d in documents.filter(sha256__in=shas)}
    external_ids = {r.fields["external_id"] for r in records if r.fields["external_id"]}
    known_ids = (
        {
            d.external_id: d
            for d in documents.filter(external_id__in=external_ids).exclude(external_id="")
        }
        if external_ids
        else {}
    )
    new: list[Document] = []
    later: list[Record] = []  # a new text for a known external id: a revision, one by one
    for record in records:
        external_id = record.fields["external_id"]
        same_id = known_ids.get(external_id) if external_id else None
        if same_id is not None and same_id.sha256 != record.sha256:
            later.append(record)
        elif same_id is not None or record.sha256 in known_text:
            result.duplicates.append(same_id or known_text[record.sha256])
        else:
            document = Document(
                collection=collection,
                imported_by=imported_by,
                sha256=record.sha256,
                revision=1,
                **record.fields,
            )
            new.append(document)
            known_text[record.sha256] = document
            if external_id:
                known_ids[external_id] = document
    _documents_insert(new, imported_by)
    result.created.extend(new)
    for record in later:
        outcome = document_create(collection=collection, imported_by=imported_by, **record.fields)
        (result.revised if outcome.revised else result.duplicates).append(outcome.document)
    return new


def _documents_insert(documents: list[Document], imported_by) -> None:
    """The documents, their first revisions and history rows: three bulk inserts (in
    statements as large as the database takes, see corpus/apps.py)."""
    if not documents:
        return
    Document.objects.bulk_create(documents)
    DocumentRevision.objects.bulk_create(
        DocumentRevision(
            document_id=d.pk,
            number=1,
            text=d.text,
            sha256=d.sha256,
            source=RevisionSource.IMPORT,
            created_by=imported_by,
        )
        for d in documents
    )
    Document.history.bulk_history_create(documents, default_user=imported_by)
    for document in documents:
        document._stored_sha256 = document.sha256
