"""Reviewer pages and htmx partials: the queue and the document page. Thin: selectors read,
services write, templates render. An htmx write answers with what it changed (the touched
paragraphs, sidebar rows, counts and the message, as out-of-band swaps: annotations.workspace);
a conflict or a poll answers with the whole #workspace."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event
from django_htmx.middleware import HtmxDetails

from annotator.annotations.forms import (
    AnnotationEditForm,
    AnnotationForm,
    ReshapeForm,
    VersionForm,
    error_text,
    form_errors_text,
)
from annotator.annotations.highlights import annotation_rows_html
from annotator.annotations.queue_selectors import document_fingerprint
from annotator.annotations.selectors import (
    annotation_for_user,
    annotation_list,
    document_for_user,
    label_list_all,
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
from annotator.annotations.workspace import annotation_rows, changes_context, workspace_context
from annotator.models import Annotation
from annotator.permissions import can_annotate
from annotator.review.services import assignment_mark_done, assignment_start
from corpus.models import Document

User = get_user_model()
WORKSPACE = "annotations/document.html#workspace"
WORKSPACE_RESPONSE = "annotations/_workspace_response.html"
CHANGES = "annotations/_changes.html"
MESSAGE = "annotations/_message.html"
GONE = "Not saved: this annotation was deleted meanwhile."


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


# Document page


def workspace_response(
    request: HttpRequest, document: Document, *, status: int = 200, **extra
) -> HttpResponse:
    """The whole #workspace (state may differ from what the page shows: a conflict, a poll)."""
    if not request.htmx and status == 200:
        # A plain form post (no JavaScript): back to the page, which shows the result.
        return redirect("annotator-document", document.pk)
    context = workspace_context(request, document, **extra)
    response = render(request, WORKSPACE_RESPONSE, context, status=status)
    # Writes are sent with hx-swap="none"; a whole workspace replaces the old one.
    return reswap(retarget(response, "#workspace"), "outerHTML")


def changes_response(
    request: HttpRequest,
    document: Document,
    *,
    ranges: list[tuple[int, int]],
    status: int = 200,
    step: dict | None = None,
    **extra,
) -> HttpResponse:
    """Only what a write changed, as out-of-band swaps (see annotations.workspace). `step`
    tells the page's undo/redo what was done (an `annotation-step` event)."""
    if not request.htmx and status == 200:
        return redirect("annotator-document", document.pk)
    context = changes_context(request, document, ranges=ranges, **extra)
    response = render(request, CHANGES, context, status=status)
    return trigger_client_event(response, "annotation-step", step) if step else response


def message_response(request: HttpRequest, document: Document, *, status: int, error: str):
    """A refused write: the message only (nothing on the page changed)."""
    if not request.htmx:
        return HttpResponse(error, status=status, content_type="text/plain; charset=utf-8")
    context = {"document": document, "error": error}
    return render(request, MESSAGE, context, status=status)


def refused_response(
    request: HttpRequest, document: Document, exc: ValidationError
) -> HttpResponse:
    """A service's refusal as the message: 409 for a duplicate span, 422 for any other rule."""
    status = 409 if isinstance(exc, AnnotationDuplicate) else 422
    return message_response(request, document, status=status, error=error_text(exc))


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
        return message_response(request, document, status=422, error=form_errors_text(form))
    try:
        annotation = annotation_create(
            document=document, created_by=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        return refused_response(request, document, exc)
    return changes_response(
        request,
        document,
        ranges=[(annotation.start, annotation.end)],
        rows=[annotation.pk],
        flash=f"Tagged {annotation.label.name}: “{annotation.quote[:60]}”.",
        step={"kind": "create", "id": annotation.pk},
        created=annotation.pk,
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
    if request.method != "POST" and request.GET.get("row"):
        return HttpResponse(annotation_row_html(request, document, annotation.pk))
    if request.method != "POST":
        initial = {
            "version": annotation.version,
            "label": annotation.label.slug,
            "note": annotation.note,
            "evidence_url": annotation.evidence_url,
        }
        form = AnnotationEditForm(
            initial=initial, auto_id=f"edit-{annotation.pk}-%s", current_label=annotation.label
        )
        return _edit_form(request, document, annotation, form)
    form = AnnotationEditForm(
        request.POST, auto_id=f"edit-{annotation.pk}-%s", current_label=annotation.label
    )
    if not form.is_valid():
        return _edit_form(request, document, annotation, form, status=422)
    data = form.cleaned_data
    before = {
        "label": annotation.label.slug,
        "note": annotation.note,
        "evidence_url": annotation.evidence_url,
    }
    try:
        annotation = annotation_update(
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
    return changes_response(
        request,
        document,
        ranges=[(annotation.start, annotation.end)],
        rows=[annotation.pk],
        flash="Saved.",
        step={
            "kind": "edit",
            "id": annotation.pk,
            "from": before,
            "to": {k: data[k] for k in before if k in data},
        },
    )


@reviewer_required
@require_POST
def annotation_reshape(
    request: HtmxHttpRequest, document_id: int, annotation_id: int
) -> HttpResponse:
    """New start/end for an annotation (keyboard reshaping): quote recomputed, version checked,
    history kept by annotation_update."""
    document, annotation = _annotation_for_user(request, document_id, annotation_id)
    form = ReshapeForm(request.POST)
    if not form.is_valid():
        return message_response(request, document, status=422, error=form_errors_text(form))
    old = (annotation.start, annotation.end)
    data = form.cleaned_data
    try:
        annotation = annotation_update(
            annotation=annotation,
            user=request.user,
            version=data["version"],
            start=data["start"],
            end=data["end"],
        )
    except AnnotationConflict as exc:
        message = (
            f"Not changed: this annotation was changed meanwhile (now version "
            f"{exc.current.version}, {exc.current.start}–{exc.current.end})."
        )
        return workspace_response(request, document, status=409, error=message)
    except AnnotationGone:
        return workspace_response(request, document, status=409, error=GONE)
    except ValidationError as exc:
        return refused_response(request, document, exc)
    return changes_response(
        request,
        document,
        ranges=[old, (annotation.start, annotation.end)],
        rows=[annotation.pk],
        flash=f"Now “{annotation.quote[:60]}” ({annotation.start}–{annotation.end}).",
        step={
            "kind": "reshape",
            "id": annotation.pk,
            "from": old,
            "to": [annotation.start, annotation.end],
        },
    )


def annotation_row_html(request: HttpRequest, document: Document, annotation_id: int) -> str:
    """One sidebar row as the page shows it (the edit form's Cancel)."""
    by_id = {label.pk: label for label in label_list_all()}
    rows = annotation_rows(
        annotation_list(document=document, user=request.user).filter(pk=annotation_id),
        by_id=by_id,
        user=request.user,
        document=document,
    )
    return annotation_rows_html(document_id=document.pk, annotations=rows)


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
    return changes_response(
        request,
        document,
        ranges=[(annotation.start, annotation.end)],
        removed=[f"row-{annotation_id}"],
        flash=f"Deleted “{annotation.quote[:60]}”.",
        step={"kind": "delete", "id": annotation_id},
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
        annotation = annotation_restore(annotation_id=annotation_id, user=request.user)
    except ValidationError as exc:
        return refused_response(request, document, exc)
    return changes_response(
        request,
        document,
        ranges=[(annotation.start, annotation.end)],
        rows=[annotation.pk],
        flash="Restored.",
        step={"kind": "restore", "id": annotation.pk},
        created=annotation.pk,
    )
