"""Re-anchoring spans on a document's new revision, and a reviewer's decisions on them.

Annotations and pending suggestions whose offsets refer to an older revision are placed in
the current text (see mapping.py). An annotation that cannot be placed confidently stays an
orphan with its old revision, offsets and quote; one whose quoted words were edited moves to
the edited words and is flagged "text changed". A pending suggestion is moved only when its
words and its paragraph are unchanged; otherwise it is dropped, and the suggesters read the
changed paragraphs of the new text again. History records every move.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from annotator.anchoring.mapping import ORPHANED, Anchorer, Placement
from annotator.annotations.services import span_check, work_open_check
from annotator.enqueue import DOCUMENT_REANCHOR, task
from annotator.models import AnchorMethod, AnchorState, Annotation
from annotator.models.claims import Evidence, Verdict
from annotator.models.suggestions import (
    Suggestion,
    SuggestionDecision,
    SuggestionRun,
    SuggestionStatus,
)
from annotator.permissions import can_change_annotation
from corpus.models import Document, DocumentRevision

logger = logging.getLogger(__name__)

MOVED_FIELDS = [
    "start",
    "end",
    "quote",
    "revision",
    "anchor_state",
    "anchor_method",
    "anchor_confidence",
    "version",
    "updated_at",
]


@dataclass
class ReanchorSummary:
    revision: int
    changed: list[tuple[int, int]] = field(default_factory=list)  # lines changed, new text
    placements: dict[int, Placement] = field(default_factory=dict)
    suggestions_moved: int = 0
    suggestions_dropped: int = 0

    def count(self, state: str) -> int:
        return sum(1 for p in self.placements.values() if p.state == state)


def reanchor_queue(*, document_id: int) -> None:
    """Queue the re-anchoring once the transaction that made the revision commits."""
    transaction.on_commit(lambda: task(DOCUMENT_REANCHOR).delay(document_id))


def _anchorers(document_id: int, numbers: set[int], text: str) -> dict[int, Anchorer]:
    old_texts = DocumentRevision.objects.filter(
        document_id=document_id, number__in=numbers
    ).values_list("number", "text")
    threshold = settings.ANCHOR_FUZZY_THRESHOLD
    return {n: Anchorer(old, text, fuzzy_threshold=threshold) for n, old in old_texts}


@transaction.atomic
def document_reanchor(*, document_id: int) -> ReanchorSummary | None:
    """Place every span not on the document's current revision; safe to run twice."""
    row = (
        Document.objects.select_for_update()
        .filter(pk=document_id)
        .values_list("revision", "text")
        .first()
    )
    if row is None:
        return None
    current, text = row
    annotations = list(Annotation.objects.filter(document_id=document_id).exclude(revision=current))
    decided = Exists(SuggestionDecision.objects.filter(suggestion=OuterRef("pk")))
    suggestions = list(
        Suggestion.objects.filter(document_id=document_id, status=SuggestionStatus.PENDING)
        .exclude(revision=current)
        .exclude(decided)
    )
    numbers = {a.revision for a in annotations} | {s.revision for s in suggestions}
    if current > 1:
        numbers.add(current - 1)  # the paragraphs this revision changed are suggested again
    anchorers = _anchorers(document_id, numbers, text)
    summary = ReanchorSummary(revision=current, changed=_changed_paragraphs(anchorers))
    moved = []
    now = timezone.now()
    for annotation in annotations:
        placement = _place(anchorers.get(annotation.revision), annotation)
        summary.placements[annotation.pk] = placement
        if _annotation_move(annotation, placement, current, text):
            annotation.updated_at = now
            moved.append(annotation)
    if moved:
        bulk_update_with_history(
            moved,
            Annotation,
            MOVED_FIELDS,
            batch_size=500,
            default_change_reason=f"re-anchored to revision {current}",
        )
    _suggestions_reanchor(suggestions, anchorers, current, text, summary)
    if (
        summary.changed
        and settings.SUGGEST_ON_IMPORT
        and not _suggested_since(document_id, current)
    ):
        paragraphs = {"revision": current, "ranges": [list(r) for r in summary.changed]}
        transaction.on_commit(lambda: _suggest_again(document_id, paragraphs))
    return summary


def _suggested_since(document_id: int, number: int) -> bool:
    """A run on this document started after the revision was made read its text already
    (this re-anchoring ran before, or a reviewer started one)."""
    made = DocumentRevision.objects.filter(document_id=document_id, number=number).values(
        "created_at"
    )
    return SuggestionRun.objects.filter(
        document_id=document_id, created_at__gte=Subquery(made[:1])
    ).exists()


def _changed_paragraphs(anchorers: dict[int, Anchorer]) -> list[tuple[int, int]]:
    """Lines of the current text changed since any revision a span is re-anchored from."""
    ranges = sorted(r for anchorer in anchorers.values() for r in anchorer.changed_paragraphs())
    merged: list[tuple[int, int]] = []
    for a, b in ranges:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _place(anchorer: Anchorer | None, span) -> Placement:
    """No old text to compare with (a revision row missing): never guess, orphan it."""
    return anchorer.place(span.start, span.end, span.quote) if anchorer else ORPHANED


def _suggest_again(document_id: int, paragraphs: dict) -> None:
    """The suggesters read the changed paragraphs of the new text (suggestions elsewhere
    were moved with their unchanged words)."""
    from annotator.suggestions.runs import SuggestionsUnavailable, suggestion_run_start

    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return
    try:
        suggestion_run_start(document=document, paragraphs=paragraphs)
    except SuggestionsUnavailable as exc:
        logger.warning("No new suggestions after re-anchoring document %s: %s", document_id, exc)


def _annotation_move(annotation: Annotation, placement: Placement, current: int, text: str) -> bool:
    """Apply a placement; False if nothing changes (an orphan that stays one)."""
    if not placement.placed:
        if annotation.anchor_state == AnchorState.ORPHAN:
            return False
        annotation.anchor_state = AnchorState.ORPHAN
        annotation.anchor_method = ""
        annotation.anchor_confidence = 0.0
    else:
        annotation.start, annotation.end = placement.start, placement.end
        annotation.quote = text[placement.start : placement.end]
        annotation.revision = current
        annotation.anchor_state = placement.state
        annotation.anchor_method = placement.method
        annotation.anchor_confidence = placement.confidence
    annotation.version += 1
    return True


def _suggestions_reanchor(suggestions, anchorers, current, text, summary) -> None:
    """Keep a pending suggestion whose words are unchanged in an unchanged paragraph; drop
    the others: the suggesters read the changed paragraphs again."""
    keep, drop = [], []
    for suggestion in suggestions:
        placement = _place(anchorers.get(suggestion.revision), suggestion)
        touched = placement.placed and any(
            a < placement.end and placement.start < b for a, b in summary.changed
        )
        if placement.state != AnchorState.ANCHORED or touched:
            drop.append(suggestion.pk)
            continue
        suggestion.start, suggestion.end = placement.start, placement.end
        suggestion.quote, suggestion.revision = text[placement.start : placement.end], current
        keep.append(suggestion)
    Suggestion.objects.bulk_update(keep, ["start", "end", "quote", "revision"], batch_size=500)
    Suggestion.objects.filter(pk__in=drop).delete()
    summary.suggestions_moved, summary.suggestions_dropped = len(keep), len(drop)


# A reviewer's decisions on a span the re-anchoring flagged


def _review_check(annotation: Annotation, user) -> Annotation:
    if not can_change_annotation(user, annotation):
        raise PermissionDenied("You cannot change another reviewer's annotation.")
    current = (
        Annotation.objects.select_for_update()
        .select_related("document")
        .filter(pk=annotation.pk)
        .first()
    )
    if current is None:
        raise ValidationError("This annotation was deleted meanwhile.")
    work_open_check(document=current.document, user=user)
    return current


@transaction.atomic
def anchor_confirm(*, annotation: Annotation, user) -> Annotation:
    """The span the re-anchoring chose for edited text is right: it becomes anchored."""
    current = _review_check(annotation, user)
    if current.anchor_state != AnchorState.TEXT_CHANGED:
        raise ValidationError("Only a span flagged \u201ctext changed\u201d can be confirmed.")
    if current.revision != current.document.revision:
        raise ValidationError("The document changed again; this span is being re-anchored.")
    current.anchor_state, current.anchor_method = AnchorState.ANCHORED, AnchorMethod.REVIEWER
    current.anchor_confidence = 1.0
    current.version += 1
    current._change_reason = "re-anchoring confirmed"
    current.save()
    return current


@transaction.atomic
def anchor_replace(*, annotation: Annotation, user, start: int, end: int, quote: str | None = None):
    """Place an orphan or a flagged span on text the reviewer selected in the current revision."""
    current = _review_check(annotation, user)
    document = Document.objects.select_for_update().get(pk=current.document_id)
    current.quote = span_check(document=document, start=start, end=end, quote=quote)
    current.start, current.end, current.revision = start, end, document.revision
    current.anchor_state, current.anchor_method = AnchorState.ANCHORED, AnchorMethod.REVIEWER
    current.anchor_confidence = 1.0
    current.version += 1
    current._change_reason = "re-placed by a reviewer"
    current.save()
    return current


@transaction.atomic
def anchor_discard(*, annotation: Annotation, user) -> None:
    """The span has no place in the new text: delete it (history keeps it, it can be restored)."""
    current = _review_check(annotation, user)
    if current.anchor_state == AnchorState.ANCHORED:
        raise ValidationError(
            "Only an orphan or a span flagged \u201ctext changed\u201d is discarded here."
        )
    _claim_work_check(current)
    current._change_reason = "discarded after a revision"
    current.delete()


def _claim_work_check(annotation: Annotation) -> None:
    """A claim's evidence and verdict would go with it: re-placing keeps them, so refuse."""
    evidence = Evidence.objects.filter(annotation=annotation).count()
    has_verdict = Verdict.objects.filter(annotation=annotation).exists()
    if evidence or has_verdict:
        carries = " and ".join(
            part
            for part in (
                f"{evidence} evidence item{'s' if evidence != 1 else ''}" if evidence else "",
                "a verdict" if has_verdict else "",
            )
            if part
        )
        raise ValidationError(
            f"This claim carries {carries}; discarding would delete them. Re-place it on the "
            "new text instead (select the words that now say it)."
        )
