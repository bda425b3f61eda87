"""Writes and domain rules for annotations. The span rule lives here, once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from annotator.annotations.selectors import document_work_is_final
from annotator.enqueue import DOCUMENT_REANCHOR, task
from annotator.events.services import EventType, annotation_event
from annotator.models import (
    Annotation,
    Label,
    Origin,
    SuggestionDecision,
    SuggestionStatus,
    http_url_validator,
)
from annotator.permissions import can_change_annotation
from corpus.models import Document


class AnnotationConflict(Exception):
    """The annotation changed since the client read it (optimistic locking)."""

    def __init__(self, current: Annotation) -> None:
        self.current = current
        super().__init__(
            f"Annotation {current.pk} was changed meanwhile (now version {current.version}); "
            "reload it and apply your change again."
        )


class AnnotationGone(Http404):
    """The annotation was deleted meanwhile (a concurrent delete won the race)."""

    def __init__(self, annotation_id: int) -> None:
        self.annotation_id = annotation_id
        super().__init__(f"Annotation {annotation_id} was deleted meanwhile.")


class AnnotationDuplicate(ValidationError):
    """The same person already has this span with this label (a 409 in the API and the UI)."""

    def __init__(self, existing: Annotation) -> None:
        self.existing = existing
        super().__init__(
            f"You already have this {existing.label.slug} span at {existing.start}-{existing.end}"
            f" (annotation {existing.pk})."
        )


def annotation_duplicate_check(*, annotation: Annotation) -> None:
    """One annotation per person, span, label (and layer: reviewers' or the final set)."""
    existing = (
        Annotation.objects.select_related("label")
        .filter(
            document_id=annotation.document_id,
            created_by_id=annotation.created_by_id,
            start=annotation.start,
            end=annotation.end,
            label_id=annotation.label_id,
            is_final=annotation.is_final,
        )
        .exclude(pk=annotation.pk)
        .first()
    )
    if existing is not None:
        raise AnnotationDuplicate(existing)


FINAL_MESSAGE = (
    "You marked this document done under blind review, so your work on it is final; "
    "ask a lead to reopen it."
)


def work_open_check(*, document: Document, user) -> None:
    """Refuse a reviewer's change once their work on a blind-review document is final."""
    if document_work_is_final(document=document, user=user):
        raise ValidationError(FINAL_MESSAGE, code="final")


def _lock_document(document_id: int) -> int | None:
    """Serialise writes on one document, so two equal spans cannot both pass the check;
    return its current revision."""
    rows = Document.objects.select_for_update().filter(pk=document_id).values_list("revision")
    return next((revision for (revision,) in rows), None)


def revision_current_check(*, document: Document, current: int | None) -> None:
    """Offsets checked against `document.text` refer to its revision: refuse them if the
    document was revised meanwhile (they would be saved against other text)."""
    if current is not None and current != document.revision:
        raise ValidationError(
            {
                "revision": f"The document was revised (now revision {current}, you had "
                f"{document.revision}); reload it and select the text again."
            }
        )


def _lock_annotation(annotation_id: int) -> Annotation:
    # Locks the annotation and its document, as before; not the collection row (read for
    # the blind-review rule), which every write in the collection would otherwise wait on.
    current = (
        Annotation.objects.select_for_update(of=("self", "document"))
        .select_related("document__collection", "label")
        .filter(pk=annotation_id)
        .first()
    )
    if current is None:
        raise AnnotationGone(annotation_id)
    return current


def span_check(*, document: Document, start: Any, end: Any, quote: str | None = None) -> str:
    """Check offsets (code points, end exclusive) against the document; return the quote.

    A quote sent by a client is compared with the stored text and refused on mismatch.
    """
    if isinstance(start, bool) or not isinstance(start, int):
        raise ValidationError({"start": "Start must be an integer."})
    if isinstance(end, bool) or not isinstance(end, int):
        raise ValidationError({"end": "End must be an integer."})
    if start < 0:
        raise ValidationError({"start": "Start must be 0 or more."})
    if end <= start:
        raise ValidationError({"end": "End must be greater than start."})
    length = len(document.text)
    if end > length:
        raise ValidationError({"end": f"End {end} is past the end of the document ({length})."})
    actual = document.text[start:end]
    if quote is not None and quote != actual:
        raise ValidationError(
            {"quote": f"Quote does not match the document text at {start}-{end}: {actual[:80]!r}."}
        )
    return actual


def label_resolve(label: Label | str | int) -> Label:
    if isinstance(label, Label):
        return label
    try:
        if isinstance(label, int):
            return Label.objects.get(pk=label)
        return Label.objects.get(slug=label)
    except Label.DoesNotExist:
        raise ValidationError({"label": f"Unknown label {label!r}."}) from None


def label_for_new_work(label: Label | str | int) -> Label:
    """The label, unless it is archived (kept on old annotations, refused on new work)."""
    label = label_resolve(label)
    if label.archived:
        raise ValidationError(
            {"label": f"The label {label.name} is archived: it is kept on old annotations only."}
        )
    return label


def evidence_url_check(url: str) -> str:
    url = (url or "").strip()
    if url:
        try:
            http_url_validator(url)
        except ValidationError:
            raise ValidationError(
                {"evidence_url": "Evidence URL must be an http or https URL."}
            ) from None
    return url


@transaction.atomic
def annotation_create(
    *,
    document: Document,
    created_by,
    start: int,
    end: int,
    label: Label | str | int,
    quote: str | None = None,
    note: str = "",
    evidence_url: str = "",
    origin: str = Origin.MANUAL,
    suggestion=None,
    is_final: bool = False,
    adjudicated_from: list[int] | None = None,
) -> Annotation:
    work_open_check(document=document, user=created_by)
    checked_quote = span_check(document=document, start=start, end=end, quote=quote)
    annotation = Annotation(
        document=document,
        start=start,
        end=end,
        quote=checked_quote,
        label=label_for_new_work(label),
        note=note or "",
        evidence_url=evidence_url_check(evidence_url),
        created_by=created_by,
        origin=origin,
        suggestion=suggestion,
        is_final=is_final,
        adjudicated_from=adjudicated_from or [],
        revision=document.revision,
    )
    revision_current_check(document=document, current=_lock_document(document.pk))
    annotation_duplicate_check(annotation=annotation)
    annotation.save(force_insert=True)
    annotation_event(EventType.ANNOTATION_CREATED, annotation, actor=created_by)
    return annotation


EDITABLE_FIELDS = {"label", "note", "evidence_url", "start", "end", "quote"}


@transaction.atomic
def annotation_update(
    *, annotation: Annotation, user, version: int | None, **changes: Any
) -> Annotation:
    """Apply changes if `version` is still current; raise AnnotationConflict otherwise."""
    if not can_change_annotation(user, annotation):
        raise PermissionDenied("You cannot change another reviewer's annotation.")
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    moves = bool({"label", "start", "end", "quote"} & set(changes))
    if moves:
        _lock_document(annotation.document_id)
    current = _lock_annotation(annotation.pk)
    work_open_check(document=current.document, user=user)
    if version is not None and current.version != version:
        raise AnnotationConflict(current)
    if "label" in changes:
        label = label_resolve(changes["label"])
        current.label = label if label.pk == current.label_id else label_for_new_work(label)
    if "note" in changes:
        current.note = changes["note"] or ""
    if "evidence_url" in changes:
        current.evidence_url = evidence_url_check(changes["evidence_url"])
    if {"start", "end", "quote"} & set(changes):
        current.start = changes.get("start", current.start)
        current.end = changes.get("end", current.end)
        current.quote = span_check(
            document=current.document,
            start=current.start,
            end=current.end,
            quote=changes.get("quote"),
        )
        # New offsets are on the current text: the span is placed, by this reviewer.
        current.revision = current.document.revision
        current.anchor_state, current.anchor_method = "anchored", "reviewer"
        current.anchor_confidence = 1.0
    if moves:
        annotation_duplicate_check(annotation=current)
    # The row is locked, so a plain increment is safe (and history records the real number).
    current.version += 1
    current.save()
    annotation_event(EventType.ANNOTATION_UPDATED, current, actor=user)
    return current


@transaction.atomic
def annotation_delete(*, annotation: Annotation, user, version: int | None = None) -> None:
    if not can_change_annotation(user, annotation):
        raise PermissionDenied("You cannot delete another reviewer's annotation.")
    current = _lock_annotation(annotation.pk)
    work_open_check(document=current.document, user=user)
    if version is not None and current.version != version:
        raise AnnotationConflict(current)
    current._change_reason = "deleted"
    annotation_event(EventType.ANNOTATION_DELETED, current, actor=user)
    current.delete()


@transaction.atomic
def annotation_restore(*, annotation_id: int, user) -> Annotation:
    """Bring back a deleted annotation from its last history record (undo of a delete)."""
    if Annotation.objects.filter(pk=annotation_id).exists():
        raise ValidationError("This annotation is not deleted.")
    last = (
        Annotation.history.filter(id=annotation_id).order_by("-history_date", "-history_id").first()
    )
    if last is None:
        raise ValidationError(f"No history for annotation {annotation_id}.")
    annotation = last.instance
    if not can_change_annotation(user, annotation):
        raise PermissionDenied("You cannot restore another reviewer's annotation.")
    work_open_check(document=annotation.document, user=user)
    current_revision = _lock_document(annotation.document_id)
    if annotation.revision == current_revision:
        span_check(document=annotation.document, start=annotation.start, end=annotation.end)
    else:
        # Deleted before a revision: restored on its old text, then re-anchored like the rest.
        document_id = annotation.document_id
        transaction.on_commit(lambda: task(DOCUMENT_REANCHOR).delay(document_id))
    annotation_duplicate_check(annotation=annotation)
    annotation.version = (annotation.version or 0) + 1
    annotation._change_reason = "restored"
    try:
        with transaction.atomic():
            annotation.save(force_insert=True)
    except IntegrityError:  # restored by someone else meanwhile
        raise ValidationError("This annotation is not deleted.") from None
    Annotation.objects.filter(pk=annotation.pk).update(created_at=last.created_at)
    annotation.created_at = last.created_at
    if annotation.suggestion_id is not None:
        # Deleting set the accepting decision's annotation to NULL: point it back.
        SuggestionDecision.objects.filter(
            suggestion_id=annotation.suggestion_id,
            reviewer_id=annotation.created_by_id,
            status=SuggestionStatus.ACCEPTED,
            annotation__isnull=True,
        ).update(annotation=annotation)
    annotation_event(EventType.ANNOTATION_RESTORED, annotation, actor=user)
    return annotation
