"""Claim pages and htmx partials: the archived copies, the claim panel, the claims page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from annotator.claims.selectors import evidence_for_user
from annotator.permissions import can_annotate


@login_required
@require_GET
def evidence_warc(request: HttpRequest, evidence_id: int) -> FileResponse:
    """The archived copy as a WARC file (for replay tools such as pywb or ReplayWeb.page)."""
    if not can_annotate(request.user):
        raise PermissionDenied
    evidence = evidence_for_user(evidence_id=evidence_id, user=request.user)
    if not evidence.archive_file or not default_storage.exists(evidence.archive_file.name):
        raise Http404("This source has no archived copy yet.")
    response = FileResponse(
        default_storage.open(evidence.archive_file.name, "rb"),
        as_attachment=True,
        filename=f"evidence-{evidence.pk}-{evidence.archive_sha256[:12]}.warc.gz",
        content_type="application/warc",
    )
    return response
