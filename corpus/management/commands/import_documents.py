from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corpus.importers import BATCH_SIZE, ImportFileError, import_paths, validation_message
from corpus.services import collection_get_or_create
from corpus.urlimport import document_fetch_run, fetches_wait, url_import_request


def is_url(arg: str) -> bool:
    return arg.lower().startswith(("http://", "https://"))


class Command(BaseCommand):
    help = (
        "Import documents from .txt, .jsonl, .json and .csv files or directories of them "
        "(streamed, in batches each committed on its own), and articles by URL (fetched by "
        "the worker; --now fetches here)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="Files, directories or http(s) URLs.")
        parser.add_argument(
            "--collection", default="default", help="Collection slug (created if new)."
        )
        parser.add_argument("--title", help="Title for a single .txt file.")
        parser.add_argument("--user", help="Username recorded as the importer.")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help="Documents checked and committed together (default %(default)s); running the "
            "import again after an error skips the batches already committed.",
        )
        parser.add_argument(
            "--now", action="store_true", help="Fetch URLs in this process, not by the worker."
        )
        parser.add_argument(
            "--wait", type=int, default=0, help="Seconds to wait for the worker's fetches."
        )

    def handle(self, *args, paths: list[str], collection: str, **options) -> None:
        imported_by = None
        if options["user"]:
            try:
                imported_by = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {options['user']!r}.") from None
        target = collection_get_or_create(slug=collection)
        urls = [p for p in paths if is_url(p)]
        files = [Path(p) for p in paths if not is_url(p)]
        if urls:
            self.import_urls(urls, target, imported_by, options["now"], options["wait"])
        if files:
            self.import_files(files, target, imported_by, options)

    def import_urls(self, urls, target, imported_by, now: bool, wait: int) -> None:
        try:
            fetches = url_import_request(urls=urls, collection=target, user=imported_by)
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        ids = [f.pk for f in fetches]
        if now:
            for fetch_id in ids:
                document_fetch_run(fetch_id=fetch_id)
        fetches = fetches_wait(fetch_ids=ids, seconds=wait)
        for fetch in fetches:
            document = f" document {fetch.document_id}" if fetch.document_id else ""
            error = f": {fetch.error}" if fetch.error else ""
            self.stdout.write(f"{fetch.url} {fetch.status}{document}{error}")
        if any(f.status == "failed" for f in fetches):
            raise CommandError("Some URLs could not be imported.")

    def import_files(self, files: list[Path], target, imported_by, options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            summary = import_paths(
                paths=files,
                collection=target,
                imported_by=imported_by,
                title=options["title"],
                progress=not options["no_progress"],
                batch_size=options["batch_size"],
                atomic=False,
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
            raise CommandError(
                f"{summary.failed} file(s) failed; the batches before each error were committed: "
                "fix the line named and run the same command again (what was imported is skipped)."
            )
