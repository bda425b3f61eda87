"""Train the learned span model now (the Celery task does it too after reviewers' decisions)."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotator.models import Label
from annotator.suggestions.learning import TooLittleData, suggester_train
from corpus.models import Collection


class Command(BaseCommand):
    help = (
        "Train a new learned-suggester version on reviewers' work, or with --collection on a "
        "fully labelled archive; print held-back scores beside the rules; promote if better."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--collection", help="Slug of a fully labelled collection to train on (only it)."
        )
        parser.add_argument("--label", help="Only this label's slug.")
        parser.add_argument("--no-promote", action="store_true")
        parser.add_argument(
            "--force", action="store_true", help="Promote even if the rules score higher."
        )
        parser.add_argument("--min-documents", type=int, default=5)

    def handle(self, *args, collection, label, no_promote, force, min_documents, **options):
        archive = None
        if collection:
            archive = Collection.objects.filter(slug=collection).first()
            if archive is None:
                raise CommandError(f"No collection with slug {collection!r}.")
        if label and not Label.objects.filter(slug=label).exists():
            raise CommandError(f"No label with slug {label!r}.")
        try:
            model = suggester_train(
                collection=archive,
                label=label,
                promote=not no_promote,
                force=force,
                min_documents=min_documents,
            )
        except TooLittleData as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        metrics = model.metrics
        self.stdout.write(
            f"Trained learned v{model.version} on {model.training_size} documents in "
            f"{metrics['training_seconds']}s; measured on {metrics['held_out_documents']} "
            "held-back documents (SemEval-2020 span measure):"
        )
        self.stdout.write(f"{'label':<14} {'who':<8} {'P':>6} {'R':>6} {'F1':>6}")
        for key in (*metrics["labels"], "micro"):
            for who in ("learned", "rules"):
                s = metrics[who].get(key)
                if s:
                    self.stdout.write(
                        f"{key:<14} {who:<8} {s['precision']:>6.3f} {s['recall']:>6.3f} "
                        f"{s['f1']:>6.3f}"
                    )
        for key in metrics["labels"]:
            shortest, longest = (metrics.get("lengths") or {}).get(key, (None, None))
            threshold = (metrics.get("thresholds") or {}).get(key)
            low = (metrics.get("lows") or {}).get(key)
            if threshold is not None:
                extended = (
                    f", extended over words of {low} or more"
                    if low is not None and low < threshold
                    else ""
                )
                self.stdout.write(
                    f"{key}: calibrated threshold {threshold}{extended}, spans of "
                    f"{shortest or 3} to {longest or 'any number of'} characters"
                )
        verdict = "promoted" if model.promoted else "kept, not promoted"
        reason = metrics.get("promoted_because") or metrics.get("not_promoted_because")
        self.stdout.write(f"v{model.version} {verdict}: {reason}.")
        if options.get("verbosity", 1) > 1:
            self.stdout.write(json.dumps(metrics, indent=2))
