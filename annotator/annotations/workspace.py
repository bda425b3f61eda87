"""What the document page shows, read for one request: the whole #workspace (page loads,
polls, conflicts) or only what a write changed (htmx out-of-band swaps).

A write answers with the paragraphs its spans touch, the changed sidebar rows and the
counts: its size and cost do not grow with the number of spans in the document.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.safestring import mark_safe

from annotator.anchoring.selectors import anchoring_counts
from annotator.annotations.highlights import (
    AnnotationRow,
    SuggestionRow,
    annotation_rows_html,
    paragraph_range,
    paragraph_starts,
    paragraphs_html,
    paragraphs_touched,
    suggestion_rows_html,
    text_html,
)
from annotator.annotations.queue_selectors import document_fingerprint, document_next_for_user
from annotator.annotations.selectors import annotation_list, document_work_is_final, label_list_all
from annotator.claims.selectors import claim_summaries
from annotator.models import Assignment, AssignmentStatus
from annotator.permissions import can_change_annotation, is_lead
from annotator.suggestions.selectors import suggestion_pending_list
from corpus.models import Document

User = get_user_model()
SIDEBAR_LIMIT = 200
# The columns the page shows, in AnnotationRow / SuggestionRow order.
ANNOTATION_FIELDS = (
    "id", "start", "end", "quote", "label_id", "note", "evidence_url", "created_by_id",
    f"created_by__{User.USERNAME_FIELD}", "origin", "version", "is_final",
)  # fmt: skip
SUGGESTION_FIELDS = ("id", "start", "end", "quote", "label_id", "score", "rationale", "suggester")


def annotation_rows(annotations, *, by_id: dict, user, document=None) -> list[AnnotationRow]:
    """Plain rows, not models: 2,000 model instances (dates, JSON, users) cost ~50 ms.
    With `document`, each row carries its claim summary (annotator.claims)."""
    claims = claim_summaries(document=document) if document is not None else {}
    rows = [
        AnnotationRow(pk, start, end, quote, by_id[label_id], *rest)
        for pk, start, end, quote, label_id, *rest in annotations.values_list(*ANNOTATION_FIELDS)
    ]
    for row in rows:
        row.can_change = can_change_annotation(user, row)
        row.claim = claims.get(row.pk, "")
        url = row.evidence_url
        row.evidence_href = url if url.startswith(("http://", "https://")) else ""
    return rows


def suggestion_rows(suggestions, *, by_id: dict) -> list[SuggestionRow]:
    return [
        SuggestionRow(pk, start, end, quote, by_id[label_id], *rest)
        for pk, start, end, quote, label_id, *rest in suggestions.values_list(*SUGGESTION_FIELDS)
    ]


def _labels(request: HttpRequest | None = None) -> tuple[list, dict]:
    every_label = label_list_all()
    if request is not None:
        request.label_rows = every_label  # read again by the page's labels.css link
    return [label for label in every_label if not label.archived], {
        label.pk: label for label in every_label
    }


def workspace_context(
    request: HttpRequest,
    document: Document,
    *,
    show_all: bool = False,
    assignment: Assignment | None = None,
    **extra,
) -> dict:
    """The #workspace context. The sidebar lists at most SIDEBAR_LIMIT rows of each kind
    unless `show_all` (thousands of rows make the page slow to parse; the text shows all)."""
    user = request.user
    labels, by_id = _labels(request)
    annotations = annotation_rows(
        annotation_list(document=document, user=user), by_id=by_id, user=user, document=document
    )
    suggestions = suggestion_rows(
        suggestion_pending_list(document=document, user=user), by_id=by_id
    )
    if assignment is None:
        assignment = Assignment.objects.filter(document=document, reviewer=user).first()
    limit = None if show_all else SIDEBAR_LIMIT
    return {
        "document": document,
        "labels": labels,
        "annotations": annotations,
        "suggestions": suggestions,
        "annotation_count": len(annotations),
        "suggestion_count": len(suggestions),
        # text_html escapes every piece of document text and every attribute.
        "text_html": mark_safe(
            text_html(text=document.text, annotations=annotations, suggestions=suggestions)
        ),
        # Built in Python: a template loop over 2,000 rows costs ~0.5 s; markup mirrors it.
        "annotation_rows": mark_safe(
            annotation_rows_html(
                document_id=document.pk,
                annotations=annotations[:limit],
                created=extra.get("created"),
            )
        ),
        "suggestion_rows": mark_safe(
            suggestion_rows_html(document_id=document.pk, suggestions=suggestions[:limit])
        ),
        "annotations_hidden": max(0, len(annotations) - (limit or len(annotations))),
        "suggestions_hidden": max(0, len(suggestions) - (limit or len(suggestions))),
        "assignment": assignment,
        "is_done": assignment is not None and assignment.status == AssignmentStatus.DONE,
        "is_final": document_work_is_final(document=document, user=user),
        "next_document": document_next_for_user(document=document, user=user),
        "fingerprint": document_fingerprint(document=document, user=user),
        "to_review": anchoring_counts(user=user, document=document),
        "can_recheck": bool(document.source_url) and is_lead(user),
        **extra,
    }


def changes_context(
    request: HttpRequest,
    document: Document,
    *,
    ranges: Iterable[tuple[int, int]],
    rows: Iterable[int] = (),
    removed: Iterable[str] = (),
    **extra,
) -> dict:
    """Only what a write changed: the paragraphs the `ranges` touch, the annotation `rows`
    (ids) to insert or replace, the sidebar elements (`removed` ids) to take away, counts."""
    user = request.user
    text = document.text
    starts = paragraph_starts(text)
    touched = sorted({i for s, e in ranges for i in paragraphs_touched(starts, s, e)})
    lo = paragraph_range(starts, touched[0], len(text))[0] if touched else 0
    hi = paragraph_range(starts, touched[-1], len(text))[1] if touched else 0
    _, by_id = _labels()
    visible = annotation_list(document=document, user=user)
    pending = suggestion_pending_list(document=document, user=user)
    near = annotation_rows(
        visible.filter(start__lt=hi, end__gt=lo), by_id=by_id, user=user, document=document
    )
    near_sug = suggestion_rows(pending.filter(start__lt=hi, end__gt=lo), by_id=by_id)
    paragraphs = paragraphs_html(
        text=text, annotations=near, suggestions=near_sug, starts=starts, only=touched
    )
    wanted = set(rows)
    changed = [a for a in near if a.pk in wanted]
    missing = wanted - {a.pk for a in changed}
    if missing:  # rows outside the touched paragraphs (never for a span's own write)
        changed += annotation_rows(
            visible.filter(pk__in=missing), by_id=by_id, user=user, document=document
        )
    row_html = annotation_rows_html(
        document_id=document.pk, annotations=changed, created=extra.get("created")
    )
    removals = "".join(f'<li data-remove="{name}"></li>' for name in removed)
    return {
        "document": document,
        # The swapped paragraphs replace their namesakes (hx-swap-oob) in the text.
        "paragraphs": [
            mark_safe(
                html.replace('<span class="para"', '<span hx-swap-oob="true" class="para"', 1)
            )
            for html in paragraphs.values()
        ],
        "incoming": mark_safe(row_html + removals),
        "annotation_count": visible.count(),
        "suggestion_count": pending.count(),
        "fingerprint": document_fingerprint(document=document, user=user),
        **extra,
    }
