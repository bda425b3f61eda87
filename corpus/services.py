"""Writes on documents: creation and updates; a new text becomes a new revision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify

from .models import Collection, Document, RevisionSource, normalize_newlines, text_sha256

DOCUMENT_FIELDS = (
    "title",
    "text",
    "source_url",
    "publisher",
    "author",
    "published_at",
    "language",
    "metadata",
    "external_id",
)


def collection_get_or_create(*, slug: str, name: str = "") -> Collection:
    slug = slugify(slug)
    if not slug:
        raise ValidationError({"collection": "A collection needs a slug of letters, digits or -."})
    collection, _ = Collection.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
    )
    return collection


def _parse_published_at(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value
    text = str(value).strip()
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            day = parse_date(text)
            if day is not None:
                parsed = dt.datetime.combine(day, dt.time())
    except ValueError:  # well-formed but impossible, e.g. 2024-02-30
        parsed = None
    if parsed is None:
        raise ValidationError({"published_at": f"{value!r} is not an ISO date or date-time."})
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def document_clean_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the fields of a document given as a dict; raise naming the field."""
    unknown = set(data) - set(DOCUMENT_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    text = data.get("text")
    if not isinstance(text, str):
        raise ValidationError({"text": "Text is required and must be a string."})
    text = normalize_newlines(text)
    if not text.strip():
        raise ValidationError({"text": "Text is empty."})
    if len(text) > settings.MAX_DOCUMENT_CHARS:
        raise ValidationError(
            {
                "text": f"Text has {len(text)} characters; the limit is {settings.MAX_DOCUMENT_CHARS}."
            }
        )
    title = data.get("title") or ""
    if not isinstance(title, str):
        raise ValidationError({"title": "Title must be a string."})
    title = title.strip() or first_line_title(text)
    cleaned: dict[str, Any] = {"title": title[:500], "text": text}
    for name in ("source_url", "publisher", "author", "language", "external_id"):
        value = data.get(name) or ""
        if not isinstance(value, str):
            raise ValidationError({name: f"{name} must be a string."})
        cleaned[name] = value.strip()
    if cleaned["source_url"]:
        try:
            URLValidator(schemes=["http", "https"])(cleaned["source_url"])
        except ValidationError:
            raise ValidationError({"source_url": "Enter an http or https URL."}) from None
    cleaned["language"] = cleaned["language"] or "en"
    cleaned["external_id"] = cleaned["external_id"][:300]
    cleaned["published_at"] = _parse_published_at(data.get("published_at"))
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValidationError({"metadata": "Metadata must be a JSON object."})
    cleaned["metadata"] = metadata
    return cleaned


def first_line_title(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:500]
    return "Untitled"


@dataclass
class DocumentResult:
    document: Document
    created: bool
    revised: bool = False


@dataclass
class CreatedDocuments:
    created: list[Document] = field(default_factory=list)
    duplicates: list[Document] = field(default_factory=list)


def document_create(*, collection: Collection, imported_by=None, **fields: Any) -> DocumentResult:
    """Create a document, or return the existing one with the same text in the collection."""
    cleaned = document_clean_fields(fields)
    if cleaned["external_id"]:
        # the exclude repeats the unique index's condition, so SQLite uses that index
        known = (
            Document.objects.filter(collection=collection, external_id=cleaned["external_id"])
            .exclude(external_id="")
            .first()
        )
        if known is not None:
            return _document_reimport(document=known, cleaned=cleaned, by=imported_by)
    existing = Document.objects.filter(
        collection=collection, sha256=text_sha256(cleaned["text"])
    ).first()
    if existing is not None:
        return DocumentResult(existing, created=False)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                collection=collection, imported_by=imported_by, **cleaned
            )
    except IntegrityError:
        # Another process imported the same text at the same moment.
        existing = Document.objects.get(collection=collection, sha256=text_sha256(cleaned["text"]))
        return DocumentResult(existing, created=False)
    return DocumentResult(document, created=True)


def _document_reimport(*, document: Document, cleaned: dict, by) -> DocumentResult:
    """The same external id again: its new text becomes a revision, never a second document."""
    if text_sha256(cleaned["text"]) == document.sha256:
        return DocumentResult(document, created=False)
    document = document_update(
        document=document, revision_source=RevisionSource.IMPORT, revised_by=by, **cleaned
    )
    return DocumentResult(document, created=False, revised=True)


def document_update(
    *,
    document: Document,
    revision_source: str = RevisionSource.EDIT,
    revised_by=None,
    revision_url: str = "",
    **fields: Any,
) -> Document:
    """Change a document's fields; a new text becomes its next revision."""
    with transaction.atomic():
        # One change at a time per document, made to what is stored, not to a stale copy.
        Document.objects.select_for_update().filter(pk=document.pk).first()
        document.refresh_from_db()
        document._stored_sha256 = document.sha256
        merged = {name: getattr(document, name) for name in DOCUMENT_FIELDS}
        merged.update(fields)
        cleaned = document_clean_fields(merged)
        if text_sha256(cleaned["text"]) != document.sha256:
            taken = (
                Document.objects.filter(
                    collection_id=document.collection_id, sha256=text_sha256(cleaned["text"])
                )
                .exclude(pk=document.pk)
                .first()
            )
            if taken is not None:
                raise ValidationError(
                    {"text": f"Document {taken.pk} of this collection already has this text."}
                )
        for name, value in cleaned.items():
            setattr(document, name, value)
        document.revision_source = revision_source
        document.revision_by = revised_by
        document.revision_url = revision_url
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError:
            raise ValidationError(
                {"external_id": "Another document of this collection has this external id."}
            ) from None
    return document
