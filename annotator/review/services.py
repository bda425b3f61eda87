"""Review workflow: a reviewer's status per document, assignments, adjudication, agreement."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import cycle

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Length
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from annotator.annotations.services import (
    annotation_create,
    annotation_delete,
    label_resolve,
    work_open_check,
)
from annotator.enqueue import AGREEMENT_REPORT_REFRESH, task
from annotator.events.services import review_event
from annotator.models import (
    AgreementReport,
    AnchorState,
    Annotation,
    Assignment,
    AssignmentStatus,
    Label,
)
from annotator.permissions import can_adjudicate, can_assign, can_be_assigned
from annotator.review.agreement import DocumentSpans, agreement_report
from corpus.models import Collection, Document


def assignment_start(*, document: Document, reviewer) -> Assignment:
    """Mark the document in progress for the reviewer (creating their record if needed).

    Reopening a document already started writes nothing, so on SQLite it never waits for the
    write lock while workers store suggestions.
    """
    current = Assignment.objects.filter(document=document, reviewer=reviewer).first()
    if current is not None and current.status != AssignmentStatus.ASSIGNED:
        return current
    return _assignment_start_locked(document=document, reviewer=reviewer)


@transaction.atomic
def _assignment_start_locked(*, document: Document, reviewer) -> Assignment:
    assignment, _ = Assignment.objects.select_for_update().get_or_create(
        document=document, reviewer=reviewer
    )
    if assignment.status == AssignmentStatus.ASSIGNED:
        assignment.status = AssignmentStatus.IN_PROGRESS
        assignment.started_at = timezone.now()
        assignment.save(update_fields=["status", "started_at"])
    return assignment


@transaction.atomic
def assignment_mark_done(
    *, document: Document, reviewer, done: bool = True, actor=None
) -> Assignment:
    """Mark the reviewer's work done (or in progress again, unless that work is final)."""
    if not done:
        work_open_check(document=document, user=reviewer)
    assignment = assignment_start(document=document, reviewer=reviewer)
    was_done = assignment.status == AssignmentStatus.DONE
    assignment.status = AssignmentStatus.DONE if done else AssignmentStatus.IN_PROGRESS
    assignment.done_at = timezone.now() if done else None
    assignment.save(update_fields=["status", "done_at"])
    if was_done != done:
        review_event(assignment, actor=actor or reviewer)
    return assignment


@transaction.atomic
def assignment_reopen(*, document: Document, reviewer, user) -> Assignment:
    """Mark a reviewer's work in progress again: their own (refused once final under blind
    review, as in the UI) or, for a lead, anyone's."""
    if reviewer.pk == user.pk:
        return assignment_mark_done(document=document, reviewer=reviewer, done=False)
    _require_assigner(user)
    assignment = (
        Assignment.objects.select_for_update()
        .filter(document=document, reviewer=reviewer, status=AssignmentStatus.DONE)
        .first()
    )
    if assignment is None:
        raise ValidationError(f"{reviewer.get_username()} has not marked this document done.")
    assignment.status = AssignmentStatus.IN_PROGRESS
    assignment.done_at = None
    assignment.save(update_fields=["status", "done_at"])
    review_event(assignment, actor=user)
    return assignment


# Assignments ---------------------------------------------------------------------------


def _require_assigner(user) -> None:
    if not can_assign(user):
        raise PermissionDenied("Only leads can assign documents.")


def _check_reviewers(reviewers: Sequence) -> list:
    reviewers = list(dict.fromkeys(reviewers))
    if not reviewers:
        raise ValidationError({"reviewers": "Choose at least one reviewer."})
    refused = [r.get_username() for r in reviewers if not can_be_assigned(r)]
    if refused:
        raise ValidationError(
            {"reviewers": f"Not a reviewer or lead, cannot be assigned: {', '.join(refused)}."}
        )
    return reviewers


@transaction.atomic
def assignment_create(*, document: Document, reviewer, assigned_by) -> Assignment:
    """Assign a document to a reviewer; an existing assignment is kept as it is."""
    _require_assigner(assigned_by)
    _check_reviewers([reviewer])
    assignment, created = Assignment.objects.get_or_create(
        document=document, reviewer=reviewer, defaults={"assigned_by": assigned_by}
    )
    if not created and assignment.assigned_by_id is None:
        assignment.assigned_by = assigned_by
        assignment.save(update_fields=["assigned_by"])
    return assignment


@transaction.atomic
def documents_assign(*, documents: Iterable[Document], reviewers: Sequence, assigned_by) -> int:
    """Assign every document to every reviewer; returns how many assignments were new."""
    _require_assigner(assigned_by)
    reviewers = _check_reviewers(reviewers)
    documents = list(documents)
    existing = set(
        Assignment.objects.filter(document__in=documents, reviewer__in=reviewers).values_list(
            "document_id", "reviewer_id"
        )
    )
    new = [
        Assignment(document=document, reviewer=reviewer, assigned_by=assigned_by)
        for document in documents
        for reviewer in reviewers
        if (document.pk, reviewer.pk) not in existing
    ]
    bulk_create_with_history(new, Assignment, batch_size=1000)
    return len(new)


@transaction.atomic
def collection_assign_round_robin(
    *, collection: Collection, reviewers: Sequence, k: int, assigned_by
) -> int:
    """Give every document of the collection k reviewers, taking reviewers in turn."""
    return documents_assign_round_robin(
        documents=collection.documents.all(), reviewers=reviewers, k=k, assigned_by=assigned_by
    )


@transaction.atomic
def documents_assign_round_robin(
    *, documents: QuerySet[Document], reviewers: Sequence, k: int, assigned_by
) -> int:
    """Give every document k of the reviewers, taking reviewers in turn.

    Reviewers already assigned to a document count towards its k, so running it again
    (or after adding documents) only fills the gaps. Returns how many assignments were new.
    """
    _require_assigner(assigned_by)
    reviewers = _check_reviewers(reviewers)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(reviewers):
        raise ValidationError(
            {"k": f"Reviewers per document must be between 1 and {len(reviewers)} (chosen)."}
        )
    document_ids = documents.order_by("id").values_list("id", flat=True)
    existing: dict[int, set[int]] = {}
    for document_id, reviewer_id in Assignment.objects.filter(
        document_id__in=documents.order_by().values("id"),
        reviewer_id__in=[r.pk for r in reviewers],
    ).values_list("document_id", "reviewer_id"):
        existing.setdefault(document_id, set()).add(reviewer_id)
    turn = cycle(range(len(reviewers)))
    new = []
    for document_id in document_ids.iterator(chunk_size=2000):
        have = existing.get(document_id, set())
        wanted = k - len(have)
        # Try at most one full round so a document never gets the same reviewer twice.
        for _ in range(len(reviewers)):
            if wanted <= 0:
                break
            reviewer = reviewers[next(turn)]
            if reviewer.pk not in have:
                have = have | {reviewer.pk}
                wanted -= 1
                new.append(
                    Assignment(document_id=document_id, reviewer=reviewer, assigned_by=assigned_by)
                )
    bulk_create_with_history(new, Assignment, batch_size=1000)
    return len(new)


@transaction.atomic
def collection_settings_update(
    *, collection: Collection, user, blind_review: bool, assigned_only: bool
) -> Collection:
    """The review settings of a collection: blind review, and reviewers see only assignments."""
    _require_assigner(user)
    collection.blind_review = blind_review
    collection.assigned_only = assigned_only
    collection.save(update_fields=["blind_review", "assigned_only"])
    return collection


@transaction.atomic
def assignment_delete(*, assignment: Assignment, user) -> None:
    _require_assigner(user)
    assignment.delete()


# Adjudication --------------------------------------------------------------------------


def _require_adjudicator(user) -> None:
    if not can_adjudicate(user):
        raise PermissionDenied("Only leads can adjudicate.")


@transaction.atomic
def final_annotation_create(
    *,
    document: Document,
    decided_by,
    from_ids: Sequence[int] = (),
    start: int | None = None,
    end: int | None = None,
    label: Label | str | int | None = None,
    note: str = "",
    revision: int | None = None,
) -> Annotation:
    """Add a span to the document's final set, recording who decided and from which spans.

    With ``from_ids`` the first of those reviewers' annotations gives the span and label
    unless ``start``/``end``/``label`` are given (an edit); without, it is a new span (an add).
    The final set refers to the document's current revision: ``revision`` is the one the lead
    saw (refused if the text changed since), and a source must be placed on it.
    """
    _require_adjudicator(decided_by)
    if revision is not None and revision != document.revision:
        raise ValidationError(
            {
                "revision": f"The document was revised (now revision {document.revision}, "
                f"this page showed {revision}); reload the page and decide again."
            }
        )
    ids = list(dict.fromkeys(int(pk) for pk in from_ids))
    sources = list(Annotation.objects.filter(pk__in=ids, document=document, is_final=False))
    if len(sources) != len(ids):
        missing = sorted(set(ids) - {a.pk for a in sources})
        raise ValidationError(
            {"from_ids": f"Not reviewers' annotations on this document: {missing}."}
        )
    elsewhere = [
        a.pk
        for a in sources
        if a.revision != document.revision or a.anchor_state == AnchorState.ORPHAN
    ]
    if elsewhere:
        raise ValidationError(
            {
                "from_ids": f"Annotations {elsewhere} are not placed on revision "
                f"{document.revision}: re-place them in the revisions queue first."
            }
        )
    sources.sort(key=lambda a: ids.index(a.pk))
    first = sources[0] if sources else None
    start = first.start if start is None and first else start
    end = first.end if end is None and first else end
    label = label or (first.label if first else None)
    if start is None or end is None or label is None:
        raise ValidationError("A new final span needs start, end and label.")
    label = label_resolve(label)
    if Annotation.objects.filter(
        document=document,
        is_final=True,
        revision=document.revision,
        start=start,
        end=end,
        label=label,
    ).exists():
        raise ValidationError(f"The final set already has this {label.slug} span at {start}-{end}.")
    return annotation_create(
        document=document,
        created_by=decided_by,
        start=start,
        end=end,
        label=label,
        note=note or (first.note if first else ""),
        evidence_url=first.evidence_url if first else "",
        is_final=True,
        adjudicated_from=[a.pk for a in sources],
    )


@transaction.atomic
def final_annotation_delete(*, annotation: Annotation, user) -> None:
    """Take a span out of the final set (reviewers' annotations are never touched here)."""
    _require_adjudicator(user)
    if not annotation.is_final:
        raise ValidationError("Only final annotations are removed here.")
    annotation_delete(annotation=annotation, user=user)


# Agreement -----------------------------------------------------------------------------


def _on_current_revision() -> Q:
    """Spans whose offsets refer to their document's current text (orphans keep an older one)."""
    return Q(revision=F("document__revision")) & ~Q(anchor_state=AnchorState.ORPHAN)


def _coders_of(annotations: QuerySet[Annotation], done: QuerySet[Assignment]) -> dict:
    """{document_id: {username: [spans]}}: reviewers' (non-final) spans on the document's
    current revision, plus done reviewers."""
    coders: dict[int, dict[str, list]] = {}
    rows = annotations.filter(_on_current_revision(), is_final=False).values_list(
        "document_id", "created_by__username", "start", "end", "label__slug"
    )
    for document_id, username, start, end, label in rows.order_by().iterator(chunk_size=5000):
        coders.setdefault(document_id, {}).setdefault(username, []).append((start, end, label))
    for document_id, username in done.values_list("document_id", "reviewer__username"):
        # Done without a single span is a judgement too: "nothing to tag here".
        coders.setdefault(document_id, {}).setdefault(username, [])
    return coders


def _excluded_of(annotations: QuerySet[Annotation]) -> dict[int, int]:
    """{document_id: reviewers' spans not on the current revision}, left out of agreement."""
    rows = (
        annotations.filter(is_final=False)
        .exclude(_on_current_revision())
        .values("document_id")
        .annotate(n=Count("id"))
        .values_list("document_id", "n")
        .order_by()
    )
    return dict(rows)


def document_spans(*, document: Document) -> DocumentSpans:
    annotations = Annotation.objects.filter(document=document)
    coders = _coders_of(
        annotations, Assignment.objects.filter(document=document, status=AssignmentStatus.DONE)
    ).get(document.pk, {})
    excluded = _excluded_of(annotations).get(document.pk, 0)
    return DocumentSpans(
        document.pk, document.title, len(document.text), coders, document.revision, excluded
    )


def collection_document_spans(*, collection: Collection) -> Iterator[DocumentSpans]:
    annotations = Annotation.objects.filter(document__collection=collection)
    coders = _coders_of(
        annotations,
        Assignment.objects.filter(document__collection=collection, status=AssignmentStatus.DONE),
    )
    excluded = _excluded_of(annotations)
    documents = (
        Document.objects.filter(pk__in=list(coders.keys() | excluded.keys()))
        .annotate(length=Length("text"))
        .values_list("id", "title", "length", "revision")
        .order_by("id")
    )
    for document_id, title, length, revision in documents.iterator(chunk_size=2000):
        yield DocumentSpans(
            document_id,
            title,
            length,
            coders.get(document_id, {}),
            revision,
            excluded.get(document_id, 0),
        )


def label_order() -> list[str]:
    return list(Label.objects.order_by("order", "id").values_list("slug", flat=True))


def agreement_report_refresh(*, collection_id: int) -> AgreementReport | None:
    """Compute a collection's agreement and cache it; quietly nothing if it is gone."""
    collection = Collection.objects.filter(pk=collection_id).first()
    if collection is None:
        return None
    data = agreement_report(collection_document_spans(collection=collection), label_order())
    report, _ = AgreementReport.objects.update_or_create(
        collection=collection, defaults={"data": data}
    )
    return report


def agreement_report_request(*, collection: Collection) -> None:
    """Queue the agreement computation once the current transaction commits."""
    transaction.on_commit(lambda: task(AGREEMENT_REPORT_REFRESH).delay(collection.pk))
