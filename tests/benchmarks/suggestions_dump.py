"""Every suggestion this checkout makes on gold texts, as a suggestion task computes them (the
rule suggesters, then the learned one with a saved model; each text in chunks as configured),
one JSON line per text with exact scores: run it on two checkouts (--root) and `cmp` the files
to show that a change meant to be faster suggests exactly the same. Not collected by pytest:

    .venv/bin/python tests/benchmarks/suggestions_dump.py MODEL OUT GOLD.jsonl... \
        [--root CHECKOUT] [--chunk-chars N] [--learned-only]

MODEL: a span model written by `bench_suggesters.py --save-model`; GOLD: `{"text", ...}` lines
(e.g. the test parts written by `manage.py split_gold`; never copied into the project).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("gold", type=Path, nargs="+")
    parser.add_argument(
        "--root", type=Path, default=BASE_DIR, help="The checkout whose code suggests."
    )
    parser.add_argument("--chunk-chars", type=int, help="SUGGEST_CHUNK_CHARS for the run.")
    parser.add_argument(
        "--learned-only", action="store_true", help="The learned suggester alone (no rules)."
    )
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(root))
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="suggestions-dump-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
    import django

    django.setup()
    from django.conf import settings

    from annotator.suggestions.runs import suggester_spans
    from annotator.suggestions.suggesters import disputed, learned, propaganda, sourced
    from annotator.suggestions.suggesters.base import segmentation

    if not learned.__file__.startswith(str(root)):
        raise SystemExit(f"{learned.__file__} is not in {root}.")
    if args.chunk_chars:
        settings.SUGGEST_CHUNK_CHARS = args.chunk_chars
    data = args.model.read_bytes()
    learned.loader = lambda: (1, data)
    learned.reset()
    modules = [learned] if args.learned_only else [sourced, disputed, propaganda, learned]
    texts = [
        json.loads(line)["text"]
        for path in args.gold
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with args.out.open("w", encoding="utf-8") as out:
        for number, text in enumerate(texts):
            row: dict = {"text": number}
            for module in modules:
                row[module.name] = [
                    [s.start, s.end, s.label, repr(s.score), s.rationale]
                    for s in suggester_spans(module, text)
                ]
            # The model's own output: unrounded probabilities and what its rationale names.
            row["model"] = [
                [start, end, label, repr(probability), repr(why)]
                for start, end, label, probability, why in learned._tagger().spans(text)
            ]
            segmentation.cache_clear()
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(texts)} texts -> {args.out}")


if __name__ == "__main__":
    main()
