"""Bulk decisions: accept or reject every open suggestion of a label from a minimum score on,
on one document or a whole collection, with a preview count and an undo.

Server-side and in one transaction, in a constant number of queries whatever the count: the
annotations are created with their history rows, and the same events as single decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from annotator.annotations.selectors import document_list_for_user
from annotator.annotations.services import FINAL_MESSAGE, label_for_new_work
from annotator.events.services import EventType, annotation_payload, record_events
from annotator.models import (
    Annotation,
    Assignment,
    Event,
    Evidence,
    Label,
    Origin,
    Suggestion,
    SuggestionBulkDecision,
    SuggestionDecision,
    SuggestionStatus,
    Verdict,
)
from annotator.permissions import is_lead
from annotator.suggestions.receivers import queue_retrain_if_due
from corpus.models import Collection, Document

ACTIONS = {"accept": SuggestionStatus.ACCEPTED, "reject": SuggestionStatus.REJECTED}


def bulk_candidates(
    *,
    user,
    label: Label,
    min_score: float,
    document: Document | None = None,
    collection: Collection | None = None,
) -> QuerySet[Suggestion]:
    """The open suggestions a bulk decision would decide for this user: of `label`, scoring at
    least `min_score`, on the text shown, not decided by them, on documents they may open and
    whose work is not final for them (blind review after "done")."""
    if (document is None) == (collection is None):
        raise ValidationError("Give either a document or a collection.")
    if not 0 <= min_score <= 1:
        raise ValidationError({"min_score": "Must be between 0 and 1."})
    where = {"document": document} if document is not None else {"document__collection": collection}
    mine = SuggestionDecision.objects.filter(suggestion=OuterRef("pk"), reviewer=user)
    suggestions = (
        Suggestion.objects.filter(
            **where, label=label, score__gte=min_score, status=SuggestionStatus.PENDING
        )
        .filter(revision=F("document__revision"))
        .exclude(Exists(mine))
        .filter(document__in=document_list_for_user(user=user).values("pk"))
    )
    if not is_lead(user):
        final = Assignment.objects.filter(
            document=OuterRef("document"), reviewer=user, status="done"
        )
        suggestions = suggestions.exclude(
            Q(document__collection__blind_review=True) & Exists(final)
        )
    return suggestions


def bulk_preview(**scope) -> int:
    return bulk_candidates(**scope).count()


def _event(type: str, *, document_id: int, collection_id: int, user, payload: dict) -> Event:
    return Event(
        type=str(type),
        payload=payload,
        document_id=document_id,
        collection_id=collection_id,
        owner_id=user.pk,
        actor_id=user.pk,
    )


def _suggestion_payload(s: Suggestion, label: Label, user, annotation_id=None) -> dict:
    return {
        "suggestion": {
            "id": s.pk,
            "document_id": s.document_id,
            "start": s.start,
            "end": s.end,
            "label": label.slug,
            "suggester": s.suggester,
        },
        "reviewer": user.pk,
        "annotation_id": annotation_id,
    }


@transaction.atomic
def bulk_decide(
    *,
    user,
    action: str,
    label: Label,
    min_score: float,
    document: Document | None = None,
    collection: Collection | None = None,
) -> SuggestionBulkDecision:
    """Decide every candidate at once. Accepting makes the user's annotations (a span they
    already annotated with this label is decided without a second annotation)."""
    if action not in ACTIONS:
        raise ValidationError({"action": "Must be accept or reject."})
    if action == "accept":
        label = label_for_new_work(label)
    scope = {"document": document, "collection": collection}
    candidates = bulk_candidates(user=user, label=label, min_score=min_score, **scope)
    # Lock the documents (as single decisions do), then the suggestions themselves.
    document_ids = list(
        Document.objects.select_for_update()
        .filter(pk__in=candidates.values("document_id"))
        .values_list("pk", flat=True)
    )
    suggestions = list(
        candidates.select_for_update(of=("self",))
        .filter(document_id__in=document_ids)
        .select_related("document__collection")
    )
    status = ACTIONS[action]
    now = timezone.now()
    bulk = SuggestionBulkDecision.objects.create(
        reviewer=user,
        status=status,
        label=label,
        min_score=min_score,
        document=document,
        collection=collection,
        decided=len(suggestions),
        created_at=now,
    )
    annotations: dict[int, Annotation] = {}
    if status == SuggestionStatus.ACCEPTED:
        annotations = _annotations_create(suggestions, user=user, label=label)
    SuggestionDecision.objects.bulk_create(
        [
            SuggestionDecision(
                suggestion=s,
                reviewer=user,
                status=status,
                annotation=annotations.get(s.pk),
                decided_at=now,
                bulk=bulk,
            )
            for s in suggestions
        ],
        batch_size=1000,
    )
    open_ids = [s.pk for s in suggestions if not s.document.collection.blind_review]
    Suggestion.objects.filter(pk__in=open_ids).update(
        status=status, decided_by=user, decided_at=now
    )
    events = []
    for s in suggestions:
        where = {"document_id": s.document_id, "collection_id": s.document.collection_id}
        annotation = annotations.get(s.pk)
        if annotation is not None:
            events.append(
                _event(
                    EventType.ANNOTATION_CREATED,
                    user=user,
                    payload=annotation_payload(annotation),
                    **where,
                )
            )
        accepted = status == SuggestionStatus.ACCEPTED
        events.append(
            _event(
                EventType.SUGGESTION_ACCEPTED if accepted else EventType.SUGGESTION_REJECTED,
                user=user,
                payload=_suggestion_payload(s, label, user, getattr(annotation, "pk", None)),
                **where,
            )
        )
    record_events(events)
    if suggestions:  # bulk_create sends no post_save: check the retraining trigger once
        transaction.on_commit(queue_retrain_if_due)
    return bulk


def _annotations_create(suggestions: list[Suggestion], *, user, label: Label) -> dict:
    """The user's annotation per suggestion (with history rows), except where they already
    have one on that span and label."""
    have = set(
        Annotation.objects.filter(
            document_id__in={s.document_id for s in suggestions},
            created_by=user,
            label=label,
            is_final=False,
        ).values_list("document_id", "start", "end")
    )
    rows, made = [], {}
    for s in suggestions:
        key = (s.document_id, s.start, s.end)
        if key in have:
            continue
        have.add(key)
        made[s.pk] = Annotation(
            document_id=s.document_id,
            start=s.start,
            end=s.end,
            quote=s.quote,
            label=label,
            created_by=user,
            origin=Origin.SUGGESTION,
            suggestion=s,
            revision=s.revision,
        )
        rows.append(made[s.pk])
    if rows:
        bulk_create_with_history(
            rows, Annotation, batch_size=1000, default_user=user, default_change_reason="bulk"
        )
    for annotation in rows:
        annotation.label = label  # payloads read the slug without a query
    return made


@dataclass
class BulkUndo:
    undone: int  # decisions taken back (their suggestions open again)
    kept: list[int] = field(default_factory=list)  # annotations kept, with their decisions


@transaction.atomic
def bulk_undo(*, bulk: SuggestionBulkDecision, user) -> BulkUndo:
    """Take back a bulk decision in a constant number of queries: its decisions are removed,
    its suggestions open again, and the annotations it made are deleted (with history rows and
    events). An annotation edited since, or that gained evidence or a verdict, is kept with
    the decision that made it (`kept`: their ids)."""
    current = SuggestionBulkDecision.objects.select_for_update().get(pk=bulk.pk)
    if current.reviewer_id != user.pk:
        raise PermissionDenied("Only the reviewer who made a bulk decision can undo it.")
    if current.undone_at is not None:
        raise ValidationError("This bulk decision was already undone.")
    decisions = list(current.decisions.values_list("pk", "suggestion_id", "annotation_id"))
    made = [annotation_id for _, _, annotation_id in decisions if annotation_id is not None]
    annotations = list(
        Annotation.objects.select_for_update(of=("self",))
        .filter(pk__in=made)
        .annotate(
            has_evidence=Exists(Evidence.objects.filter(annotation=OuterRef("pk"))),
            has_verdict=Exists(Verdict.objects.filter(annotation=OuterRef("pk"))),
        )
        .select_related("label", "document__collection")
    )
    _work_open_check(annotations, user=user)
    kept = sorted(a.pk for a in annotations if a.version != 1 or a.has_evidence or a.has_verdict)
    removed = [a for a in annotations if a.pk not in set(kept)]
    _annotations_delete(removed, user=user)
    undone = [(pk, suggestion_id) for pk, suggestion_id, a in decisions if a not in set(kept)]
    SuggestionDecision.objects.filter(pk__in=[pk for pk, _ in undone]).delete()
    Suggestion.objects.filter(pk__in=[s for _, s in undone], decided_by=user).update(
        status=SuggestionStatus.PENDING, decided_by=None, decided_at=None
    )
    current.undone_at = timezone.now()
    current.save(update_fields=["undone_at"])
    return BulkUndo(undone=len(undone), kept=kept)


def _work_open_check(annotations: list[Annotation], *, user) -> None:
    """As annotation_delete checks per annotation: blind-review work marked done is final."""
    blind = {a.document_id for a in annotations if a.document.collection.blind_review}
    if blind and not is_lead(user):
        final = Assignment.objects.filter(document_id__in=blind, reviewer=user, status="done")
        if final.exists():
            raise ValidationError(FINAL_MESSAGE, code="final")


def _annotations_delete(annotations: list[Annotation], *, user) -> None:
    """Delete the annotations with a history row and an event each, in a few queries (a
    queryset delete would write their history one row at a time). Evidence and verdicts are
    not among them; the decisions pointing at them lose the link, as on_delete says."""
    if not annotations:
        return
    now = timezone.now()
    history = Annotation.history.model
    history.objects.bulk_create(
        [
            history(
                history_date=now,
                history_user=user,
                history_change_reason="deleted",
                history_type="-",
                **{f.attname: getattr(a, f.attname) for f in history.tracked_fields},
            )
            for a in annotations
        ],
        batch_size=1000,
    )
    record_events(
        _event(
            EventType.ANNOTATION_DELETED,
            document_id=a.document_id,
            collection_id=a.document.collection_id,
            user=user,
            payload=annotation_payload(a),
        )
        for a in annotations
    )
    ids = [a.pk for a in annotations]
    SuggestionDecision.objects.filter(annotation_id__in=ids).update(annotation=None)
    # No cascade is left to follow (checked above) and the history row is written: a raw
    # delete, so no per-row post_delete signal writes history one query at a time.
    Annotation.objects.filter(pk__in=ids)._raw_delete(Annotation.objects.db)
