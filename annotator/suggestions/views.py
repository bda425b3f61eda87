"""Suggestion pages: the run button/progress panel (htmx) and the precision stats page."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from annotator.annotations.forms import error_text, form_errors_text
from annotator.annotations.selectors import document_for_user
from annotator.annotations.services import (
    AnnotationConflict,
    AnnotationGone,
    span_check,
)
from annotator.annotations.views import (
    HtmxHttpRequest,
    changes_response,
    message_response,
    refused_response,
    reviewer_required,
    workspace_response,
)
from annotator.models import Annotation, RunStatus, SuggesterModel, Suggestion, SuggestionRun
from annotator.permissions import can_request_suggestions, is_lead
from annotator.suggestions.decisions import (
    suggestion_accept,
    suggestion_accept_restore,
    suggestion_decision_undo,
    suggestion_reject,
)
from annotator.suggestions.forms import AcceptRestoreForm, DecisionUndoForm, SuggestionAcceptForm
from annotator.suggestions.runs import SuggestionsUnavailable, suggestion_run_start
from annotator.suggestions.selectors import (
    suggestion_precision_table,
    suggestion_run_list_for_user,
)
from corpus.models import Document

PANEL = "suggestions/run_panel.html"
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
WAITING_HINT_AFTER = timedelta(seconds=30)


def _require_role(request: HttpRequest) -> None:
    if not can_request_suggestions(request.user):
        raise PermissionDenied("You need a reviewer, lead or admin role.")


def _panel(request: HttpRequest, document, run, **extra) -> HttpResponse:
    active = run is not None and run.status in ACTIVE
    waiting = (
        run is not None
        and run.status == RunStatus.QUEUED
        and timezone.now() - run.created_at > WAITING_HINT_AFTER
    )
    context = {
        "document": document,
        "run": run,
        "active": active,
        "waiting": waiting,
        "checked": True,
    }
    context.update(extra)
    response = render(request, PANEL + "#panel-body", context)
    if run is not None and run.status == RunStatus.SUCCEEDED and request.GET.get("polling"):
        # Tells the document page to reload its suggestion list.
        trigger_client_event(response, "suggestions-ready", {"document": document.pk})
    return response


@login_required
@require_POST
def suggestion_run_request(request: HttpRequest, document_id: int) -> HttpResponse:
    _require_role(request)
    document = document_for_user(document_id=document_id, user=request.user)
    try:
        run = suggestion_run_start(document=document, created_by=request.user)
    except SuggestionsUnavailable as exc:
        return _panel(request, document, None, unavailable=str(exc))
    except ValidationError as exc:
        return _panel(request, document, None, error="; ".join(exc.messages))
    if not request.htmx:
        return redirect("suggestions-run", run_id=run.pk)
    return _panel(request, document, run)


@login_required
@require_GET
def suggestion_run_latest(request: HttpRequest, document_id: int) -> HttpResponse:
    _require_role(request)
    document = document_for_user(document_id=document_id, user=request.user)
    run = SuggestionRun.objects.filter(document=document).order_by("-created_at", "-id").first()
    return _panel(request, document, run)


@login_required
@require_GET
def suggestion_run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    _require_role(request)
    run = get_object_or_404(
        SuggestionRun.objects.select_related("document", "collection"), pk=run_id
    )
    if run.document_id is None:
        if not is_lead(request.user):
            raise PermissionDenied("Only leads follow collection runs.")
        return render(request, "suggestions/stats.html", {"run": run, "run_page": True})
    document = document_for_user(document_id=run.document_id, user=request.user)
    if request.htmx:
        return _panel(request, document, run)
    return render(request, "suggestions/stats.html", {"run": run, "run_page": True})


@login_required
@require_GET
def suggestion_stats(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    context = {
        "rows": suggestion_precision_table(user=request.user),
        "models": SuggesterModel.objects.defer("artifact")[:10],
        "runs": suggestion_run_list_for_user(user=request.user)[:10],
    }
    return render(request, "suggestions/stats.html", context)


# Suggestions


def _suggestion_for_user(request: HttpRequest, document_id: int, suggestion_id: int):
    document = document_for_user(document_id=document_id, user=request.user)
    suggestion = get_object_or_404(Suggestion, pk=suggestion_id, document=document)
    return document, suggestion


def _accepted_response(
    request: HttpRequest,
    document: Document,
    suggestion: Suggestion,
    annotation: Annotation,
    *,
    flash: str,
) -> HttpResponse:
    """The suggestion's row goes, its annotation's row comes (an accept or its redo)."""
    return changes_response(
        request,
        document,
        ranges=[(suggestion.start, suggestion.end), (annotation.start, annotation.end)],
        rows=[annotation.pk],
        removed=[f"sug-row-{suggestion.pk}"],
        flash=flash,
        created=annotation.pk,
        step={
            "kind": "decision",
            "decision": "accept",
            "id": suggestion.pk,
            "annotation": annotation.pk,
        },
    )


@reviewer_required
@require_POST
def suggestion_accept_view(
    request: HtmxHttpRequest, document_id: int, suggestion_id: int
) -> HttpResponse:
    document, suggestion = _suggestion_for_user(request, document_id, suggestion_id)
    form = SuggestionAcceptForm(request.POST)
    if not form.is_valid():
        return message_response(request, document, status=422, error=form_errors_text(form))
    bounds = form.cleaned_data
    try:
        if bounds.get("start") is not None:
            # Adjusted bounds: check the quote the browser saw before accepting.
            span_check(
                document=document, start=bounds["start"], end=bounds["end"], quote=bounds["quote"]
            )
            annotation = suggestion_accept(
                suggestion=suggestion, user=request.user, start=bounds["start"], end=bounds["end"]
            )
        else:
            annotation = suggestion_accept(suggestion=suggestion, user=request.user)
    except ValidationError as exc:
        return refused_response(request, document, exc)
    return _accepted_response(
        request, document, suggestion, annotation, flash="Suggestion accepted."
    )


@reviewer_required
@require_POST
def suggestion_reject_view(
    request: HtmxHttpRequest, document_id: int, suggestion_id: int
) -> HttpResponse:
    document, suggestion = _suggestion_for_user(request, document_id, suggestion_id)
    try:
        suggestion_reject(suggestion=suggestion, user=request.user)
    except ValidationError as exc:
        return message_response(request, document, status=422, error=error_text(exc))
    return changes_response(
        request,
        document,
        ranges=[(suggestion.start, suggestion.end)],
        removed=[f"sug-row-{suggestion.pk}"],
        flash="Suggestion rejected.",
        step={"kind": "decision", "decision": "reject", "id": suggestion.pk},
    )


@reviewer_required
@require_POST
def suggestion_undo_view(
    request: HtmxHttpRequest, document_id: int, suggestion_id: int
) -> HttpResponse:
    """Undo of an accept or reject: the suggestion is open again (and the accept's
    annotation gone, if still at the `version` the page showed); the whole workspace
    answers, as the suggestion's row comes back."""
    document, suggestion = _suggestion_for_user(request, document_id, suggestion_id)
    form = DecisionUndoForm(request.POST)
    if not form.is_valid():
        return message_response(request, document, status=422, error=form_errors_text(form))
    try:
        suggestion_decision_undo(
            suggestion=suggestion, user=request.user, version=form.cleaned_data["version"]
        )
    except AnnotationConflict as exc:
        message = (
            f"Not undone: the accepted annotation was changed meanwhile (now version "
            f"{exc.current.version}). Check it, then delete it if you still want it gone."
        )
        return workspace_response(request, document, status=409, error=message)
    except AnnotationGone:
        message = "Not undone: the accepted annotation was deleted meanwhile."
        return workspace_response(request, document, status=409, error=message)
    except ValidationError as exc:
        return message_response(request, document, status=422, error=error_text(exc))
    return workspace_response(request, document, flash="Decision undone.")


@reviewer_required
@require_POST
def suggestion_accept_restore_view(
    request: HtmxHttpRequest, document_id: int, suggestion_id: int
) -> HttpResponse:
    """Redo of an undone accept: the same annotation comes back (not a new one)."""
    document, suggestion = _suggestion_for_user(request, document_id, suggestion_id)
    form = AcceptRestoreForm(request.POST)
    if not form.is_valid():
        return message_response(request, document, status=422, error=form_errors_text(form))
    try:
        annotation = suggestion_accept_restore(
            suggestion=suggestion, user=request.user, annotation_id=form.cleaned_data["annotation"]
        )
    except ValidationError as exc:
        return refused_response(request, document, exc)
    return _accepted_response(
        request, document, suggestion, annotation, flash="Suggestion accepted again."
    )
