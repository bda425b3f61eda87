"""Keeping a copy of each source: fetch once (the safe fetcher), store the WARC record through
Django's storage, note its sha256, HTTP status and time, and the readable text.

Safe to run twice: an archived item is left alone, and a copy whose URL changed while it was
being fetched is dropped (the change queued its own archiving).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from annotator.models import ArchiveStatus, Evidence
from corpus.fetching import Extracted, Fetched, FetchError, extract, fetch

logger = logging.getLogger(__name__)
_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    """Compare text loosely: case, runs of white space and curly quotes do not matter."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip().casefold()


def excerpt_found(excerpt: str, text: str) -> bool | None:
    """Whether the desk's excerpt is in the archived text; None when there is no excerpt."""
    if not excerpt.strip():
        return None
    return normalise(excerpt) in normalise(text)


def evidence_archive(*, evidence_id: int) -> str:
    """Archive one evidence item; returns its archive status ("" if it is gone)."""
    evidence = Evidence.objects.filter(pk=evidence_id).only("url", "archive_status").first()
    if evidence is None:
        return ""
    if evidence.archive_status != ArchiveStatus.QUEUED:
        return evidence.archive_status
    url = evidence.url
    try:
        fetched = fetch(url)
    except FetchError as exc:
        return _fail(evidence_id, url, str(exc))
    if fetched.status >= 400:
        return _fail(evidence_id, url, f"The server answered HTTP {fetched.status}.")
    return _keep(evidence_id, url, fetched)


def _fail(evidence_id: int, url: str, reason: str) -> str:
    updated = Evidence.objects.filter(
        pk=evidence_id, url=url, archive_status=ArchiveStatus.QUEUED
    ).update(archive_status=ArchiveStatus.FAILED, archive_error=reason[:500])
    logger.info("Archiving evidence %s failed: %s", evidence_id, reason)
    return ArchiveStatus.FAILED if updated else ""


def _keep(evidence_id: int, url: str, fetched: Fetched) -> str:
    extracted = extract(fetched)
    digest = fetched.sha256
    name = default_storage.save(
        f"archives/{evidence_id}/{digest}.warc.gz", ContentFile(fetched.warc())
    )
    with transaction.atomic():
        current = Evidence.objects.select_for_update().filter(pk=evidence_id).first()
        if current is None or current.url != url or current.archive_status != "queued":
            default_storage.delete(name)
            return current.archive_status if current else ""
        current.archive_status = ArchiveStatus.ARCHIVED
        current.archive_error = ""
        current.archive_file = name
        current.archive_sha256 = digest
        current.archive_http_status = fetched.status
        current.archive_final_url = fetched.final_url[:2000]
        current.archived_at = fetched.fetched_at
        current.archive_text = extracted.text
        current.excerpt_found = excerpt_found(current.excerpt, extracted.text)
        _fill_metadata(current, extracted)
        # A save (not update()) so the history keeps the archiving, like any change.
        current.save()
    return ArchiveStatus.ARCHIVED


def _fill_metadata(evidence: Evidence, extracted: Extracted) -> None:
    """Title, author and date from the page, where the desk left them empty."""
    if not evidence.title and extracted.title:
        evidence.title = extracted.title[:500]
    if not evidence.author and extracted.author:
        evidence.author = extracted.author[:200]
    if evidence.published_on is None and extracted.date:
        with contextlib.suppress(ValueError):
            evidence.published_on = datetime.date.fromisoformat(extracted.date[:10])
