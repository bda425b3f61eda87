"""Import by URL and re-check (leads): queue fetches, then follow their progress."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from annotator.annotations.forms import error_text
from annotator.annotations.selectors import document_for_user
from annotator.annotations.views import HtmxHttpRequest, reviewer_required
from annotator.permissions import is_lead
from corpus.models import Collection, DocumentFetch
from corpus.services import collection_get_or_create
from corpus.urlimport import document_recheck_request, url_import_request

PROGRESS_LIMIT = 100


def _lead(request: HtmxHttpRequest) -> None:
    if not is_lead(request.user):
        raise PermissionDenied("Only leads import and re-check documents.")


@reviewer_required
def url_import(request: HtmxHttpRequest) -> HttpResponse:
    _lead(request)
    error, urls, slug = "", "", request.GET.get("collection", "")
    if request.method == "POST":
        urls, slug = request.POST.get("urls", ""), request.POST.get("collection", "")
        try:
            collection = collection_get_or_create(slug=slug or "default")
            fetches = url_import_request(urls=urls, collection=collection, user=request.user)
        except ValidationError as exc:
            error = error_text(exc)
        else:
            ids = ",".join(str(f.pk) for f in fetches)
            return redirect(reverse("anchoring-fetches") + "?" + urlencode({"ids": ids}))
    context = {
        "error": error,
        "urls": urls,
        "collection": slug,
        "collections": Collection.objects.order_by("name"),
    }
    return render(request, "anchoring/import.html", context, status=422 if error else 200)


@reviewer_required
@require_GET
def fetch_progress(request: HtmxHttpRequest) -> HttpResponse:
    """The fetches asked for (?ids=), or the latest ones; htmx polls the list until done."""
    _lead(request)
    fetches = DocumentFetch.objects.select_related("collection", "document").order_by("-id")
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.strip().isdigit()]
    if ids:
        fetches = fetches.filter(pk__in=ids[:PROGRESS_LIMIT])
    fetches = list(fetches[:PROGRESS_LIMIT])
    context = {
        "fetches": fetches,
        "ids": ",".join(map(str, ids)),
        "running": any(not f.finished for f in fetches),
    }
    template = "anchoring/fetches.html" + ("#fetch-list" if request.htmx else "")
    return render(request, template, context)


@reviewer_required
@require_POST
def document_recheck(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    _lead(request)
    document = document_for_user(document_id=document_id, user=request.user)
    try:
        fetch = document_recheck_request(document=document, user=request.user)
    except ValidationError as exc:
        return HttpResponse(error_text(exc), status=422, content_type="text/plain")
    return redirect(reverse("anchoring-fetches") + "?" + urlencode({"ids": fetch.pk}))
