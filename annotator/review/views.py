"""Review workflow pages: assignments, agreement, adjudication (compare view), dashboards.

Thin: review_selectors read, services.reviews write, templates render. Writes answer with a
redirect (post/redirect/get) and a message, so every page works without JavaScript;
static/review/review.js only adds keyboard shortcuts.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from annotator.annotations.forms import error_text
from annotator.models import Annotation, Assignment, AssignmentStatus, SuggestionDecision
from annotator.permissions import can_assign, can_view_reviewer_stats, is_lead
from annotator.review.charts import acceptance_chart, label_chart, throughput_chart
from annotator.review.forms import AssignForm
from annotator.review.selectors import (
    agreement_report_for,
    assignment_status_counts,
    assignment_table,
    collection_list_with_counts,
    documents_done_count,
    label_counts,
    reviewer_agreement_pairs,
    reviewer_list,
    reviewer_progress,
    throughput_per_day,
)
from annotator.review.services import (
    agreement_report_request,
    collection_assign_round_robin,
    collection_settings_update,
    documents_assign,
)
from annotator.suggestions.selectors import suggestion_acceptance
from corpus.models import Collection

ASSIGN_PAGE_SIZE = 50
WORST_SHOWN = 20


def require(check: Callable, user) -> None:
    if not check(user):
        raise PermissionDenied("This page is for leads.")


# Pages ---------------------------------------------------------------------------------


@login_required
def review_index(request: HttpRequest) -> HttpResponse:
    """Leads: collections and reviewers. Reviewers go to their own dashboard."""
    if not is_lead(request.user):
        return redirect("review-reviewer", user_id=request.user.pk)
    context = {"collections": collection_list_with_counts(), "reviewers": reviewer_list()}
    return render(request, "review/index.html", context)


@login_required
def collection_assign(request: HttpRequest, slug: str) -> HttpResponse:
    require(can_assign, request.user)
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
            form.add_error(None, error_text(exc))
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
    return render(request, "review/assign.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def collection_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """Blind review and assigned-only visibility, set by a lead from the assignment page."""
    require(can_assign, request.user)
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
    require(is_lead, request.user)
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
        "label_chart": label_chart(labels),
        "throughput_chart": throughput_chart(throughput_per_day(annotations=annotations)),
        "acceptance": acceptance,
        "acceptance_chart": acceptance_chart(acceptance, colours),
        "reviewers": reviewer_progress(collection=collection),
        "report": agreement_report_for(collection=collection),
    }
    return render(request, "review/collection.html", context)


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
        "label_chart": label_chart(labels),
        "throughput_chart": throughput_chart(throughput_per_day(annotations=annotations)),
        "acceptance": acceptance,
        "acceptance_chart": acceptance_chart(acceptance, colours),
        "pairs": reviewer_agreement_pairs(username=person.get_username()),
    }
    return render(request, "review/reviewer.html", context)


@login_required
def collection_agreement(request: HttpRequest, slug: str) -> HttpResponse:
    require(is_lead, request.user)
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
    return render(request, "review/agreement.html", context)


@login_required
@require_POST
def collection_agreement_refresh(request: HttpRequest, slug: str) -> HttpResponse:
    require(is_lead, request.user)
    collection = get_object_or_404(Collection, slug=slug)
    agreement_report_request(collection=collection)
    messages.success(request, "Agreement is being computed; reload in a moment.")
    return redirect("review-agreement", slug=collection.slug)
