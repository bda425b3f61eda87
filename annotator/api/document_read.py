"""The one-call document read: lean annotation rows, and a validator from cheap queries.

`GET /api/documents/{id}/?include=annotations` is how a client opens a document. Building a
model instance (and its label and author) per annotation cost most of that call; the rows
here come from `.values_list()` of the same selector, so visibility (blind review) is the
selector's, and `test_document_read` pins them to `AnnotationSerializer`'s output.
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import CharField, Count, Max, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from rest_framework.request import Request

from annotator.api.serializers import AnnotationSerializer
from annotator.models import Annotation, Suggestion
from annotator.permissions import is_lead

# AnnotationSerializer's fields, in its order, and the column each is read from.
_COLUMNS = {
    "id": "id",
    "document": "document_id",
    "start": "start",
    "end": "end",
    "quote": "quote",
    "label": "label__slug",
    "note": "note",
    "evidence_url": "evidence_url",
    "created_by": "created_by__" + get_user_model().USERNAME_FIELD,
    "created_at": "created_at",
    "updated_at": "updated_at",
    "version": "version",
    "origin": "origin",
    "is_final": "is_final",
    "suggestion": "suggestion_id",
    "adjudicated_from": "adjudicated_from",
    "revision": "revision",
    "anchor_state": "anchor_state",
    "anchor_method": "anchor_method",
    "anchor_confidence": "anchor_confidence",
}
assert list(_COLUMNS) == AnnotationSerializer.Meta.fields, "keep _COLUMNS in the serializer's order"


def annotation_rows(annotations: QuerySet[Annotation]) -> list[dict]:
    """`AnnotationSerializer(annotations, many=True).data`, without building model instances."""
    if _sqlite_in_utc(annotations.db):
        return _sqlite_rows(annotations)
    names = list(_COLUMNS)
    iso = _iso_writer()
    rows = []
    for values in annotations.values_list(*_COLUMNS.values()):
        row = dict(zip(names, values, strict=True))
        row["created_at"], row["updated_at"] = iso(row["created_at"]), iso(row["updated_at"])
        rows.append(row)
    return rows


def _sqlite_in_utc(alias: str) -> bool:
    zone = timezone.get_current_timezone()
    utc = zone.utcoffset(datetime.datetime(2000, 1, 1)) == datetime.timedelta(0)
    return utc and settings.USE_TZ and connections[alias].vendor == "sqlite"


# Read as SQLite stores them, so that no converter of the ORM runs on each row: its
# datetimes are UTC text (`2026-11-29 08:50:00.123456`: DRF's output but for "T" and "Z").
_SQLITE_RAW = {
    "created_at": CharField(),
    "updated_at": CharField(),
    "is_final": CharField(),  # "0" or "1" (CharField: the one output the ORM leaves as is)
    "adjudicated_from": CharField(),
}


def _sqlite_rows(annotations: QuerySet[Annotation]) -> list[dict]:
    raw = {f"{name}_raw": Cast(name, output) for name, output in _SQLITE_RAW.items()}
    columns = {**_COLUMNS, **{name: f"{name}_raw" for name in _SQLITE_RAW}}
    names = list(columns)
    rows = []
    for values in annotations.annotate(**raw).values_list(*columns.values()):
        row = dict(zip(names, values, strict=True))
        row["created_at"] = _sqlite_iso(row["created_at"])
        row["updated_at"] = _sqlite_iso(row["updated_at"])
        row["is_final"] = row["is_final"] == "1"
        adjudicated = row["adjudicated_from"]
        if adjudicated is not None:
            row["adjudicated_from"] = [] if adjudicated == "[]" else json.loads(adjudicated)
        rows.append(row)
    return rows


def _sqlite_iso(value: str) -> str:
    if len(value) in (19, 26) and value[10] == " " and value[4] == "-":
        return value.replace(" ", "T") + "Z"
    parsed = datetime.datetime.fromisoformat(value)  # not written by Django: parse it
    return _iso_writer()(parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC))


def _iso_writer():
    """serializers._iso (DRF's DateTimeField output) with the time zone looked up once."""
    zone = timezone.get_current_timezone()

    def iso(value: datetime.datetime) -> str:
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return iso


# The validator


def document_etag(
    *,
    request: Request,
    document_data: dict,
    annotations: QuerySet[Annotation] | None,
    suggestions: list[Suggestion] | None,
) -> str:
    """A strong ETag of what the one-call read answers this user, from cheap queries.

    It changes whenever the body would: the document's fields (its sha256 stands for the
    text), who reads, with which role and in which format, and the included annotations
    (grouped aggregates of the selector's rows: what blind review lets this user see) and
    suggestions (`suggestions`: the list the body will show). Call it before reading the
    annotations' rows: a write landing in between then makes the tag older than the body (the
    next read answers 200), never newer (a stale body kept as current).
    """
    user = request.user
    parts = [
        _TAG_FORMAT,
        request.accepted_media_type,
        [user.pk, user.get_username(), is_lead(user)],
        {name: value for name, value in document_data.items() if name != "text"},
        None if annotations is None else _annotations_state(annotations),
        None if suggestions is None else [_suggestion_state(s) for s in suggestions],
    ]
    text = json.dumps(parts, default=str, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.blake2b(text.encode(), digest_size=16).hexdigest() + '"'


# Bump when the body's shape changes without any row changing (a field added, say).
_TAG_FORMAT = 1


def _annotations_state(annotations: QuerySet[Annotation]) -> list[dict]:
    """Per label and author: how many, which ids, their versions and last change (one query).

    Every write path bumps `version` or `updated_at` (re-anchoring sets updated_at, restore
    saves a new version), a create or delete changes the count and the ids, and the label's
    slug and author's name are read here, so a rename changes the tag too.
    """
    author = "created_by__" + get_user_model().USERNAME_FIELD
    rows = (
        annotations.order_by()
        .values("label__slug", author)
        .annotate(
            n=Count("id"),
            ids=Sum("id"),
            last=Max("id"),
            versions=Sum("version"),
            updated=Max("updated_at"),
            created=Max("created_at"),
        )
        .order_by("label__slug", author)
    )
    return list(rows)


def _suggestion_state(suggestion: Suggestion) -> list:
    """What SuggestionSerializer shows of an open suggestion (they have no `updated_at`: a
    run merges new scores and contributions into them in place)."""
    decided_by = suggestion.decided_by
    return [
        [getattr(suggestion, field.attname) for field in Suggestion._meta.concrete_fields],
        suggestion.label.slug,
        decided_by.get_username() if decided_by else None,
        suggestion.viewer_status,
        suggestion.viewer_decided_at,
        [
            [d.pk, d.reviewer.get_username(), d.status, d.decided_at, d.annotation_id]
            for d in suggestion.visible_decisions
        ],
    ]
