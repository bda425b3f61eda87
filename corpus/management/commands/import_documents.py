from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corpus.importers import ImportFileError, import_paths
from corpus.services import collection_get_or_create


class Command(BaseCommand):
    help = "Import documents from .txt, .jsonl, .json and .csv files or directories of them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--collection", default="default", help="Collection slug (created if new)."
        )
        parser.add_argument("--title", help="Title for a single .txt file.")
        parser.add_argument("--user", help="Username recorded as the importer.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self,
        *args,
        paths: list[Path],
        collection: str,
        title: str | None,
        user: str | None,
        no_progress: bool,
        **options,
    ) -> None:
        imported_by = None
        if user:
            try:
                imported_by = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        target = collection_get_or_create(slug=collection)
        try:
            summary = import_paths(
                paths=paths,
                collection=target,
                imported_by=imported_by,
                title=title,
                progress=not no_progress,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        for error in summary.errors:
            self.stderr.write(self.style.ERROR(error))
        self.stdout.write(
            f"created {summary.created}, duplicates skipped {summary.duplicates}, "
            f"failed {summary.failed}, revised {summary.revised} (collection {target.slug})"
        )
        if summary.failed:
            raise CommandError(f"{summary.failed} file(s) failed; nothing was written for them.")
