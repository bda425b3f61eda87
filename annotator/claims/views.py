"""The claim panel (htmx partials on the document page, a page of its own without JavaScript)
and the archived copies. Thin: selectors read, services write, one template renders.

Every write answers with the #claim-panel fragment (evidence, verdict, checklist), so what the
panel shows never disagrees with itself; errors come back in it with 422, stale edits 409.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotator.annotations.forms import error_text, form_errors_text
from annotator.annotations.views import reviewer_required
from annotator.claims import rules
from annotator.claims.forms import EvidenceForm, TransitionForm, VerdictForm, VersionForm
from annotator.claims.selectors import (
    annotation_for_claims,
    desk_rules_for,
    evidence_for_user,
    evidence_list,
    rating_list,
    verdict_for_annotation,
)
from annotator.claims.services import (
    ClaimConflict,
    evidence_archive_retry,
    evidence_create,
    evidence_delete,
    evidence_update,
)
from annotator.claims.verdicts import verdict_save, verdict_transition
from annotator.models import Annotation, ArchiveStatus
from annotator.permissions import can_change_evidence, can_change_verdict, can_publish_verdict

PAGE = "claims/claim.html"


def panel_context(request: HttpRequest, annotation: Annotation, **extra) -> dict:
    user = request.user
    evidence = list(evidence_list(annotation=annotation))
    for item in evidence:
        item.can_change = can_change_evidence(user, item)
    verdict = verdict_for_annotation(annotation=annotation)
    checks = rules.checklist(
        annotation=annotation,
        evidence=evidence,
        verdict=verdict,
        rules=desk_rules_for(collection_id=annotation.document.collection_id),
    )
    return {
        "annotation": annotation,
        "document": annotation.document,
        "evidence": evidence,
        "archiving": any(e.archive_status == ArchiveStatus.QUEUED for e in evidence),
        "verdict": verdict,
        "ratings": rating_list(),
        "checks": checks,
        "can_publish": can_publish_verdict(user),
        "can_edit_verdict": verdict is None or can_change_verdict(user, verdict),
        "evidence_form": extra.pop("evidence_form", None) or EvidenceForm(),
        **extra,
    }


def panel_response(
    request: HttpRequest, annotation: Annotation, *, status: int = 200, **extra
) -> HttpResponse:
    if not request.htmx and request.method == "POST" and status == 200:
        # A plain form post (no JavaScript): back to the claim page, which shows the result.
        return redirect("claims-claim", annotation.pk)
    template = PAGE + ("#claim-panel" if request.htmx else "")
    return render(request, template, panel_context(request, annotation, **extra), status=status)


def _write(request: HttpRequest, annotation: Annotation, action: Callable[[], str], **extra):
    """Run a write; answer with the panel, a flash on success, the reason otherwise."""
    try:
        flash = action()
    except ClaimConflict as exc:
        return panel_response(request, annotation, status=409, error=str(exc), **extra)
    except ValidationError as exc:
        return panel_response(request, annotation, status=422, error=error_text(exc), **extra)
    except PermissionDenied as exc:
        return panel_response(request, annotation, status=403, error=str(exc), **extra)
    except Http404 as exc:
        return panel_response(request, annotation, status=409, error=str(exc), **extra)
    return panel_response(request, annotation, flash=flash)


def _annotation(request: HttpRequest, annotation_id: int) -> Annotation:
    return annotation_for_claims(annotation_id=annotation_id, user=request.user)


@reviewer_required
@require_GET
def claim_detail(request: HttpRequest, annotation_id: int) -> HttpResponse:
    annotation = _annotation(request, annotation_id)
    template = PAGE + ("#claim-panel" if request.htmx else "")
    return render(request, template, panel_context(request, annotation))


@reviewer_required
@require_GET
def evidence_rows(request: HttpRequest, annotation_id: int) -> HttpResponse:
    """The evidence list alone: polled while a copy is being archived."""
    annotation = _annotation(request, annotation_id)
    return render(request, PAGE + "#evidence-list", panel_context(request, annotation))


@reviewer_required
@require_POST
def evidence_add(request: HttpRequest, annotation_id: int) -> HttpResponse:
    annotation = _annotation(request, annotation_id)
    form = EvidenceForm(request.POST)
    if not form.is_valid():
        error = form_errors_text(form)
        return panel_response(request, annotation, status=422, error=error, evidence_form=form)
    data = {k: v for k, v in form.cleaned_data.items() if k != "version"}

    def add() -> str:
        evidence_create(annotation=annotation, user=request.user, **data)
        return "Source added; archiving a copy…"

    return _write(request, annotation, add, evidence_form=form)


@reviewer_required
@require_http_methods(["GET", "POST"])
def evidence_edit(request: HttpRequest, annotation_id: int, evidence_id: int) -> HttpResponse:
    annotation = _annotation(request, annotation_id)
    evidence = evidence_for_user(evidence_id=evidence_id, user=request.user)
    if evidence.annotation_id != annotation.pk:
        raise Http404
    if request.method == "GET":
        initial = {f: getattr(evidence, f) for f in EvidenceForm.base_fields}
        form = EvidenceForm(initial=initial)
        return panel_response(request, annotation, status=200, editing=evidence.pk, edit_form=form)
    form = EvidenceForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        error = form_errors_text(form) or "version: This field is required."
        return panel_response(
            request, annotation, status=422, error=error, editing=evidence.pk, edit_form=form
        )
    data = dict(form.cleaned_data)
    version = data.pop("version")

    def save() -> str:
        evidence_update(evidence=evidence, user=request.user, version=version, **data)
        return "Source saved."

    return _write(request, annotation, save, editing=evidence.pk, edit_form=form)


def _evidence_post(view: Callable) -> Callable:
    @reviewer_required
    @require_POST
    def wrapper(request: HttpRequest, annotation_id: int, evidence_id: int) -> HttpResponse:
        annotation = _annotation(request, annotation_id)
        evidence = evidence_for_user(evidence_id=evidence_id, user=request.user)
        if evidence.annotation_id != annotation.pk:
            raise Http404
        return _write(request, annotation, lambda: view(request, evidence))

    wrapper.__name__ = view.__name__
    return wrapper


@_evidence_post
def evidence_remove(request: HttpRequest, evidence) -> str:
    form = VersionForm(request.POST)
    if not form.is_valid():
        raise ValidationError(form_errors_text(form))
    evidence_delete(evidence=evidence, user=request.user, version=form.cleaned_data["version"])
    return "Source removed."


@_evidence_post
def evidence_rearchive(request: HttpRequest, evidence) -> str:
    evidence_archive_retry(evidence=evidence, user=request.user)
    return "Archiving again…"


@reviewer_required
@require_POST
def verdict_submit(request: HttpRequest, annotation_id: int) -> HttpResponse:
    """Save the verdict as a draft, or ("propose" pressed) send it for review."""
    annotation = _annotation(request, annotation_id)
    form = VerdictForm(request.POST)
    if not form.is_valid():
        return panel_response(request, annotation, status=422, error=form_errors_text(form))
    data = dict(form.cleaned_data)
    propose = "propose" in request.POST

    def save() -> str:
        verdict = verdict_save(annotation=annotation, user=request.user, propose=propose, **data)
        return "Verdict proposed for review." if verdict.state == "in_review" else "Draft saved."

    return _write(request, annotation, save)


@reviewer_required
@require_POST
def verdict_move(request: HttpRequest, annotation_id: int) -> HttpResponse:
    annotation = _annotation(request, annotation_id)
    verdict = verdict_for_annotation(annotation=annotation)
    form = TransitionForm(request.POST)
    if verdict is None or not form.is_valid():
        error = "This claim has no verdict yet." if verdict is None else form_errors_text(form)
        return panel_response(request, annotation, status=422, error=error)
    data = form.cleaned_data

    def move() -> str:
        moved = verdict_transition(verdict=verdict, user=request.user, **data)
        return f"Verdict {moved.get_state_display().lower()}."

    return _write(request, annotation, move)


@reviewer_required
@require_GET
def evidence_warc(request: HttpRequest, evidence_id: int) -> FileResponse:
    """The archived copy as a WARC file (for replay tools such as pywb or ReplayWeb.page)."""
    evidence = evidence_for_user(evidence_id=evidence_id, user=request.user)
    if not evidence.archive_file or not default_storage.exists(evidence.archive_file.name):
        raise Http404("This source has no archived copy yet.")
    return FileResponse(
        default_storage.open(evidence.archive_file.name, "rb"),
        as_attachment=True,
        filename=f"evidence-{evidence.pk}-{evidence.archive_sha256[:12]}.warc.gz",
        content_type="application/warc",
    )
