from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corpus.importers import validation_message
from corpus.models import Collection, Document
from corpus.urlimport import document_fetch_run, document_recheck_request, fetches_wait


class Command(BaseCommand):
    help = (
        "Fetch URL documents again; a new revision is recorded only where the text changed "
        "(the worker fetches; --now fetches here)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="Document ids (default: all).")
        parser.add_argument("--collection", help="Only this collection's documents.")
        parser.add_argument("--now", action="store_true", help="Fetch in this process.")
        parser.add_argument("--wait", type=int, default=0, help="Seconds to wait for the worker.")

    def handle(self, *args, ids: list[int], collection: str | None, **options) -> None:
        documents = Document.objects.exclude(source_url="")
        if ids:
            documents = documents.filter(pk__in=ids)
        if collection:
            if not Collection.objects.filter(slug=collection).exists():
                raise CommandError(f"No collection {collection!r}.")
            documents = documents.filter(collection__slug=collection)
        try:
            fetch_ids = [document_recheck_request(document=d).pk for d in documents]
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        if options["now"]:
            for fetch_id in fetch_ids:
                document_fetch_run(fetch_id=fetch_id)
        fetches = fetches_wait(fetch_ids=fetch_ids, seconds=options["wait"])
        for fetch in fetches:
            error = f": {fetch.error}" if fetch.error else ""
            self.stdout.write(f"document {fetch.document_id} {fetch.url} {fetch.status}{error}")
        self.stdout.write(f"{len(fetches)} document(s) checked")
