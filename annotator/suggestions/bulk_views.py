"""Bulk decisions on the document and collection pages (htmx): preview the count, confirm,
undo. The API's equivalent is annotator/api/suggestions.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from annotator.annotations.forms import error_text, form_errors_text
from annotator.annotations.selectors import document_for_user
from annotator.annotations.views import reviewer_required
from annotator.models import Label, SuggestionBulkDecision
from annotator.suggestions.bulk import bulk_decide, bulk_preview, bulk_undo
from annotator.suggestions.forms import BulkDecisionForm
from corpus.models import Collection

PANEL = "suggestions/bulk_panel.html#bulk-body"


def _scope(request: HttpRequest, document_id: int | None, slug: str | None) -> dict:
    if document_id is not None:
        return {"document": document_for_user(document_id=document_id, user=request.user)}
    return {"collection": get_object_or_404(Collection, slug=slug)}


def _render(request: HttpRequest, scope: dict, status: int = 200, **context) -> HttpResponse:
    context.update(scope)
    context["labels"] = Label.objects.filter(archived=False)
    return render(request, PANEL, context, status=status)


def _parsed(request: HttpRequest, data, scope: dict):
    """(form data, label) or raise ValidationError naming what was wrong."""
    form = BulkDecisionForm(data)
    if not form.is_valid():
        raise ValidationError(form_errors_text(form))
    label = Label.objects.filter(slug=form.cleaned_data["label"]).first()
    if label is None:
        raise ValidationError(f"label: there is no label {form.cleaned_data['label']!r}.")
    return form.cleaned_data, label


@reviewer_required
@require_GET
def bulk_preview_view(
    request: HttpRequest, document_id: int | None = None, slug: str | None = None
) -> HttpResponse:
    scope = _scope(request, document_id, slug)
    if "label" not in request.GET:  # the empty panel (the collection page loads it)
        return _render(request, scope)
    try:
        data, label = _parsed(request, request.GET, scope)
    except ValidationError as exc:
        return _render(request, scope, status=422, error=error_text(exc))
    count = bulk_preview(user=request.user, label=label, min_score=data["min_score"], **scope)
    return _render(
        request, scope, preview=count, label=label, min_score=data["min_score"], chosen=label.slug
    )


@reviewer_required
@require_POST
def bulk_decide_view(
    request: HttpRequest, document_id: int | None = None, slug: str | None = None
) -> HttpResponse:
    scope = _scope(request, document_id, slug)
    try:
        data, label = _parsed(request, request.POST, scope)
        if not data.get("action"):
            raise ValidationError("action: choose accept or reject.")
        bulk = bulk_decide(
            user=request.user,
            action=data["action"],
            label=label,
            min_score=data["min_score"],
            **scope,
        )
    except ValidationError as exc:
        return _render(request, scope, status=422, error=error_text(exc))
    response = _render(request, scope, done=bulk, label=label)
    return _refreshed(response, scope)


@reviewer_required
@require_POST
def bulk_undo_view(request: HttpRequest, bulk_id: int) -> HttpResponse:
    bulk = get_object_or_404(
        SuggestionBulkDecision.objects.select_related("document", "collection", "label"),
        pk=bulk_id,
        reviewer=request.user,
    )
    scope = {"document": bulk.document} if bulk.document_id else {"collection": bulk.collection}
    try:
        undone = bulk_undo(bulk=bulk, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _render(
            request, scope, status=409, error=" ".join(getattr(exc, "messages", [str(exc)]))
        )
    response = _render(request, scope, undone=undone, label=bulk.label)
    return _refreshed(response, scope)


def _refreshed(response: HttpResponse, scope: dict) -> HttpResponse:
    document = scope.get("document")
    if document is not None:  # the document page reloads its spans and suggestions
        trigger_client_event(response, "suggestions-ready", {"document": document.pk})
    return response
