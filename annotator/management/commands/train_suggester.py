"""Train the learned suggester on reviewers' decisions now (the Celery task does it too)."""

from django.core.management.base import BaseCommand, CommandParser

from annotator.suggestions.learning import suggester_train


class Command(BaseCommand):
    help = "Train a new learned-suggester version; promote it if it beats the rule suggesters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--min-examples", type=int, default=20)
        parser.add_argument("--no-promote", action="store_true")

    def handle(self, *args, min_examples: int, no_promote: bool, **options) -> None:
        model = suggester_train(min_examples=min_examples, promote=not no_promote)
        if model is None:
            self.stdout.write("Not enough decisions to train on yet.")
            return
        verdict = "promoted" if model.promoted else "kept, not promoted"
        self.stdout.write(
            f"Trained learned v{model.version} on {model.training_size} examples: {verdict}."
        )
        self.stdout.write(f"Held-out: {model.metrics}")
