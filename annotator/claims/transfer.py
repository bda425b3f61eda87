"""Evidence and verdicts in the annotation exports (JSONL/JSON, W3C) and back in by import.

Exports add, per annotation, `"evidence": [...]` and `"verdict": {...} | null`, read in one
query each per chunk of annotations (never one per annotation). Imports check them with the
record and write them with the annotation they belong to.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_datetime
from simple_history.utils import bulk_create_with_history

from annotator.enqueue import EVIDENCE_ARCHIVE, task
from annotator.models import (
    ArchiveStatus,
    Evidence,
    Rating,
    Stance,
    Verdict,
    VerdictState,
    http_url_validator,
)

CHUNK = 2000
EVIDENCE_KEYS = ("url", "title", "author", "publisher", "stance", "excerpt", "note")
VERDICT_KEYS = ("claim_reviewed", "explanation", "claim_author", "state", "reason")


def evidence_record(item: Evidence) -> dict[str, Any]:
    return {
        **{key: getattr(item, key) for key in EVIDENCE_KEYS},
        "published_on": item.published_on.isoformat() if item.published_on else None,
        "created_by": item.created_by.get_username(),
        "created_at": item.created_at.isoformat(),
        "archive": {
            "status": item.archive_status,
            "error": item.archive_error,
            "sha256": item.archive_sha256,
            "http_status": item.archive_http_status,
            "final_url": item.archive_final_url,
            "archived_at": item.archived_at.isoformat() if item.archived_at else None,
            "excerpt_found": item.excerpt_found,
        },
    }


def verdict_record(verdict: Verdict) -> dict[str, Any]:
    return {
        **{key: getattr(verdict, key) for key in VERDICT_KEYS},
        "rating": verdict.rating.name,
        "rating_value": verdict.rating.value,
        "proposed_by": verdict.proposed_by.get_username(),
        "published_by": verdict.published_by.get_username() if verdict.published_by else None,
        "published_at": verdict.published_at.isoformat() if verdict.published_at else None,
    }


def claims_for(annotation_ids: Iterable[int]) -> tuple[dict[int, list], dict[int, dict]]:
    """Evidence records and verdict records by annotation id (two queries).

    Looked up by the id range of the chunk (`BETWEEN min AND max` on the annotation index)
    rather than a list of thousands of ids: export chunks come in key order, so the range is
    tight; claims of annotations in the range but not in the chunk are dropped here.
    """
    ids = set(annotation_ids)
    if not ids:
        return {}, {}
    between = {"annotation_id__gte": min(ids), "annotation_id__lte": max(ids)}
    evidence: dict[int, list] = {}
    for item in Evidence.objects.filter(**between).select_related("created_by").order_by("id"):
        if item.annotation_id in ids:
            evidence.setdefault(item.annotation_id, []).append(evidence_record(item))
    verdicts = {
        verdict.annotation_id: verdict_record(verdict)
        for verdict in Verdict.objects.filter(**between).select_related(
            "rating", "proposed_by", "published_by"
        )
        if verdict.annotation_id in ids
    }
    return evidence, verdicts


def chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    """Lists of `size` items (the last may be shorter)."""
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def with_claims(records: Iterable[dict]) -> Iterator[dict]:
    """Export records (dicts with "id") with their evidence and verdict added."""
    for chunk in chunks(records):
        evidence, verdicts = claims_for(record["id"] for record in chunk)
        for record in chunk:
            record["evidence"] = evidence.get(record["id"], [])
            record["verdict"] = verdicts.get(record["id"])
            yield record


_NO_CLAIMS = ', "evidence": [], "verdict": null}'
_ID = re.compile(r'^\{\s*"id"\s*:\s*(\d+)')


def with_claims_json(texts: Iterable[str]) -> Iterator[str]:
    """The same for records already written as JSON text (PostgreSQL's fast path): the id is
    the first key, and the two keys are spliced in before the closing brace."""
    for chunk in chunks(texts):
        ids = [int(_ID.match(text).group(1)) for text in chunk]
        evidence, verdicts = claims_for(ids)
        for annotation_id, text in zip(ids, chunk, strict=True):
            if annotation_id not in evidence and annotation_id not in verdicts:
                yield text.rstrip()[:-1] + _NO_CLAIMS  # most annotations: no json.dumps
                continue
            extra = json.dumps(
                {
                    "evidence": evidence.get(annotation_id, []),
                    "verdict": verdicts.get(annotation_id),
                },
                ensure_ascii=False,
            )
            yield text.rstrip()[:-1] + ", " + extra[1:]


# W3C Web Annotation: each source is a linking body; its stance keeps a meaning in JSON-LD
# through a scoped context (CiTO, the Citation Typing Ontology, names these relations).
STANCE_CONTEXT = {"stance": {"@id": "http://purl.org/spar/cito/hasCitationCharacterization"}}


def w3c_bodies(record: dict) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    for item in record.get("evidence") or []:
        body = {
            "@context": STANCE_CONTEXT,
            "id": item["url"],
            "type": "Text",
            "purpose": "linking",
            "stance": item["stance"],
        }
        if item["title"]:
            body["title"] = item["title"]
        bodies.append(body)
    verdict = record.get("verdict")
    if verdict:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "assessing",
                "value": f"{verdict['rating']}: {verdict['claim_reviewed']}",
                "format": "text/plain",
            }
        )
    return bodies


# Import


def _text(data: dict, key: str, limit: int, where: str) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationError({where: f"{key} must be text of at most {limit} characters."})
    return value


def _time(value: Any, where: str, key: str) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationError({where: f"{key} must be an ISO date and time."})
    return parsed


def _evidence_check(item: Any, index: int, usernames: set[str]) -> dict[str, Any]:
    where = f"evidence[{index}]"
    if not isinstance(item, dict):
        raise ValidationError({where: "Must be an object."})
    url = _text(item, "url", 2000, where)
    try:
        http_url_validator(url)
    except ValidationError:
        raise ValidationError({where: "url must be an http or https URL."}) from None
    if item.get("stance") not in Stance.values:
        raise ValidationError({where: f"stance must be one of {', '.join(Stance.values)}."})
    published = item.get("published_on")
    try:
        published = datetime.date.fromisoformat(published) if published else None
    except (TypeError, ValueError):
        raise ValidationError({where: "published_on must be a date."}) from None
    archive = item.get("archive") if isinstance(item.get("archive"), dict) else {}
    status = archive.get("status")
    sha = archive.get("sha256") or ""
    if status == ArchiveStatus.ARCHIVED and not (isinstance(sha, str) and len(sha) == 64):
        raise ValidationError({where: "An archived source needs its sha256 (64 hex digits)."})
    if status not in ArchiveStatus.values:
        status = ArchiveStatus.QUEUED
    http_status = archive.get("http_status")
    if http_status is not None and (not isinstance(http_status, int) or not 0 < http_status < 1000):
        raise ValidationError({where: "archive.http_status must be an HTTP status code."})
    username = _text(item, "created_by", 150, where)
    if username:
        usernames.add(username)
    return {
        "fields": {
            "url": url,
            "title": _text(item, "title", 500, where),
            "author": _text(item, "author", 200, where),
            "publisher": _text(item, "publisher", 200, where),
            "stance": item["stance"],
            "excerpt": _text(item, "excerpt", 20_000, where),
            "note": _text(item, "note", 20_000, where),
            "published_on": published,
            # The copy's record is kept (the WARC file itself is not in the export); a source
            # still queued is archived here after the import.
            "archive_status": status,
            "archive_error": _text(archive, "error", 500, where),
            "archive_sha256": sha if status == ArchiveStatus.ARCHIVED else "",
            "archive_http_status": http_status,
            "archive_final_url": _text(archive, "final_url", 2000, where),
            "archived_at": _time(archive.get("archived_at"), where, "archived_at"),
            "excerpt_found": archive.get("excerpt_found")
            if isinstance(archive.get("excerpt_found"), bool)
            else None,
        },
        "created_by": username,
    }


def _verdict_check(data: Any, ratings: dict[str, Rating], usernames: set[str]) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"verdict": "Must be an object or null."})
    rating = ratings.get(str(data.get("rating", "")).casefold())
    if rating is None:
        raise ValidationError({"verdict": f"Unknown rating {data.get('rating')!r}."})
    state = data.get("state") or VerdictState.DRAFT
    if state not in VerdictState.values:
        raise ValidationError({"verdict": f"Unknown state {state!r}."})
    claim = _text(data, "claim_reviewed", 500, "verdict")
    if not claim.strip():
        raise ValidationError({"verdict": "claim_reviewed is required."})
    proposed = _text(data, "proposed_by", 150, "verdict")
    published = _text(data, "published_by", 150, "verdict")
    usernames.update(name for name in (proposed, published) if name)
    return {
        "fields": {
            "rating": rating,
            "claim_reviewed": claim,
            "explanation": _text(data, "explanation", 20_000, "verdict"),
            "claim_author": _text(data, "claim_author", 200, "verdict"),
            "state": state,
            "reason": _text(data, "reason", 20_000, "verdict"),
            "published_at": _time(data.get("published_at"), "verdict", "published_at"),
        },
        "proposed_by": proposed,
        "published_by": published,
    }


class ClaimImport:
    """Checks the claim part of each record, then writes it beside the new annotations."""

    def __init__(self, usernames: set[str]) -> None:
        self.ratings = {rating.name.casefold(): rating for rating in Rating.objects.all()}
        self.usernames = usernames  # the importer's: authors of sources and verdicts join it

    def check(self, record: dict) -> dict | None:
        evidence = record.get("evidence") or []
        verdict = record.get("verdict")
        if not isinstance(evidence, list):
            raise ValidationError({"evidence": "Must be a list."})
        if not evidence and verdict is None:
            return None
        return {
            "evidence": [
                _evidence_check(item, i, self.usernames) for i, item in enumerate(evidence)
            ],
            "verdict": None
            if verdict is None
            else _verdict_check(verdict, self.ratings, self.usernames),
        }


def claim_check(importer: Any, record: dict) -> dict | None:
    """The claim part of an import record, checked (one ClaimImport per importer: it shares
    the importer's set of usernames, so the authors of sources and verdicts are found too)."""
    claims = importer.__dict__.get("_claims")
    if claims is None:
        claims = importer.__dict__["_claims"] = ClaimImport(importer.usernames)
    return claims.check(record)


def claims_write(pairs: Iterable[tuple[Any, dict | None]], users: dict[str, Any]) -> None:
    """Write the checked claims beside their new annotations (one bulk insert per model)."""
    evidence: list[Evidence] = []
    verdicts: list[Verdict] = []
    for annotation, claim in pairs:
        if claim is None:
            continue
        for item in claim["evidence"]:
            author = users.get(item["created_by"]) or annotation.created_by
            evidence.append(Evidence(annotation=annotation, created_by=author, **item["fields"]))
        if claim["verdict"] is not None:
            data = claim["verdict"]
            verdicts.append(
                Verdict(
                    annotation=annotation,
                    proposed_by=users.get(data["proposed_by"]) or annotation.created_by,
                    published_by=users.get(data["published_by"]),
                    **data["fields"],
                )
            )
    created = bulk_create_with_history(evidence, Evidence, batch_size=CHUNK)
    bulk_create_with_history(verdicts, Verdict, batch_size=CHUNK)
    queued = [e.pk for e in created if e.archive_status == ArchiveStatus.QUEUED]
    if queued:
        transaction.on_commit(lambda: [task(EVIDENCE_ARCHIVE).delay(pk) for pk in queued])
