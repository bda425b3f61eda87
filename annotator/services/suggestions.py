"""Reviewer decisions on suggestions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotator.models import Annotation, Label, Origin, Suggestion, SuggestionStatus
from annotator.services.annotations import annotation_create


@transaction.atomic
def suggestion_accept(
    *,
    suggestion: Suggestion,
    user,
    start: int | None = None,
    end: int | None = None,
    label: Label | str | None = None,
    note: str = "",
    evidence_url: str = "",
) -> Annotation:
    """Turn a pending suggestion into the user's annotation, optionally with adjusted bounds."""
    current = (
        Suggestion.objects.select_for_update().select_related("document").get(pk=suggestion.pk)
    )
    if current.status != SuggestionStatus.PENDING:
        raise ValidationError(f"This suggestion was already {current.status}.")
    annotation = annotation_create(
        document=current.document,
        created_by=user,
        start=current.start if start is None else start,
        end=current.end if end is None else end,
        label=label or current.label,
        note=note,
        evidence_url=evidence_url,
        origin=Origin.SUGGESTION,
        suggestion=current,
    )
    current.status = SuggestionStatus.ACCEPTED
    current.decided_by = user
    current.decided_at = timezone.now()
    current.save(update_fields=["status", "decided_by", "decided_at"])
    return annotation


@transaction.atomic
def suggestion_reject(*, suggestion: Suggestion, user) -> Suggestion:
    current = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if current.status != SuggestionStatus.PENDING:
        raise ValidationError(f"This suggestion was already {current.status}.")
    current.status = SuggestionStatus.REJECTED
    current.decided_by = user
    current.decided_at = timezone.now()
    current.save(update_fields=["status", "decided_by", "decided_at"])
    return current
