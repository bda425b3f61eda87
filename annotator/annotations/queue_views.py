"""The reviewer's queue: their documents with per-label counts, status and progress."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotator.annotations.queue_selectors import (
    QUEUE_ORDERS,
    collection_progress,
    queue_counts,
    queue_documents,
)
from annotator.annotations.selectors import label_list_all
from annotator.annotations.views import HtmxHttpRequest, reviewer_required
from annotator.models import AssignmentStatus

QUEUE_PAGE_SIZE = 25


@reviewer_required
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    collection = request.GET.get("collection", "")
    search = request.GET.get("q", "").strip()
    order = request.GET.get("order", "")
    if order not in QUEUE_ORDERS:
        order = ""
    documents = queue_documents(
        user=request.user, collection=collection, search=search, order=order
    )
    page = Paginator(documents, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = queue_counts(user=request.user, document_ids=[d.pk for d in page])
    labels = label_list_all()
    rows = [
        {
            "document": d,
            "status": AssignmentStatus(d.my_status).label if d.my_status else "Not started",
            "status_slug": d.my_status or "assigned",
            "labels": [(label, counts[d.pk]["labels"].get(label.slug, 0)) for label in labels],
            "open": counts[d.pk]["open"],
        }
        for d in page
    ]
    context = {
        "page": page,
        "rows": rows,
        "labels": labels,
        "progress": collection_progress(user=request.user),
        "collection": collection,
        "q": search,
        "order": order,
    }
    template = "annotations/queue.html" + ("#queue-table" if request.htmx else "")
    return render(request, template, context)
