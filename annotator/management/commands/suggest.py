"""Queue suggestion runs: `suggest [--collection SLUG | --document ID] [--suggester NAME] [--wait]`."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotator.models import RunStatus, SuggestionRun
from annotator.suggestions.runs import (
    SuggestionsUnavailable,
    suggestion_run_start,
    suggestions_create,
)
from corpus.models import Collection, Document


class Command(BaseCommand):
    help = "Queue suggestions for a document, a collection or (default) every collection."

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--collection", help="Collection slug.")
        target.add_argument("--document", type=int, help="Document id.")
        parser.add_argument("--suggester", help="Only this suggester (default: all configured).")
        parser.add_argument("--wait", action="store_true", help="Wait until the runs finish.")
        parser.add_argument("--timeout", type=float, default=600, help="Seconds --wait waits.")
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Compute here, without the broker and worker (for a quick look or debugging).",
        )

    def handle(self, *args, collection, document, suggester, wait, timeout, inline, **options):
        targets = self._targets(collection, document)
        if inline:
            return self._inline(targets, suggester)
        runs = []
        for kind, target in targets:
            try:
                run = suggestion_run_start(**{kind: target}, suggester=suggester)
            except SuggestionsUnavailable as exc:
                raise CommandError(str(exc)) from None
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            runs.append(run)
            self.stdout.write(
                f"Queued run {run.pk} for {kind} {target} ({run.documents_total} documents)."
            )
        if wait:
            self._wait([run.pk for run in runs], timeout)

    def _targets(self, collection: str | None, document: int | None) -> list[tuple[str, object]]:
        if document is not None:
            found = Document.objects.filter(pk=document).first()
            if found is None:
                raise CommandError(f"No document with id {document}.")
            return [("document", found)]
        if collection is not None:
            found = Collection.objects.filter(slug=collection).first()
            if found is None:
                raise CommandError(f"No collection with slug {collection!r}.")
            return [("collection", found)]
        return [("collection", c) for c in Collection.objects.all()]

    def _inline(self, targets, suggester: str | None) -> None:
        """Each document gets a run row (not queued), so a suggester's failure is recorded
        there and makes the command fail."""
        total, failures = 0, []
        started = time.perf_counter()
        for kind, target in targets:
            documents = [target] if kind == "document" else target.documents.order_by("id")
            for document in documents:
                run = SuggestionRun.objects.create(
                    document=document, suggester=suggester or "", documents_total=1
                )
                try:
                    total += suggestions_create(
                        document_id=document.pk, suggester=suggester, run_id=run.pk
                    )
                except ValidationError as exc:
                    run.delete()
                    raise CommandError("; ".join(exc.messages)) from None
                run.refresh_from_db()
                if run.status == RunStatus.FAILED:
                    failures.append(run.error)
        self.stdout.write(f"Created {total} suggestions in {time.perf_counter() - started:.1f}s.")
        if failures:
            for error in failures:
                self.stderr.write(error)
            raise CommandError(f"Suggesters failed on {len(failures)} document(s).")

    def _wait(self, run_ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            runs = list(SuggestionRun.objects.filter(pk__in=run_ids))
            done = [r for r in runs if r.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)]
            progress = sum(r.documents_done for r in runs), sum(r.documents_total for r in runs)
            self.stderr.write(f"\r{progress[0]}/{progress[1]} documents", ending="")
            if len(done) == len(runs):
                break
            if time.monotonic() > deadline:
                raise CommandError(
                    f"\nRuns still unfinished after {timeout:.0f}s (is a worker running?)."
                )
            time.sleep(0.5)
        self.stderr.write("")
        for run in runs:
            line = f"Run {run.pk}: {run.status}, {run.suggestions_created} suggestions"
            self.stdout.write(line + (f" — {run.error}" if run.error else ""))
        if any(r.status == RunStatus.FAILED for r in runs):
            raise CommandError("Some runs failed.")
