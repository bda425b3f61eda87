"""Writes for evidence: add, edit, remove, archive again. Archiving itself: archiving.py."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from annotator.annotations.services import work_open_check
from annotator.enqueue import EVIDENCE_ARCHIVE, task
from annotator.models import Annotation, ArchiveStatus, Evidence, Stance, http_url_validator
from annotator.permissions import can_annotate, can_change_evidence
from corpus.fetching import FetchError, url_check


class ClaimConflict(Exception):
    """The evidence or verdict changed since the client read it (a 409)."""

    def __init__(self, current: Evidence | Any) -> None:
        self.current = current
        kind = type(current).__name__.lower()
        super().__init__(
            f"This {kind} was changed meanwhile (now version {current.version}); "
            "reload it and apply your change again."
        )


EVIDENCE_FIELDS = (
    "url",
    "title",
    "author",
    "publisher",
    "published_on",
    "stance",
    "excerpt",
    "note",
)
LIMITS = {"title": 500, "author": 200, "publisher": 200, "excerpt": 20_000, "note": 20_000}


def evidence_url_check(url: Any) -> str:
    """An http(s) URL whose host is public (unless FETCH_ALLOW_PRIVATE): the archiver will
    fetch it, so a private address is refused here with the fetcher's reason."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError({"url": "A source URL is required."})
    url = url.strip()
    if len(url) > 2000:
        raise ValidationError({"url": "The URL is longer than 2000 characters."})
    try:
        http_url_validator(url)
    except ValidationError:
        raise ValidationError({"url": "The source URL must be an http or https URL."}) from None
    try:
        url_check(url)
    except FetchError as exc:
        raise ValidationError({"url": f"This source cannot be archived: {exc}"}) from None
    return url


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(EVIDENCE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "url":
            try:
                cleaned[field] = evidence_url_check(value)
            except ValidationError as exc:
                errors.update({k: v[0] for k, v in exc.message_dict.items()})
        elif field == "stance":
            if value not in Stance.values:
                errors[field] = f"Stance must be one of: {', '.join(Stance.values)}."
            cleaned[field] = value
        elif field == "published_on":
            cleaned[field] = _date(value, errors)
        else:
            value = "" if value is None else value
            if not isinstance(value, str):
                errors[field] = "Must be text."
            elif len(value) > LIMITS[field]:
                errors[field] = f"At most {LIMITS[field]} characters."
            cleaned[field] = value.strip() if isinstance(value, str) else value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _date(value: Any, errors: dict[str, str]) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors["published_on"] = "The publication date must be a date, e.g. 2024-03-05."
        return None


def _archive_later(evidence_id: int) -> None:
    transaction.on_commit(lambda: task(EVIDENCE_ARCHIVE).delay(evidence_id))


@transaction.atomic
def evidence_create(*, annotation: Annotation, user, **fields: Any) -> Evidence:
    """Add a source to a claim and queue its archiving (after the commit)."""
    if not can_annotate(user):
        raise PermissionDenied("You need a reviewer, lead or admin role.")
    work_open_check(document=annotation.document, user=user)
    if "url" not in fields:
        fields["url"] = ""
    if "stance" not in fields:
        raise ValidationError({"stance": "Choose a stance: " + ", ".join(Stance.values) + "."})
    evidence = Evidence(annotation=annotation, created_by=user, **_clean(fields))
    evidence.save(force_insert=True)
    _archive_later(evidence.pk)
    return evidence


def _lock(evidence_id: int) -> Evidence:
    current = (
        Evidence.objects.select_for_update(of=("self",))
        .select_related("annotation__document__collection", "created_by")
        .filter(pk=evidence_id)
        .first()
    )
    if current is None:
        raise Http404(f"Evidence {evidence_id} was deleted meanwhile.")
    return current


def _writable(*, evidence: Evidence, user, version: int | None) -> Evidence:
    if not can_change_evidence(user, evidence):
        raise PermissionDenied("You cannot change another reviewer's evidence.")
    current = _lock(evidence.pk)
    work_open_check(document=current.annotation.document, user=user)
    if version is not None and version != current.version:
        raise ClaimConflict(current)
    return current


@transaction.atomic
def evidence_update(*, evidence: Evidence, user, version: int | None, **changes: Any) -> Evidence:
    """Apply changes if `version` is current (ClaimConflict otherwise); a new URL is archived
    again."""
    current = _writable(evidence=evidence, user=user, version=version)
    cleaned = _clean(changes)
    fields = [f for f, v in cleaned.items() if getattr(current, f) != v]
    if not fields:
        return current
    for field in fields:
        setattr(current, field, cleaned[field])
    if "url" in fields:
        fields += _reset_archive(current)
    current.version += 1
    current.save(update_fields=[*fields, "version", "updated_at"])
    if "url" in fields:
        _archive_later(current.pk)
    return current


def _reset_archive(evidence: Evidence) -> list[str]:
    evidence.archive_status = ArchiveStatus.QUEUED
    evidence.archive_error = ""
    evidence.archive_file = ""
    evidence.archive_sha256 = ""
    evidence.archive_http_status = None
    evidence.archive_final_url = ""
    evidence.archived_at = None
    evidence.archive_text = ""
    evidence.excerpt_found = None
    return [
        "archive_status",
        "archive_error",
        "archive_file",
        "archive_sha256",
        "archive_http_status",
        "archive_final_url",
        "archived_at",
        "archive_text",
        "excerpt_found",
    ]


@transaction.atomic
def evidence_delete(*, evidence: Evidence, user, version: int | None) -> None:
    current = _writable(evidence=evidence, user=user, version=version)
    current.delete()


@transaction.atomic
def evidence_archive_retry(*, evidence: Evidence, user) -> Evidence:
    """Queue the archiving again (after a failure, or to take a fresh copy)."""
    current = _writable(evidence=evidence, user=user, version=None)
    if current.archive_status == ArchiveStatus.QUEUED:
        _archive_later(current.pk)
        return current
    current.archive_status = ArchiveStatus.QUEUED
    current.archive_error = ""
    current.save(update_fields=["archive_status", "archive_error", "updated_at"])
    _archive_later(current.pk)
    return current
