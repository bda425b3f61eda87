"""Reads for reviewing revisions: the revisions of a document, the diff between two with the
spans on each side, and the per-collection queue of orphans and "text changed" spans."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404

from annotator.anchoring.mapping import CONTEXT, text_diff
from annotator.annotations.selectors import annotation_list_for_user
from annotator.models import AnchorState, Annotation
from corpus.models import Collection, Document, DocumentRevision

REVIEW_STATES = (AnchorState.ORPHAN, AnchorState.TEXT_CHANGED)


def revision_list(*, document: Document) -> QuerySet[DocumentRevision]:
    """The document's revisions, oldest first, without their texts and pages."""
    return (
        DocumentRevision.objects.filter(document=document)
        .defer("text", "warc")
        .select_related("created_by")
        .order_by("number")
    )


def revision_get(*, document: Document, number: int) -> DocumentRevision:
    revision = (
        DocumentRevision.objects.filter(document=document, number=number).defer("warc").first()
    )
    if revision is None:
        raise Http404(f"Document {document.pk} has no revision {number}.")
    return revision


@dataclass
class DiffPiece:
    op: str  # "equal", "insert" or "delete"
    text: str
    spans: list = field(default_factory=list)  # labels of the spans covering this piece


@dataclass
class RevisionDiff:
    old: DocumentRevision
    new: DocumentRevision
    pieces: list[DiffPiece]
    insertions: int = 0
    deletions: int = 0


def _old_spans(*, document: Document, number: int, visible_ids: set[int]) -> list:
    """Spans as they were on revision `number`: the last history record of each on it."""
    records = (
        Annotation.history.filter(document_id=document.pk, revision=number, id__in=visible_ids)
        .select_related("label")
        .order_by("id", "-history_id")
    )
    latest: dict[int, object] = {}
    for record in records:
        latest.setdefault(record.id, record)
    return list(latest.values())


def revision_diff(*, document: Document, user, old: int, new: int) -> RevisionDiff:
    """The diff of two revisions, pieces marked with the spans the user may see on each side:
    deletions with the old revision's spans, insertions and unchanged text with the new's."""
    old_rev = revision_get(document=document, number=old)
    new_rev = revision_get(document=document, number=new)
    visible = annotation_list_for_user(user=user).filter(document=document)
    visible_ids = set(visible.values_list("id", flat=True))
    new_spans = list(visible.filter(revision=new).select_related("label"))
    old_spans = _old_spans(document=document, number=old, visible_ids=visible_ids)
    result = RevisionDiff(old_rev, new_rev, [])
    old_pos = new_pos = 0
    for op, chunk in text_diff(old_rev.text, new_rev.text):
        kind = {0: "equal", 1: "insert", -1: "delete"}[op]
        spans, at = (old_spans, old_pos) if op < 0 else (new_spans, new_pos)
        result.pieces.extend(_split(kind, chunk, at, spans))
        if op == 1:
            result.insertions += len(chunk)
        elif op == -1:
            result.deletions += len(chunk)
        old_pos += len(chunk) if op <= 0 else 0
        new_pos += len(chunk) if op >= 0 else 0
    return result


def _split(kind: str, chunk: str, at: int, spans: list) -> list[DiffPiece]:
    """Cut a chunk where spans start or end, so each piece knows which spans cover it."""
    end = at + len(chunk)
    inside = [s for s in spans if s.start < end and s.end > at]
    cuts = sorted(
        {at, end, *(s.start for s in inside if at < s.start < end)}
        | {s.end for s in inside if at < s.end < end}
    )
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        labels = [s.label.name for s in inside if s.start < b and s.end > a]
        pieces.append(DiffPiece(kind, chunk[a - at : b - at], labels))
    return pieces


@dataclass
class QueueItem:
    annotation: Annotation
    before: str
    after: str
    on_current: bool


def anchoring_queue(*, user, collection: Collection) -> QuerySet[Annotation]:
    """Orphans and "text changed" spans of a collection the user may see, document by document."""
    return (
        annotation_list_for_user(user=user)
        .filter(document__collection=collection, anchor_state__in=REVIEW_STATES)
        .select_related("document", "label", "created_by")
        .order_by("document_id", "start", "id")
    )


def queue_items(annotations: list[Annotation]) -> list[QueueItem]:
    """Each span with its context, from the revision its offsets refer to (one query)."""
    pairs = {(a.document_id, a.revision) for a in annotations}
    texts: dict[tuple[int, int], str] = {}
    if pairs:
        rows = DocumentRevision.objects.filter(
            document_id__in={d for d, _ in pairs}, number__in={n for _, n in pairs}
        ).values_list("document_id", "number", "text")
        texts = {(d, n): t for d, n, t in rows if (d, n) in pairs}
    items = []
    for a in annotations:
        text = texts.get((a.document_id, a.revision), "")
        items.append(
            QueueItem(
                annotation=a,
                before=text[max(0, a.start - 2 * CONTEXT) : a.start],
                after=text[a.end : a.end + 2 * CONTEXT],
                on_current=a.revision == a.document.revision,
            )
        )
    return items


def anchoring_counts(*, user, document: Document) -> dict[str, int]:
    """How many of the document's spans wait for a reviewer, by state (the document page)."""
    counts = dict.fromkeys(REVIEW_STATES, 0)
    rows = (
        annotation_list_for_user(user=user)
        .filter(document=document, anchor_state__in=REVIEW_STATES)
        .values_list("anchor_state", flat=True)
    )
    for state in rows:
        counts[state] += 1
    return {"orphan": counts[AnchorState.ORPHAN], "text_changed": counts[AnchorState.TEXT_CHANGED]}
