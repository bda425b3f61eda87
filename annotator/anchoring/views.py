"""Pages for living documents: the diff between revisions, the per-collection queue of spans
to re-place, confirm or discard, and re-placing one span on the current text."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from annotator.anchoring.selectors import anchoring_queue, queue_items, revision_diff, revision_list
from annotator.anchoring.services import anchor_confirm, anchor_discard, anchor_replace
from annotator.annotations.forms import error_text
from annotator.annotations.selectors import annotation_list_for_user, document_for_user
from annotator.annotations.views import HtmxHttpRequest, reviewer_required
from corpus.models import Collection

QUEUE_PAGE_SIZE = 50


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


@reviewer_required
@require_GET
def document_diff(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """?old=&new= revision numbers; by default the current revision against the one before."""
    document = document_for_user(document_id=document_id, user=request.user)
    new = _int(request.GET.get("new"), document.revision)
    old = _int(request.GET.get("old"), max(1, new - 1))
    diff = revision_diff(document=document, user=request.user, old=old, new=new)
    context = {
        "document": document,
        "diff": diff,
        "revisions": revision_list(document=document),
    }
    return render(request, "anchoring/diff.html", context)


@reviewer_required
@require_GET
def collection_queue(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    collection = get_object_or_404(Collection, slug=slug)
    annotations = anchoring_queue(user=request.user, collection=collection)
    page = Paginator(annotations, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "collection": collection,
        "page": page,
        "items": queue_items(list(page.object_list)),
        "flash": request.GET.get("done", "")[:100],
    }
    return render(request, "anchoring/queue.html", context)


def _back_to_queue(slug: str, done: str) -> HttpResponse:
    return redirect(reverse("anchoring-queue", args=[slug]) + "?" + urlencode({"done": done}))


def _annotation(request: HtmxHttpRequest, annotation_id: int):
    return get_object_or_404(
        annotation_list_for_user(user=request.user).select_related("document__collection"),
        pk=annotation_id,
    )


@reviewer_required
@require_POST
def anchor_decide(request: HtmxHttpRequest, annotation_id: int) -> HttpResponse:
    """Confirm a "text changed" span or discard a span (the queue's c and d keys)."""
    annotation = _annotation(request, annotation_id)
    action = request.POST.get("action")
    actions = {"confirm": anchor_confirm, "discard": anchor_discard}
    if action not in actions:
        return HttpResponse("Unknown action: use confirm or discard.", status=400)
    try:
        actions[action](annotation=annotation, user=request.user)
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    except ValidationError as exc:
        response = HttpResponse(error_text(exc), status=409, content_type="text/plain")
        return (
            reswap(retarget(response, "#anchor-error"), "innerHTML") if request.htmx else response
        )
    if request.htmx:
        return HttpResponse("")  # the row is removed
    return _back_to_queue(annotation.document.collection.slug, action)


@reviewer_required
def anchor_place(request: HtmxHttpRequest, annotation_id: int) -> HttpResponse:
    """GET: the current text to select the span's new place; POST: place it there."""
    annotation = _annotation(request, annotation_id)
    document = document_for_user(document_id=annotation.document_id, user=request.user)
    error = ""
    if request.method == "POST":
        try:
            anchor_replace(
                annotation=annotation,
                user=request.user,
                start=_int(request.POST.get("start"), -1),
                end=_int(request.POST.get("end"), -1),
                quote=request.POST.get("quote"),
            )
        except PermissionDenied as exc:
            return HttpResponse(str(exc), status=403)
        except ValidationError as exc:
            error = error_text(exc)
        else:
            return _back_to_queue(document.collection.slug, "placed")
    (item,) = queue_items([annotation])
    context = {"annotation": annotation, "item": item, "document": document, "error": error}
    return render(request, "anchoring/place.html", context, status=422 if error else 200)
