"""Leads upload document files (.txt, .jsonl, .json, .csv) to a collection from its dashboard.

static/review/upload.js sends one file per request (so each file gets its own progress bar)
and asks for JSON; without JavaScript the form posts every file at once and the answer is a
redirect with one message per file. Reading and saving is corpus.importers.import_file (the
one write path, corpus.batches: checked, then written in bulk): one transaction per file, so a
file with a bad line adds nothing and the answer names the line (or the record of a .json list).
Suggestions are queued by the import's documents_created signal, one run per batch.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from annotator.permissions import can_upload_documents
from corpus.importers import SUFFIXES, ImportFileError, import_file
from corpus.models import Collection

ACCEPTED = ", ".join(sorted(SUFFIXES))


@dataclass
class FileOutcome:
    file: str
    ok: bool
    created: int = 0
    duplicates: int = 0
    revised: int = 0
    line: int | None = None
    error: str = ""
    where: str = ""

    def message(self) -> str:
        if not self.ok:
            where = self.where
            return f"{self.file}: {where}{self.error} Nothing was imported from this file."
        queued = ""
        if self.created and settings.SUGGEST_ON_IMPORT:
            queued = f"; suggestions queued for {self.created}"
        return (
            f"{self.file}: {self.created} new, {self.duplicates} already here, "
            f"{self.revised} revised{queued}."
        )


def file_upload(*, upload: UploadedFile, collection: Collection, user) -> FileOutcome:
    """Import one uploaded file through the corpus importer, under its own name."""
    name = Path(upload.name or "").name
    if Path(name).suffix.lower() not in SUFFIXES:
        return FileOutcome(file=name, ok=False, error=f"Only {ACCEPTED} files can be uploaded.")
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            summary = import_file(path=path, collection=collection, imported_by=user)
        except ImportFileError as exc:
            return FileOutcome(
                file=name, ok=False, line=exc.line, where=exc.where, error=exc.message + "."
            )
    return FileOutcome(
        file=name,
        ok=True,
        created=summary.created,
        duplicates=summary.duplicates,
        revised=summary.revised,
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def collection_upload(request: HttpRequest, slug: str) -> HttpResponse:
    if not can_upload_documents(request.user):
        raise PermissionDenied("Only leads upload documents.")
    collection = get_object_or_404(Collection, slug=slug)
    uploads = request.FILES.getlist("files")
    outcomes = [
        file_upload(upload=upload, collection=collection, user=request.user) for upload in uploads
    ]
    if _wants_json(request):
        if not outcomes:
            return JsonResponse({"error": "Choose at least one file (field 'files')."}, status=400)
        status = 200 if all(o.ok for o in outcomes) else 400
        body = [asdict(o) | {"message": o.message()} for o in outcomes]
        return JsonResponse({"files": body}, status=status)
    if not outcomes:
        messages.error(request, "Choose at least one file to upload.")
    for outcome in outcomes:
        (messages.success if outcome.ok else messages.error)(request, outcome.message())
    return redirect("review-collection", slug=collection.slug)
