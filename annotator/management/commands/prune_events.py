"""Delete events every webhook endpoint has received, and delivery logs, older than N days."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotator.events.retention import events_prune


class Command(BaseCommand):
    help = (
        "Delete delivered events, finished deliveries and attempt logs older than --days "
        "(default EVENTS_RETENTION_DAYS). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=float, default=None)

    def handle(self, *args, days: float | None, **options) -> None:
        if days is not None and days <= 0:
            raise CommandError("--days must be more than 0.")
        pruned = events_prune(days=days)
        self.stdout.write(
            f"Deleted {pruned.events} events, {pruned.deliveries} deliveries, "
            f"{pruned.attempts} attempts."
        )
