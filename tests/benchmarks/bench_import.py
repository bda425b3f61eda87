"""import_documents benchmark: wall time and peak memory for a large JSONL file.

Run:  .venv/bin/python tests/benchmarks/bench_import.py [--documents 10000] [--length 5000]
          [--batch-size 1000] [--again]

Writes a deterministic JSONL file of news-like documents (generate_corpus's sentences, each
document unique) to a temporary folder, then runs `manage.py import_documents FILE
--no-progress` under `/usr/bin/time -v` on a fresh SQLite database there (or on DATABASE_URL
if set: give it an empty database) with suggestions off, and prints wall time, peak RSS and
documents per second. --again imports the same file a second time (all duplicates: the resume
path). Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

import django  # noqa: E402

django.setup()

from annotator.management.commands.generate_corpus import article  # noqa: E402


def write_corpus(path: Path, documents: int, length: int) -> None:
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as out:
        for index in range(documents):
            text = f"Report {index}. " + article(rng, length, emoji=index % 3 == 0)
            record = {"title": f"Report {index}", "text": text[:length], "external_id": f"r{index}"}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def timed_import(path: Path, env: dict) -> dict:
    command = ["/usr/bin/time", "-v", sys.executable, "manage.py", "import_documents", str(path)]
    command += ["--collection", "bench", "--no-progress", "--batch-size", env["BATCH_SIZE"]]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stdout + done.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (.+)", done.stderr).group(1)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    return {"seconds": seconds, "peak_rss_mb": rss / 1024, "output": done.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=5000)
    parser.add_argument("--batch-size", default="1000")
    parser.add_argument("--again", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        path = Path(folder) / "corpus.jsonl"
        write_corpus(path, args.documents, args.length)
        env = dict(os.environ, DATA_DIR=folder, SUGGEST_ON_IMPORT="0")
        env["BATCH_SIZE"] = args.batch_size
        env.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        size = path.stat().st_size / 2**20
        runs = [timed_import(path, env)] + ([timed_import(path, env)] if args.again else [])
        for label, run in zip(("import", "again"), runs, strict=False):
            rate = args.documents / run["seconds"]
            print(
                f"{label}: {args.documents} documents x {args.length} chars ({size:.0f} MiB): "
                f"{run['seconds']:.1f} s, {rate:.0f} docs/s, peak RSS {run['peak_rss_mb']:.0f} MB"
                f" | {run['output']}"
            )


if __name__ == "__main__":
    main()
