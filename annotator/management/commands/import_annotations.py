"""Import a JSONL annotation export (see annotator/services/annotation_import.py)."""

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotator.api.imports import ImportErrors, annotations_import


class Command(BaseCommand):
    help = (
        "Import annotations from a JSONL export (GET /api/export/annotations/?format=jsonl; "
        "add include_text=1 to create missing documents). All or nothing; '-' reads stdin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path to the .jsonl file, or - for standard input.")
        parser.add_argument(
            "--collection",
            default="",
            help="Collection slug for new documents (default: the record's, else 'imported').",
        )
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="Annotator of gold-format records ({title, text, spans} per line).",
        )

    def handle(self, *args, file: str, collection: str, username: str, **options) -> None:
        try:
            stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        try:
            with stream:
                result = annotations_import(lines=stream, collection=collection, username=username)
        except ImportErrors as exc:
            for error in exc.errors:
                self.stderr.write(f"line {error['line']}: {error['errors']}")
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"imported {result.annotations_created} annotations "
            f"(skipped {result.annotations_skipped} already present), "
            f"created {result.documents_created} documents"
            + (
                f" and inactive placeholder users {', '.join(result.users_created)}"
                if result.users_created
                else ""
            )
        )
