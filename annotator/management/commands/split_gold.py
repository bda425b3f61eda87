"""Split gold JSONL files by document into a development and a test part with a fixed seed.

The parts are written next to each other in --out (outside the project: the corpora are
research data and never ship with it), e.g.

    python manage.py split_gold ../shared/data/propaganda_train.jsonl --out /tmp/gold

writes /tmp/gold/propaganda_train.dev.jsonl and /tmp/gold/propaganda_train.test.jsonl. Tune on
the dev part, report on the test part with `evaluate_suggestions`.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotator.suggestions.suggesters.evaluation import gold_split


class Command(BaseCommand):
    help = "Split gold JSONL files by document into PATH.dev.jsonl and PATH.test.jsonl in --out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("gold", type=Path, nargs="+")
        parser.add_argument("--out", type=Path, required=True, help="Directory for the parts.")
        parser.add_argument("--seed", type=int, default=16)
        parser.add_argument("--test-share", type=float, default=0.3)

    def handle(self, *args, gold: list[Path], out: Path, seed: int, test_share: float, **options):
        if not 0 < test_share < 1:
            raise CommandError("--test-share must lie strictly between 0 and 1.")
        out.mkdir(parents=True, exist_ok=True)
        for path in gold:
            try:
                lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line]
            except FileNotFoundError:
                raise CommandError(f"No such gold file: {path}") from None
            try:
                parts = gold_split(lines, seed=seed, test_share=test_share)
            except ValueError as exc:
                raise CommandError(f"{path}: {exc}") from None
            for part, chosen in parts.items():
                target = out / f"{path.stem}.{part}.jsonl"
                target.write_text("".join(line + "\n" for line in chosen), encoding="utf-8")
                self.stdout.write(f"{target}: {len(chosen)} documents")
