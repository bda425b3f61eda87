"""Writing checked import rows: documents, users, annotations with history, claims.

The rules are in annotator.api.imports' docstring; everything here runs in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from annotator.claims.transfer import claims_write
from annotator.models import Annotation, Origin, Suggestion, SuggestionDecision, SuggestionStatus
from corpus.services import collection_get_or_create


@dataclass
class ImportResult:
    annotations_created: int = 0
    annotations_skipped: int = 0
    documents_created: int = 0
    users_created: list[str] = field(default_factory=list)


def rows_write(
    *,
    rows: list[dict[str, Any]],
    new_documents: dict[str, Any],
    documents_by_sha: dict[str, Any],
    usernames: set[str],
    result: ImportResult,
) -> None:
    """Write checked rows and the documents they create (inside the caller's transaction)."""
    users = users_get_or_create(usernames, result)
    for document in new_documents.values():
        document.collection = collection_get_or_create(slug=document._collection_slug)
        document.save()
        documents_by_sha[document.sha256] = document
        result.documents_created += 1
    existing = {
        tuple(key): pk
        for pk, *key in Annotation.objects.filter(
            document_id__in={row["document"].pk for row in rows}
        ).values_list("id", "document_id", "start", "end", "label_id", "created_by_id", "is_final")
    }
    new: list[Annotation] = []
    new_rows: list[dict] = []
    times: list[tuple] = []
    id_map: dict[int, int] = {}  # exported id -> id here
    for row in rows:
        user = users[row["username"]]
        # The duplicate rule of annotation_create: person, span, label and layer.
        key = (
            row["document"].pk, row["start"], row["end"], row["label"].pk, user.pk,
            row["is_final"],
        )  # fmt: skip
        if key in existing:
            result.annotations_skipped += 1
            if row["exported_id"] is not None and existing[key] is not None:
                id_map[row["exported_id"]] = existing[key]
            continue
        existing[key] = None
        suggestion = None
        if row["origin"] == Origin.SUGGESTION and row["suggester"]:
            suggestion = Suggestion.objects.create(
                document=row["document"],
                start=row["start"],
                end=row["end"],
                quote=row["quote"],
                label=row["label"],
                score=row["suggestion_score"] or 0.0,
                suggester=row["suggester"],
                suggester_version="imported",
                revision=row["document"].revision,
                status=SuggestionStatus.ACCEPTED,
                decided_by=user,
                decided_at=row["created_at"],
            )
        new.append(
            Annotation(
                document=row["document"],
                start=row["start"],
                end=row["end"],
                quote=row["quote"],
                label=row["label"],
                note=row["note"],
                evidence_url=row["evidence_url"],
                created_by=user,
                origin=row["origin"],
                suggestion=suggestion,
                is_final=row["is_final"],
                revision=row["document"].revision,
            )
        )
        new_rows.append(row)
        times.append((row["created_at"], row["updated_at"]))
    # Reviewers' annotations first, so final ones can name their sources' new ids.
    order = sorted(range(len(new)), key=lambda i: new_rows[i]["is_final"])
    new, new_rows = [new[i] for i in order], [new_rows[i] for i in order]
    times = [times[i] for i in order]
    split = sum(1 for row in new_rows if not row["is_final"])
    created = bulk_create_with_history(new[:split], Annotation, batch_size=2000)
    for annotation, row in zip(created, new_rows, strict=False):
        if row["exported_id"] is not None:
            id_map[row["exported_id"]] = annotation.pk
    adjudicated_from_set(new[split:], new_rows[split:], id_map)
    created += bulk_create_with_history(new[split:], Annotation, batch_size=2000)
    claims_write(zip(created, [row["claim"] for row in new_rows], strict=True), users)
    keep = []  # auto_now/auto_now_add set the clock on insert: keep the exported times
    for annotation, (created_at, updated_at) in zip(created, times, strict=True):
        if created_at or updated_at:
            annotation.created_at = created_at or annotation.created_at
            annotation.updated_at = updated_at or created_at or annotation.updated_at
            keep.append(annotation)
    if keep:
        Annotation.objects.bulk_update(keep, ["created_at", "updated_at"], batch_size=2000)
    SuggestionDecision.objects.bulk_create(
        [
            SuggestionDecision(
                suggestion=a.suggestion,
                reviewer_id=a.created_by_id,
                status=SuggestionStatus.ACCEPTED,
                annotation=a,
                decided_at=a.suggestion.decided_at or timezone.now(),
            )
            for a in created
            if a.suggestion is not None
        ],
        batch_size=2000,
    )
    result.annotations_created = len(created)


def adjudicated_from_set(finals: list, rows: list[dict], id_map: dict[int, int]) -> None:
    """Point final annotations at their sources' ids here (see the module docstring)."""
    unmapped = {i for row in rows for i in row["adjudicated_from"] if i not in id_map}
    here = set(
        Annotation.objects.filter(pk__in=unmapped, is_final=False).values_list("id", "document_id")
    )
    for annotation, row in zip(finals, rows, strict=True):
        annotation.adjudicated_from = [
            id_map.get(i, i)
            for i in row["adjudicated_from"]
            if i in id_map or (i, annotation.document.pk) in here
        ]


def users_get_or_create(usernames: set[str], result: ImportResult) -> dict[str, Any]:
    """Users by username; unknown ones become inactive placeholders (no password, no role)."""
    User = get_user_model()
    found = {
        user.get_username(): user
        for user in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": usernames})
    }
    for username in sorted(usernames - set(found)):
        user = User(**{User.USERNAME_FIELD: username}, is_active=False)
        user.set_unusable_password()
        user.save()
        found[username] = user
        result.users_created.append(username)
    return found
