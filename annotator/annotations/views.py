"""Reviewer pages and htmx partials: the queue and the document page. Thin: selectors read,
services write, templates render. Every htmx write answers with the #workspace fragment
(status bar, messages, text and sidebar), so text and sidebar never disagree."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget
from django_htmx.middleware import HtmxDetails

from annotator.anchoring.selectors import anchoring_counts
from annotator.annotations.forms import (
    AnnotationEditForm,
    AnnotationForm,
    VersionForm,
    error_text,
    form_errors_text,
)
from annotator.annotations.highlights import (
    AnnotationRow,
    SuggestionRow,
    annotation_rows_html,
    suggestion_rows_html,
    text_html,
)
from annotator.annotations.queue_selectors import (
    collection_progress,
    document_fingerprint,
    document_next_for_user,
    queue_counts,
    queue_documents,
)
from annotator.annotations.selectors import (
    annotation_for_user,
    annotation_list,
    document_for_user,
    document_work_is_final,
    label_list,
)
from annotator.annotations.services import (
    AnnotationConflict,
    AnnotationDuplicate,
    AnnotationGone,
    annotation_create,
    annotation_delete,
    annotation_restore,
    annotation_update,
)
from annotator.claims.selectors import claim_summaries
from annotator.models import Annotation, Assignment, AssignmentStatus
from annotator.permissions import can_annotate, can_change_annotation, is_lead
from annotator.review.services import assignment_mark_done, assignment_start
from annotator.suggestions.selectors import suggestion_pending_list
from corpus.models import Document

User = get_user_model()
QUEUE_PAGE_SIZE = 25
SIDEBAR_LIMIT = 200
WORKSPACE = "annotations/document.html#workspace"
GONE = "Not saved: this annotation was deleted meanwhile."
# The columns the page shows, in AnnotationRow / SuggestionRow order.
ANNOTATION_FIELDS = (
    "id", "start", "end", "quote", "label_id", "note", "evidence_url", "created_by_id",
    f"created_by__{User.USERNAME_FIELD}", "origin", "version", "is_final",
)  # fmt: skip
SUGGESTION_FIELDS = ("id", "start", "end", "quote", "label_id", "score", "rationale", "suggester")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def reviewer_required(view: Callable) -> Callable:
    """Logged in (else to the login page) and holding a role (else 403)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not can_annotate(request.user):
            raise PermissionDenied("Your account has no reviewer role: ask an admin for one.")
        return view(request, *args, **kwargs)

    return wrapper


# Queue


@reviewer_required
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    collection = request.GET.get("collection", "")
    search = request.GET.get("q", "").strip()
    documents = queue_documents(user=request.user, collection=collection, search=search)
    page = Paginator(documents, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = queue_counts(user=request.user, document_ids=[d.pk for d in page])
    labels = label_list()
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
    }
    template = "annotations/queue.html" + ("#queue-table" if request.htmx else "")
    return render(request, template, context)


# Document page


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
    labels = label_list()
    by_id = {label.pk: label for label in labels}
    # Plain rows, not models: 2,000 model instances (dates, JSON, users) cost ~50 ms.
    annotations = [
        AnnotationRow(pk, start, end, quote, by_id[label_id], *rest)
        for pk, start, end, quote, label_id, *rest in annotation_list(
            document=document, user=user
        ).values_list(*ANNOTATION_FIELDS)
    ]
    suggestions = [
        SuggestionRow(pk, start, end, quote, by_id[label_id], *rest)
        for pk, start, end, quote, label_id, *rest in suggestion_pending_list(
            document=document, user=user
        ).values_list(*SUGGESTION_FIELDS)
    ]
    claims = claim_summaries(document=document)
    for annotation in annotations:
        annotation.can_change = can_change_annotation(user, annotation)
        annotation.claim = claims.get(annotation.pk, "")
        url = annotation.evidence_url
        annotation.evidence_href = url if url.startswith(("http://", "https://")) else ""
    if assignment is None:
        assignment = Assignment.objects.filter(document=document, reviewer=user).first()
    limit = None if show_all else SIDEBAR_LIMIT
    return {
        "document": document,
        "labels": labels,
        "annotations": annotations,
        "suggestions": suggestions,
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


def workspace_response(
    request: HttpRequest, document: Document, *, status: int = 200, **extra
) -> HttpResponse:
    if not request.htmx and status == 200:
        # A plain form post (no JavaScript): back to the page, which shows the result.
        return redirect("annotator-document", document.pk)
    context = workspace_context(request, document, **extra)
    return render(request, WORKSPACE, context, status=status)


@reviewer_required
@require_GET
def document_detail(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document = document_for_user(document_id=document_id, user=request.user)
    assignment = assignment_start(document=document, reviewer=request.user)
    show_all = request.GET.get("all") == "1"
    context = workspace_context(request, document, show_all=show_all, assignment=assignment)
    template = WORKSPACE if request.htmx else "annotations/document.html"
    return render(request, template, context)


@reviewer_required
@require_GET
def document_changes(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    """Polled every few seconds: 204 while nothing changed, else the fresh workspace."""
    document = document_for_user(document_id=document_id, user=request.user)
    if request.GET.get("v") == document_fingerprint(document=document, user=request.user):
        return HttpResponse(status=204)
    return workspace_response(request, document)


@reviewer_required
@require_POST
def document_done(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document = document_for_user(document_id=document_id, user=request.user)
    done = request.POST.get("done", "1") != "0"
    try:
        assignment_mark_done(document=document, reviewer=request.user, done=done)
    except ValidationError as exc:
        return workspace_response(request, document, status=409, error=error_text(exc))
    message = "Marked done." if done else "Marked in progress again."
    return workspace_response(request, document, flash=message)


@reviewer_required
@require_POST
def annotation_add(request: HtmxHttpRequest, document_id: int) -> HttpResponse:
    document = document_for_user(document_id=document_id, user=request.user)
    form = AnnotationForm(request.POST)
    if not form.is_valid():
        return workspace_response(request, document, status=422, error=form_errors_text(form))
    try:
        annotation = annotation_create(
            document=document, created_by=request.user, **form.cleaned_data
        )
    except AnnotationDuplicate as exc:
        return workspace_response(request, document, status=409, error=exc.messages[0])
    except ValidationError as exc:
        return workspace_response(request, document, status=422, error=error_text(exc))
    return workspace_response(
        request, document, flash=f"Tagged {annotation.label.name}.", created=annotation.pk
    )


def _annotation_for_user(request: HttpRequest, document_id: int, annotation_id: int):
    document = document_for_user(document_id=document_id, user=request.user)
    annotation = annotation_for_user(
        document=document, annotation_id=annotation_id, user=request.user
    )
    return document, annotation


@reviewer_required
def annotation_edit(request: HtmxHttpRequest, document_id: int, annotation_id: int) -> HttpResponse:
    """GET: the inline edit form for one sidebar row. POST: save it (optimistic locking)."""
    document, annotation = _annotation_for_user(request, document_id, annotation_id)
    if request.method != "POST":
        initial = {
            "version": annotation.version,
            "label": annotation.label.slug,
            "note": annotation.note,
            "evidence_url": annotation.evidence_url,
        }
        form = AnnotationEditForm(initial=initial, auto_id=f"edit-{annotation.pk}-%s")
        return _edit_form(request, document, annotation, form)
    form = AnnotationEditForm(request.POST, auto_id=f"edit-{annotation.pk}-%s")
    if not form.is_valid():
        return _edit_form(request, document, annotation, form, status=422)
    data = form.cleaned_data
    try:
        annotation_update(
            annotation=annotation,
            user=request.user,
            version=data.pop("version"),
            **data,
        )
    except AnnotationConflict as exc:
        current = exc.current
        message = (
            f"Not saved: this annotation was changed meanwhile (now version {current.version}: "
            f"{current.label.name}, note “{current.note}”). Review it and edit again."
        )
        return workspace_response(request, document, status=409, error=message)
    except AnnotationGone:
        return workspace_response(request, document, status=409, error=GONE)
    except AnnotationDuplicate as exc:
        return workspace_response(request, document, status=409, error=exc.messages[0])
    except ValidationError as exc:
        form.add_error(None, error_text(exc))
        return _edit_form(request, document, annotation, form, status=422)
    return workspace_response(request, document, flash="Saved.")


def _edit_form(
    request: HtmxHttpRequest,
    document: Document,
    annotation: Annotation,
    form: AnnotationEditForm,
    status: int = 200,
) -> HttpResponse:
    context = {"document": document, "annotation": annotation, "form": form}
    response = render(request, "annotations/document.html#annotation-edit", context, status=status)
    if status != 200:
        response = reswap(retarget(response, f"#row-{annotation.pk}"), "outerHTML")
    return response


@reviewer_required
@require_POST
def annotation_remove(
    request: HtmxHttpRequest, document_id: int, annotation_id: int
) -> HttpResponse:
    document, annotation = _annotation_for_user(request, document_id, annotation_id)
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        annotation_delete(annotation=annotation, user=request.user, version=version)
    except AnnotationConflict as exc:
        message = (
            f"Not deleted: this annotation was changed meanwhile (now version "
            f"{exc.current.version}). Check it and delete again."
        )
        return workspace_response(request, document, status=409, error=message)
    except AnnotationGone:
        return workspace_response(request, document, status=409, error=GONE)
    return workspace_response(
        request,
        document,
        flash=f"Deleted “{annotation.quote[:60]}”.",
        undo=annotation_id,
    )


@reviewer_required
@require_POST
def annotation_undelete(
    request: HtmxHttpRequest, document_id: int, annotation_id: int
) -> HttpResponse:
    document = document_for_user(document_id=document_id, user=request.user)
    record = Annotation.history.filter(id=annotation_id, document_id=document.pk).first()
    if record is None:
        return HttpResponse("No such deleted annotation.", status=404)
    try:
        annotation_restore(annotation_id=annotation_id, user=request.user)
    except AnnotationDuplicate as exc:
        return workspace_response(request, document, status=409, error=exc.messages[0])
    except ValidationError as exc:
        return workspace_response(request, document, status=422, error=error_text(exc))
    return workspace_response(request, document, flash="Restored.")
