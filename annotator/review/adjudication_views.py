"""Adjudication: the compare page and the final set (lead only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from annotator.annotations.forms import error_text
from annotator.annotations.selectors import document_for_user
from annotator.models import AnchorState, Annotation, Assignment, AssignmentStatus, Label
from annotator.permissions import can_adjudicate
from annotator.review.agreement import DocumentSpans, document_agreement, span_clusters
from annotator.review.forms import FinalForm
from annotator.review.selectors import (
    compare_annotations,
)
from annotator.review.services import (
    final_annotation_create,
    final_annotation_delete,
)
from annotator.review.views import require

# Compare view and adjudication -----------------------------------------------------------


def _placed(document, annotation: Annotation) -> bool:
    return (
        annotation.revision == document.revision and annotation.anchor_state != AnchorState.ORPHAN
    )


def _compare_context(document, annotations: list[Annotation]) -> dict:
    """Reviewers' spans grouped into overlapping clusters, with the final spans beside them.

    Everything compared is on the document's current revision; spans whose offsets refer to
    an older text (orphans, or not re-anchored yet) are listed apart, never compared."""
    elsewhere = [a for a in annotations if not _placed(document, a)]
    annotations = [a for a in annotations if _placed(document, a)]
    final = [a for a in annotations if a.is_final]
    by_coder: dict[str, list[Annotation]] = {}
    for annotation in annotations:
        if not annotation.is_final:
            by_coder.setdefault(annotation.created_by.get_username(), []).append(annotation)
    done = Assignment.objects.filter(document=document, status=AssignmentStatus.DONE).values_list(
        "reviewer__username", flat=True
    )
    for username in done:
        by_coder.setdefault(username, [])
    coders = sorted(by_coder)
    spans = {c: [(a.start, a.end, a.label.slug) for a in by_coder[c]] for c in coders}
    # Each coder's annotations by span, handed out to the clusters that hold those spans.
    pools: dict[str, dict[tuple, list[Annotation]]] = {c: {} for c in coders}
    for c in coders:
        for a in by_coder[c]:
            pools[c].setdefault((a.start, a.end, a.label.slug), []).append(a)
    rows = []
    for number, cluster in enumerate(span_clusters(spans), start=1):

        def inside(a: Annotation, c=cluster) -> bool:
            return a.start < c.end and a.end > c.start

        cells = [
            {
                "coder": c,
                "position": i,
                "annotations": sorted(
                    (pools[c][span].pop(0) for span in cluster.by_coder[c]),
                    key=lambda a: (a.start, a.end, a.pk),
                ),
            }
            for i, c in enumerate(coders, start=1)
        ]
        ids = [a.pk for cell in cells for a in cell["annotations"]]
        first = next(a for cell in cells for a in cell["annotations"])
        rows.append(
            {
                "number": number,
                "start": cluster.start,
                "end": cluster.end,
                "agreed": cluster.agreed,
                "cells": cells,
                "ids": ids,
                "first": first,
                "finals": [a for a in final if inside(a)],
            }
        )
    length = len(document.text) or 1
    figures = document_agreement(
        DocumentSpans(document.pk, document.title, len(document.text), spans),
        list(Label.objects.order_by("order", "id").values_list("slug", flat=True)),
    )
    return {
        "coders": coders,
        "rows": rows,
        "final": final,
        "figures": figures if len(coders) > 1 else None,
        "tracks": _tracks(coders, by_coder, final, rows, length),
        "disagreements": sum(1 for row in rows if not row["agreed"]),
        "elsewhere": elsewhere,
        "text_changed": sum(1 for a in annotations if a.anchor_state == AnchorState.TEXT_CHANGED),
    }


def _tracks(coders, by_coder, final, rows, length: int) -> dict:
    """One SVG lane per reviewer plus the final set; disputed ranges shaded behind."""
    width, lane, name_w = 900, 22, 110
    scale = (width - name_w) / length

    def rect(a: Annotation) -> dict:
        return {
            "x": round(name_w + a.start * scale, 1),
            "width": max(2.0, round((a.end - a.start) * scale, 1)),
            "colour": a.label.colour,
            "title": f"{a.label.name}: {a.quote[:80]}",
            "letter": a.label.letter,
        }

    lanes = [
        {"name": c, "y": i * lane, "text_y": i * lane + 15, "rects": [rect(a) for a in by_coder[c]]}
        for i, c in enumerate(coders)
    ]
    n = len(coders)
    lanes.append(
        {"name": "final", "y": n * lane, "text_y": n * lane + 15, "rects": [rect(a) for a in final]}
    )
    shades = [
        {
            "number": row["number"],
            "x": round(name_w + row["start"] * scale, 1),
            "width": max(2.0, round((row["end"] - row["start"]) * scale, 1)),
        }
        for row in rows
        if not row["agreed"]
    ]
    return {
        "lanes": lanes,
        "shades": shades,
        "width": width,
        "height": (n + 1) * lane,
        "lane_h": lane - 4,
    }


@login_required
def document_compare(request: HttpRequest, document_id: int) -> HttpResponse:
    require(can_adjudicate, request.user)
    document = document_for_user(document_id=document_id, user=request.user)
    context = {
        "document": document,
        "labels": Label.objects.order_by("order", "id"),
        **_compare_context(document, compare_annotations(document=document)),
    }
    return render(request, "review/compare.html", context)


def _from_ids(request: HttpRequest) -> list[int]:
    try:
        return [int(v) for v in request.POST.getlist("from_ids") if v.strip()]
    except ValueError:
        raise ValidationError({"from_ids": "Annotation ids must be numbers."}) from None


@login_required
@require_POST
def final_add(request: HttpRequest, document_id: int) -> HttpResponse:
    """Pick (from_ids only), edit (from_ids + changes) or add (span + label) a final span."""
    require(can_adjudicate, request.user)
    document = document_for_user(document_id=document_id, user=request.user)
    form = FinalForm(request.POST)
    url = reverse("review-compare", args=[document.pk])
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect(url)
    data = form.cleaned_data
    try:
        final = final_annotation_create(
            document=document,
            decided_by=request.user,
            from_ids=_from_ids(request),
            start=data["start"],
            end=data["end"],
            label=data["label"] or None,
            note=data["note"],
            revision=data["revision"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, f"Added to the final set: {final.label.name} “{final.quote[:60]}”."
        )
    anchor = f"#row-{data['row']}" if data.get("row") else "#final"
    return redirect(url + anchor)


@login_required
@require_POST
def final_remove(request: HttpRequest, document_id: int, annotation_id: int) -> HttpResponse:
    require(can_adjudicate, request.user)
    document = document_for_user(document_id=document_id, user=request.user)
    annotation = get_object_or_404(Annotation, pk=annotation_id, document=document, is_final=True)
    final_annotation_delete(annotation=annotation, user=request.user)
    messages.success(request, f"Removed from the final set: “{annotation.quote[:60]}”.")
    return redirect(reverse("review-compare", args=[document.pk]) + "#final")
