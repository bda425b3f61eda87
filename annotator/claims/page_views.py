"""The claims page (a collection's claims with their sources and verdicts, filtered and
counted) and the lead's queue of verdicts to publish. Thin: selectors read, verdicts.py writes.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from annotator.annotations.forms import error_text, form_errors_text
from annotator.annotations.views import reviewer_required
from annotator.claims import rules
from annotator.claims.forms import ClaimFilterForm, PublishForm
from annotator.claims.selectors import (
    annotation_for_claims,
    claim_facets,
    claim_list_for_user,
    claim_rows,
    claims_filter,
    desk_rules_by_collection,
    verdict_for_annotation,
    verdicts_to_publish,
)
from annotator.claims.services import ClaimConflict
from annotator.claims.verdicts import verdict_transition
from annotator.permissions import can_publish_verdict
from corpus.models import Collection

CLAIMS_PAGE = "claims/claims.html"
QUEUE_PAGE = "claims/publish_queue.html"
PAGE_SIZE = 50
FILTERS = {"label": "Label", "rating": "Rating", "state": "State", "reviewer": "Reviewer"}


@reviewer_required
@require_GET
def claims_page(request: HttpRequest, slug: str = "") -> HttpResponse:
    """Every claim (an annotation with sources or a verdict) the user may see, in one
    collection or all of them; filters by label, rating, state and reviewer, with counts."""
    collection = get_object_or_404(Collection, slug=slug) if slug else None
    form = ClaimFilterForm(request.GET)
    context = {"collection": collection, "can_publish": can_publish_verdict(request.user)}
    template = CLAIMS_PAGE + ("#claims-results" if request.htmx else "")
    if not form.is_valid():
        context.update(error=form_errors_text(form), facets={})
        return render(request, template, context, status=400)
    filters = {f: form.cleaned_data[f] for f in FILTERS}
    claims = claim_list_for_user(user=request.user)
    facets = claim_facets(claims=claims, collection=slug, **filters)
    rows = claim_rows(claims_filter(claims, collection=slug, **filters))
    page = Paginator(rows, PAGE_SIZE).get_page(form.cleaned_data["page"])
    query = request.GET.copy()
    query.pop("page", None)
    selects = [
        {"name": f, "title": title, "any": "Any", "values": facets[f], "selected": filters[f]}
        for f, title in FILTERS.items()
    ]
    context.update(facets=facets, selects=selects, page=page, query=query.urlencode())
    return render(request, template, context)


def queue_context(request: HttpRequest, **extra) -> dict:
    collection = request.GET.get("collection", "") or request.POST.get("collection", "")
    if collection and not slug_re.fullmatch(collection):
        raise BadRequest("collection: Enter a collection's slug (letters, numbers, - and _).")
    page = Paginator(verdicts_to_publish(collection=collection), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    by_collection = desk_rules_by_collection(
        collection_ids={v.annotation.document.collection_id for v in page}
    )
    rows = []
    for verdict in page:
        annotation = verdict.annotation
        checks = rules.checklist(
            annotation=annotation,
            evidence=annotation.evidence.all(),
            verdict=verdict,
            rules=by_collection[annotation.document.collection_id],
        )
        rows.append({"verdict": verdict, "checks": checks, "ready": all(c.passed for c in checks)})
    return {"page": page, "rows": rows, "collection": collection, **extra}


def _lead(request: HttpRequest) -> None:
    if not can_publish_verdict(request.user):
        raise PermissionDenied("Only leads publish verdicts; reviewers propose them.")


@reviewer_required
@require_GET
def publish_queue(request: HttpRequest) -> HttpResponse:
    """The lead's queue: verdicts in review, each with its desk checklist and a Publish button."""
    _lead(request)
    template = QUEUE_PAGE + ("#publish-queue" if request.htmx else "")
    return render(request, template, queue_context(request))


@reviewer_required
@require_POST
def verdict_publish(request: HttpRequest, annotation_id: int) -> HttpResponse:
    """Publish one verdict from the queue; the queue comes back with what happened."""
    _lead(request)
    annotation = annotation_for_claims(annotation_id=annotation_id, user=request.user)
    verdict = verdict_for_annotation(annotation=annotation)
    form = PublishForm(request.POST)
    status, extra = 200, {}
    try:
        if verdict is None:
            raise Http404("This claim has no verdict.")
        if not form.is_valid():
            raise ValidationError(form_errors_text(form))
        verdict_transition(
            verdict=verdict, user=request.user, to="published", version=form.cleaned_data["version"]
        )
        extra["flash"] = f"Published: {verdict.rating.name} · {verdict.claim_reviewed}"
    except ClaimConflict as exc:
        status, extra["error"] = 409, str(exc)
    except Http404 as exc:
        status, extra["error"] = 409, str(exc)
    except ValidationError as exc:
        status, extra["error"] = 422, error_text(exc)
    if not request.htmx and status == 200:
        collection = request.POST.get("collection", "")
        back = reverse("claims-publish-queue")
        return redirect(f"{back}?{urlencode({'collection': collection})}" if collection else back)
    template = QUEUE_PAGE + ("#publish-queue" if request.htmx else "")
    return render(request, template, queue_context(request, **extra), status=status)


@reviewer_required
@require_GET
def verdict_detail(request: HttpRequest, verdict_id: int) -> HttpResponse:
    """A verdict's own address (the default `url` of the ClaimReview export): its claim."""
    visible = claim_list_for_user(user=request.user).filter(verdict__pk=verdict_id)
    annotation = get_object_or_404(visible)
    return redirect("claims-claim", annotation.pk)
