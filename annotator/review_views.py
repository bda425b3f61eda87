"""Review workflow pages: assignments, agreement, adjudication (compare view), dashboards.

Thin: review_selectors read, services.reviews write, templates render. Writes answer with a
redirect (post/redirect/get) and a message, so every page works without JavaScript;
static/annotator/review.js only adds keyboard shortcuts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from annotator.agreement import DocumentSpans, document_agreement, span_clusters
from annotator.models import Annotation, Assignment, AssignmentStatus, Label, SuggestionDecision
from annotator.permissions import can_adjudicate, can_assign, can_view_reviewer_stats, is_lead
from annotator.review_selectors import (
    agreement_report_for,
    assignment_status_counts,
    assignment_table,
    collection_list_with_counts,
    compare_annotations,
    documents_done_count,
    label_counts,
    reviewer_agreement_pairs,
    reviewer_list,
    reviewer_progress,
    suggestion_acceptance,
    throughput_per_day,
)
from annotator.selectors import document_for_user
from annotator.services.reviews import (
    agreement_report_request,
    collection_assign_round_robin,
    collection_settings_update,
    documents_assign,
    final_annotation_create,
    final_annotation_delete,
)
from corpus.models import Collection

ASSIGN_PAGE_SIZE = 50
WORST_SHOWN = 20


def _require(check: Callable, user) -> None:
    if not check(user):
        raise PermissionDenied("This page is for leads.")


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


# Charts: server-side SVG geometry, drawn by templates with presentation attributes only.


def bar_chart(items: Sequence[tuple[str, float, str]], *, width: int = 420) -> dict:
    """Horizontal bars: (name, value, colour) -> rows with x/y/width for an <svg>."""
    label_w, row_h, value_w = 130, 24, 60
    top = max((value for _, value, _ in items), default=0) or 1
    span = width - label_w - value_w
    rows = [
        {
            "name": name,
            "value": value,
            "colour": colour,
            "y": i * row_h,
            "text_y": i * row_h + 16,
            "width": round(span * value / top, 1),
            "value_x": label_w + round(span * value / top, 1) + 6,
        }
        for i, (name, value, colour) in enumerate(items)
    ]
    return {"rows": rows, "width": width, "height": max(1, len(rows)) * row_h, "bar_x": label_w}


def column_chart(items: Sequence[tuple[str, int]], *, height: int = 140) -> dict:
    """Vertical columns (one per day): (name, value) -> columns with x/y/height."""
    col_w, gap, base = 26, 6, 20
    top = max((value for _, value in items), default=0) or 1
    area = height - base - 16
    columns = []
    for i, (name, value) in enumerate(items):
        h = round(area * value / top, 1)
        x = i * (col_w + gap)
        y = height - base - h
        columns.append(
            {
                "name": name,
                "value": value,
                "x": x,
                "y": y,
                "height": h,
                "mid": x + col_w / 2,
                "value_y": y - 3,
            }
        )
    return {
        "columns": columns,
        "width": max(1, len(items)) * (col_w + gap),
        "height": height,
        "col_w": col_w,
        "label_y": height - 5,
    }


def _label_chart(rows: list[dict]) -> dict:
    return bar_chart([(row["label"].name, row["value"], row["label"].colour) for row in rows])


def _throughput_chart(rows: list[dict]) -> dict:
    return column_chart([(row["day"].strftime("%d"), row["value"]) for row in rows])


def _acceptance_chart(rows: list[dict], colours: dict[str, str]) -> dict:
    return bar_chart(
        [
            (
                f"{row['suggester']} · {row['label__slug']}",
                round(100 * row["precision"]),
                colours.get(row["label__slug"], "#59636e"),
            )
            for row in rows
        ]
    )


# Pages ---------------------------------------------------------------------------------


@login_required
def review_index(request: HttpRequest) -> HttpResponse:
    """Leads: collections and reviewers. Reviewers go to their own dashboard."""
    if not is_lead(request.user):
        return redirect("review-reviewer", user_id=request.user.pk)
    context = {"collections": collection_list_with_counts(), "reviewers": reviewer_list()}
    return render(request, "annotator/review/index.html", context)


class AssignForm(forms.Form):
    action = forms.ChoiceField(choices=[("selected", "selected"), ("round_robin", "round robin")])
    reviewers = forms.ModelMultipleChoiceField(queryset=get_user_model().objects.none())
    documents = forms.ModelMultipleChoiceField(queryset=None, required=False)
    k = forms.IntegerField(min_value=1, required=False, initial=2, label="Reviewers per document")

    def __init__(self, *args, collection: Collection, reviewers: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = get_user_model().objects.filter(
            pk__in=[r.pk for r in reviewers]
        )
        self.fields["documents"].queryset = collection.documents.all()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "selected" and not data.get("documents"):
            self.add_error("documents", "Tick at least one document to assign.")
        if data.get("action") == "round_robin" and not data.get("k"):
            self.add_error("k", "Say how many reviewers each document gets.")
        return data


@login_required
def collection_assign(request: HttpRequest, slug: str) -> HttpResponse:
    _require(can_assign, request.user)
    collection = get_object_or_404(Collection, slug=slug)
    reviewers = reviewer_list()
    form = AssignForm(request.POST or None, collection=collection, reviewers=reviewers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "round_robin":
                created = collection_assign_round_robin(
                    collection=collection,
                    reviewers=list(data["reviewers"]),
                    k=data["k"],
                    assigned_by=request.user,
                )
            else:
                created = documents_assign(
                    documents=data["documents"],
                    reviewers=list(data["reviewers"]),
                    assigned_by=request.user,
                )
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, f"{created} new assignment(s).")
            return redirect(request.get_full_path())
    page = Paginator(collection.documents.order_by("id"), ASSIGN_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "collection": collection,
        "form": form,
        "reviewers": reviewers,
        "chosen": {str(pk) for pk in form["reviewers"].value() or []},
        "page": page,
        "documents": assignment_table(documents=page.object_list),
    }
    return render(
        request, "annotator/review/assign.html", context, status=422 if form.errors else 200
    )


@login_required
@require_POST
def collection_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Blind review and assigned-only visibility, set by a lead from the assignment page."""
    _require(can_assign, request.user)
    collection = get_object_or_404(Collection, slug=slug)
    collection_settings_update(
        collection=collection,
        user=request.user,
        blind_review=request.POST.get("blind_review") == "on",
        assigned_only=request.POST.get("assigned_only") == "on",
    )
    messages.success(request, "Review settings saved.")
    return redirect("review-assign", slug=collection.slug)


@login_required
def collection_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    _require(is_lead, request.user)
    collection = get_object_or_404(Collection, slug=slug)
    annotations = Annotation.objects.filter(document__collection=collection, is_final=False)
    labels = label_counts(annotations=annotations)
    acceptance = suggestion_acceptance(
        decisions=SuggestionDecision.objects.filter(suggestion__document__collection=collection)
    )
    colours = {row["label"].slug: row["label"].colour for row in labels}
    context = {
        "collection": collection,
        "documents": documents_done_count(documents=collection.documents.all()),
        "assignments": assignment_status_counts(
            assignments=Assignment.objects.filter(document__collection=collection)
        ),
        "label_chart": _label_chart(labels),
        "throughput_chart": _throughput_chart(throughput_per_day(annotations=annotations)),
        "acceptance": acceptance,
        "acceptance_chart": _acceptance_chart(acceptance, colours),
        "reviewers": reviewer_progress(collection=collection),
        "report": agreement_report_for(collection=collection),
    }
    return render(request, "annotator/review/collection.html", context)


@login_required
def reviewer_dashboard(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=user_id)
    if not can_view_reviewer_stats(request.user, person):
        raise PermissionDenied("You can see only your own dashboard.")
    annotations = Annotation.objects.filter(created_by=person, is_final=False)
    labels = label_counts(annotations=annotations)
    acceptance = suggestion_acceptance(decisions=SuggestionDecision.objects.filter(reviewer=person))
    colours = {row["label"].slug: row["label"].colour for row in labels}
    assignments = Assignment.objects.filter(reviewer=person)
    context = {
        "person": person,
        "assignments": assignment_status_counts(assignments=assignments),
        "open_assignments": assignments.exclude(status=AssignmentStatus.DONE)
        .select_related("document")
        .only("status", "document__title", "document_id")[:WORST_SHOWN],
        "label_chart": _label_chart(labels),
        "throughput_chart": _throughput_chart(throughput_per_day(annotations=annotations)),
        "acceptance": acceptance,
        "acceptance_chart": _acceptance_chart(acceptance, colours),
        "pairs": reviewer_agreement_pairs(username=person.get_username()),
    }
    return render(request, "annotator/review/reviewer.html", context)


@login_required
def collection_agreement(request: HttpRequest, slug: str) -> HttpResponse:
    _require(is_lead, request.user)
    collection = get_object_or_404(Collection, slug=slug)
    report = agreement_report_for(collection=collection)
    data = report.data if report else {}
    context = {
        "collection": collection,
        "report": report,
        "overall": data.get("overall"),
        "labels": data.get("labels", []),
        "pairs": data.get("pairs", [])[:WORST_SHOWN],
        "documents": data.get("documents", [])[:WORST_SHOWN],
        "documents_total": len(data.get("documents", [])),
    }
    return render(request, "annotator/review/agreement.html", context)


@login_required
@require_POST
def collection_agreement_refresh(request: HttpRequest, slug: str) -> HttpResponse:
    _require(is_lead, request.user)
    collection = get_object_or_404(Collection, slug=slug)
    agreement_report_request(collection=collection)
    messages.success(request, "Agreement is being computed; reload in a moment.")
    return redirect("review-agreement", slug=collection.slug)


# Compare view and adjudication -----------------------------------------------------------


def _compare_context(document, annotations: list[Annotation]) -> dict:
    """Reviewers' spans grouped into overlapping clusters, with the final spans beside them."""
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
    rows = []
    for number, cluster in enumerate(span_clusters(spans), start=1):

        def inside(a: Annotation, c=cluster) -> bool:
            return a.start < c.end and a.end > c.start

        cells = [
            {"coder": c, "position": i, "annotations": [a for a in by_coder[c] if inside(a)]}
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
    _require(can_adjudicate, request.user)
    document = document_for_user(document_id=document_id, user=request.user)
    context = {
        "document": document,
        "labels": Label.objects.order_by("order", "id"),
        **_compare_context(document, compare_annotations(document=document)),
    }
    return render(request, "annotator/review/compare.html", context)


class FinalForm(forms.Form):
    start = forms.IntegerField(min_value=0, required=False)
    end = forms.IntegerField(min_value=1, required=False)
    label = forms.SlugField(required=False)
    note = forms.CharField(required=False, max_length=5000)
    row = forms.IntegerField(required=False)


def _from_ids(request: HttpRequest) -> list[int]:
    try:
        return [int(v) for v in request.POST.getlist("from_ids") if v.strip()]
    except ValueError:
        raise ValidationError({"from_ids": "Annotation ids must be numbers."}) from None


@login_required
@require_POST
def final_add(request: HttpRequest, document_id: int) -> HttpResponse:
    """Pick (from_ids only), edit (from_ids + changes) or add (span + label) a final span."""
    _require(can_adjudicate, request.user)
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
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, f"Added to the final set: {final.label.name} “{final.quote[:60]}”."
        )
    anchor = f"#row-{data['row']}" if data.get("row") else "#final"
    return redirect(url + anchor)


@login_required
@require_POST
def final_remove(request: HttpRequest, document_id: int, annotation_id: int) -> HttpResponse:
    _require(can_adjudicate, request.user)
    document = document_for_user(document_id=document_id, user=request.user)
    annotation = get_object_or_404(Annotation, pk=annotation_id, document=document, is_final=True)
    final_annotation_delete(annotation=annotation, user=request.user)
    messages.success(request, f"Removed from the final set: “{annotation.quote[:60]}”.")
    return redirect(reverse("review-compare", args=[document.pk]) + "#final")
