"""Import by URL and re-check: each URL is a DocumentFetch, fetched by a task with the one
safe fetcher (corpus/fetching.py); the page is kept as a WARC on the revision it made.

A URL already imported into the collection is not fetched again as a new document; a
re-check records a revision only if the extracted text changed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import fetching
from .models import (
    Collection,
    Document,
    DocumentFetch,
    DocumentRevision,
    FetchStatus,
    RevisionSource,
    text_sha256,
)
from .services import _parse_published_at, document_create, document_update
from .signals import documents_created, fetches_requested

MAX_URLS = 50
ACTIVE = (FetchStatus.QUEUED, FetchStatus.RUNNING)


def urls_clean(urls: list[str] | str) -> list[str]:
    """One URL a line (or a list); each http(s) and allowed by the fetcher; raise naming it."""
    if isinstance(urls, str):
        urls = urls.split()
    cleaned: list[str] = []
    for url in urls:
        url = str(url).strip()
        if not url or url in cleaned:
            continue
        try:
            URLValidator(schemes=["http", "https"])(url)
            fetching.url_check(url)
        except ValidationError:
            raise ValidationError({"urls": f"{url[:200]} is not an http or https URL."}) from None
        except fetching.FetchError as exc:
            raise ValidationError({"urls": f"{url[:200]}: {exc}"}) from None
        cleaned.append(url)
    if not cleaned:
        raise ValidationError({"urls": "Give at least one URL."})
    if len(cleaned) > MAX_URLS:
        raise ValidationError({"urls": f"At most {MAX_URLS} URLs at a time."})
    return cleaned


def _document_for_url(collection_id: int, url: str) -> Document | None:
    return (
        Document.objects.filter(collection_id=collection_id)
        .filter(Q(source_url=url) | Q(fetches__url=url, fetches__status=FetchStatus.CREATED))
        .order_by("pk")
        .first()
    )


@transaction.atomic
def url_import_request(*, urls: list[str] | str, collection: Collection, user=None):
    """Queue a fetch per new URL; a URL already imported (or being fetched) is not again."""
    fetches = []
    for url in urls_clean(urls):
        active = DocumentFetch.objects.filter(
            collection=collection, url=url, status__in=ACTIVE
        ).first()
        if active is not None:
            fetches.append(active)
            continue
        known = _document_for_url(collection.pk, url)
        status = FetchStatus.DUPLICATE if known else FetchStatus.QUEUED
        fetches.append(
            DocumentFetch.objects.create(
                url=url,
                collection=collection,
                document=known,
                status=status,
                created_by=user,
                finished_at=timezone.now() if known else None,
            )
        )
    _queue([f for f in fetches if f.status == FetchStatus.QUEUED])
    return fetches


@transaction.atomic
def document_recheck_request(*, document: Document, user=None) -> DocumentFetch:
    """Fetch a URL document's page again; a revision is recorded only if its text changed."""
    if not document.source_url:
        raise ValidationError({"source_url": "This document has no URL to check again."})
    active = DocumentFetch.objects.filter(document=document, status__in=ACTIVE).first()
    if active is not None:
        return active
    fetch = DocumentFetch.objects.create(
        url=document.source_url,
        collection_id=document.collection_id,
        document=document,
        created_by=user,
    )
    _queue([fetch])
    return fetch


def documents_recheck_request(*, collection: Collection | None = None) -> list[DocumentFetch]:
    """Re-check every URL document (of a collection): the periodic schedule's body."""
    documents = Document.objects.exclude(source_url="").only("pk", "source_url", "collection_id")
    if collection is not None:
        documents = documents.filter(collection=collection)
    return [document_recheck_request(document=d) for d in documents.iterator()]


def _queue(fetches: list[DocumentFetch]) -> None:
    if fetches:
        fetches_requested.send(sender=DocumentFetch, fetch_ids=[f.pk for f in fetches])


def _finish(fetch: DocumentFetch, status: str, error: str = "", **fields) -> DocumentFetch:
    fetch.status, fetch.error, fetch.finished_at = status, error[:2000], timezone.now()
    for name, value in fields.items():
        setattr(fetch, name, value)
    fetch.save()
    return fetch


def document_fetch_run(*, fetch_id: int) -> DocumentFetch | None:
    """The task's body: fetch, extract, then create the document or its next revision.

    Safe to run twice: a fetch that already finished is left alone.
    """
    with transaction.atomic():
        fetch = DocumentFetch.objects.select_for_update().filter(pk=fetch_id).first()
        if fetch is None or fetch.finished:
            return fetch
        fetch.status = FetchStatus.RUNNING
        fetch.save(update_fields=["status"])
    try:
        fetched = fetching.fetch(fetch.url)
        if fetched.status >= 400:
            raise fetching.FetchError(f"The page answered HTTP {fetched.status}.")
        extracted = fetching.extract(fetched)
    except fetching.FetchError as exc:
        return _finish(fetch, FetchStatus.FAILED, str(exc))
    if not extracted.text.strip():
        return _finish(fetch, FetchStatus.FAILED, "No article text was found on the page.")
    try:
        with transaction.atomic():
            return _store(fetch, fetched, extracted)
    except ValidationError as exc:
        return _finish(fetch, FetchStatus.FAILED, " ".join(exc.messages))


def _store(fetch: DocumentFetch, fetched: fetching.Fetched, extracted) -> DocumentFetch:
    document = fetch.document or _document_for_url(fetch.collection_id, fetch.url)
    if document is not None:
        document = Document.objects.select_for_update().get(pk=document.pk)
        if text_sha256(extracted.text.replace("\r\n", "\n")) == document.sha256:
            return _finish(fetch, FetchStatus.UNCHANGED, document=document)
        document = document_update(
            document=document,
            text=extracted.text,
            revision_source=RevisionSource.FETCH,
            revised_by=fetch.created_by,
            revision_url=fetched.final_url,
        )
        revision = document.revisions.get(number=document.revision)
        DocumentRevision.objects.filter(pk=revision.pk).update(warc=fetched.warc())
        return _finish(fetch, FetchStatus.REVISED, document=document, revision=revision)
    result = document_create(
        collection=fetch.collection,
        imported_by=fetch.created_by,
        text=extracted.text,
        title=extracted.title,
        author=extracted.author[:200],
        source_url=fetch.url,
        published_at=_published_at(extracted.date),
        metadata={"fetched_url": fetched.final_url, "fetched_at": fetched.fetched_at.isoformat()},
    )
    if not result.created:
        return _finish(fetch, FetchStatus.DUPLICATE, document=result.document)
    revision = result.document.revisions.get(number=1)
    DocumentRevision.objects.filter(pk=revision.pk).update(
        source=RevisionSource.FETCH, source_url=fetched.final_url, warc=fetched.warc()
    )
    documents_created.send(
        sender=Collection, document_ids=[result.document.pk], collection=fetch.collection
    )
    return _finish(fetch, FetchStatus.CREATED, document=result.document, revision=revision)


def _published_at(value: str):
    try:
        return _parse_published_at(value)
    except ValidationError:
        return None


def fetches_wait(*, fetch_ids: list[int], seconds: float = 0) -> list[DocumentFetch]:
    """The fetches, re-read until all finished or `seconds` passed (for commands)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        fetches = list(DocumentFetch.objects.filter(pk__in=fetch_ids).order_by("pk"))
        if time.monotonic() >= deadline or all(f.finished for f in fetches):
            return fetches
        time.sleep(0.5)
