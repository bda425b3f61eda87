"""Score suggesters against a gold JSONL file (precision, recall, F1; exact, overlap and the
SemEval-2020 span measure), on all its documents or on its stable dev or test part."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotator.suggestions.runs import suggester_spans
from annotator.suggestions.suggesters import suggester_get, suggester_list
from annotator.suggestions.suggesters.base import segmentation
from annotator.suggestions.suggesters.evaluation import MODES, evaluate, gold_read, split_of


class Command(BaseCommand):
    help = (
        "Score suggesters against GOLD.jsonl: one {id, text, spans:[{start,end,label}]} per line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("gold", type=Path)
        parser.add_argument(
            "--suggester", help="Only this suggester (default: each, then all together)."
        )
        parser.add_argument(
            "--split",
            choices=("dev", "test"),
            help="Only the documents of this part (one in five by id is test, the rest dev).",
        )

    def handle(self, *args, gold: Path, suggester: str | None, split, **options) -> None:
        try:
            records = gold_read(gold)
            if split:
                records = [r for r in records if split_of(r.get("id", r["text"])) == split]
        except FileNotFoundError:
            raise CommandError(f"No such gold file: {gold}") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            modules = [suggester_get(suggester)] if suggester else suggester_list()
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        spans_by_module = {m.name: [self._spans(m, r["text"]) for r in records] for m in modules}
        self.stdout.write(
            f"Gold: {gold}{f' ({split} part)' if split else ''} ({len(records)} documents, {sum(len(r['spans']) for r in records)} spans)"
        )
        for name, predictions in spans_by_module.items():
            self._report(name, evaluate(records, predictions))
        if len(modules) > 1:
            combined = [
                [span for spans in per_doc for span in spans]
                for per_doc in zip(*spans_by_module.values(), strict=True)
            ]
            self._report("all suggesters together", evaluate(records, combined))

    def _spans(self, module, text: str) -> list[tuple[int, int, str]]:
        spans = [(s.start, s.end, s.label) for s in suggester_spans(module, text)]
        segmentation.cache_clear()
        return spans

    def _report(self, name: str, scores: dict) -> None:
        self.stdout.write(f"\n== {name}")
        self.stdout.write(
            f"{'label':<12} {'match':<8} {'P':>6} {'R':>6} {'F1':>6} {'pred':>5} {'gold':>5}"
        )
        for label in scores["exact"]:
            for mode in MODES:
                s = scores[mode][label]
                if not s["gold"] and not s["predicted"]:
                    continue
                self.stdout.write(
                    f"{label:<12} {mode:<8} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} "
                    f"{s['predicted']:>5} {s['gold']:>5}"
                )
