"""Reviewers' decisions on suggestions: accept (creates an annotation) or reject; the
page's undo (reopens the suggestion) and redo of an accept (restores the same annotation)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from annotator.annotations.services import (
    annotation_create,
    annotation_delete,
    annotation_restore,
    work_open_check,
)
from annotator.events.services import EventType, suggestion_event
from annotator.models import Annotation, Label, Origin
from annotator.models.suggestions import Suggestion, SuggestionDecision, SuggestionStatus


def _open_for(user, suggestion_id: int) -> Suggestion:
    """Lock the suggestion and check this user may still decide it.

    In an open collection the first decision closes a suggestion for everyone; in a
    blind-review collection it stays open for reviewers who have not decided it yet.
    """
    # Lock the suggestion and its document as before; not the collection row, which every
    # decision in the collection would otherwise wait on (PostgreSQL locks joined rows).
    current = (
        Suggestion.objects.select_for_update(of=("self", "document"))
        .select_related("document__collection")
        .filter(pk=suggestion_id)
        .first()
    )
    if current is None:  # a new run replaced it meanwhile
        raise Http404(f"Suggestion {suggestion_id} is gone: a new suggestion run replaced it.")
    if current.status != SuggestionStatus.PENDING:
        raise ValidationError(f"This suggestion was already {current.status}.")
    mine = current.decisions.filter(reviewer=user).values_list("status", flat=True).first()
    if mine:
        raise ValidationError(f"You already {mine} this suggestion.")
    return current


def _decide(current: Suggestion, user, status: str, annotation: Annotation | None = None) -> None:
    now = timezone.now()
    SuggestionDecision.objects.create(
        suggestion=current, reviewer=user, status=status, annotation=annotation, decided_at=now
    )
    if not current.document.collection.blind_review:
        current.status = status
        current.decided_by = user
        current.decided_at = now
        current.save(update_fields=["status", "decided_by", "decided_at"])


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
    """Turn an open suggestion into the user's annotation, optionally with adjusted bounds."""
    current = _open_for(user, suggestion.pk)
    as_suggested = start is None and end is None
    if current.revision != current.document.revision:
        raise ValidationError(
            "The document was revised after this suggestion; it is being re-anchored."
        )
    annotation = annotation_create(
        document=current.document,
        created_by=user,
        start=current.start if start is None else start,
        end=current.end if end is None else end,
        # Accepted as suggested: the words it quoted, or nothing (never other text).
        quote=current.quote if as_suggested else None,
        label=label or current.label,
        note=note,
        evidence_url=evidence_url,
        origin=Origin.SUGGESTION,
        suggestion=current,
    )
    _decide(current, user, SuggestionStatus.ACCEPTED, annotation)
    suggestion_event(EventType.SUGGESTION_ACCEPTED, current, user=user, annotation=annotation)
    return annotation


@transaction.atomic
def suggestion_reject(*, suggestion: Suggestion, user) -> Suggestion:
    current = _open_for(user, suggestion.pk)
    work_open_check(document=current.document, user=user)
    _decide(current, user, SuggestionStatus.REJECTED)
    suggestion_event(EventType.SUGGESTION_REJECTED, current, user=user)
    return current


@transaction.atomic
def suggestion_decision_undo(*, suggestion: Suggestion, user, version: int | None = None) -> None:
    """Take back the user's own accept or reject (the page's undo): the annotation an accept
    made is deleted, checked against its `version` (required: AnnotationConflict when it
    changed since), and the suggestion is open again (a `suggestion.reopened` event)."""
    current = (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("document__collection", "label")
        .filter(pk=suggestion.pk)
        .first()
    )
    if current is None:
        raise Http404(f"Suggestion {suggestion.pk} is gone: a new suggestion run replaced it.")
    decision = current.decisions.filter(reviewer=user).select_related("annotation").first()
    if decision is None:
        raise ValidationError("You have not accepted or rejected this suggestion.")
    annotation_id = decision.annotation_id
    if decision.annotation is not None:
        if version is None:
            raise ValidationError(
                {"version": "The accepted annotation's version is required to undo an accept."}
            )
        annotation_delete(annotation=decision.annotation, user=user, version=version)
    else:
        work_open_check(document=current.document, user=user)
    previous = decision.status
    decision.delete()
    if current.status != SuggestionStatus.PENDING:
        current.status, current.decided_by, current.decided_at = (
            SuggestionStatus.PENDING,
            None,
            None,
        )
        current.save(update_fields=["status", "decided_by", "decided_at"])
    suggestion_event(
        EventType.SUGGESTION_REOPENED,
        current,
        user=user,
        annotation=annotation_id,
        previous=previous,
    )


@transaction.atomic
def suggestion_accept_restore(*, suggestion: Suggestion, user, annotation_id: int) -> Annotation:
    """Redo of an undone accept: the same annotation (same id, from its history) comes back
    and the suggestion is accepted by it again; the usual checks of a restore apply."""
    current = _open_for(user, suggestion.pk)
    record = (
        Annotation.history.filter(id=annotation_id)
        .order_by("-history_date", "-history_id")
        .values("suggestion_id", "created_by_id")
        .first()
    )
    if record is None or record["suggestion_id"] != current.pk:
        raise ValidationError(
            {"annotation": f"Annotation {annotation_id} was not made by accepting this suggestion."}
        )
    if record["created_by_id"] != user.pk:
        raise ValidationError({"annotation": "Only the reviewer who accepted it can restore it."})
    annotation = annotation_restore(annotation_id=annotation_id, user=user)
    _decide(current, user, SuggestionStatus.ACCEPTED, annotation)
    suggestion_event(EventType.SUGGESTION_ACCEPTED, current, user=user, annotation=annotation)
    return annotation
