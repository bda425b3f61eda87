"""Suggestion benchmarks; run as a script (not collected by pytest):

    .venv/bin/python tests/benchmarks/bench_suggesters.py [--documents 10000] [--workers 2]

Uses a fresh DATA_DIR (SQLite + the embedded SQLite broker) unless DATABASE_URL /
CELERY_BROKER_URL are set, and prints:
1. rule suggesters' throughput (MB of text per second in this one process), and the
   sentence segmentation on its own (sentencex);
2. the embedded default: seconds from importing the three demo documents to their
   suggestions being visible, with a real worker already running;
3. a generated collection suggested by a worker with N processes: documents per second,
   and the latency of document-page GETs meanwhile;
4. with --gold FILE: training the span model on --train-documents articles (400) and tagging
   the rest (e.g. ../shared/data/propaganda_train.jsonl; never copied into the project);
5. with --gold DEV --test TEST (the parts written by `manage.py split_gold`): the model trained
   on the dev part, and the rule suggesters, scored on the test part (SemEval-2020 span and
   overlap P/R/F1 per label) with their speed there. Tune on dev only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))


def setup_django(data_dir: str) -> None:
    os.environ["DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
    os.environ["SUGGEST_ON_IMPORT"] = "1"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def demo_texts() -> list[str]:
    from corpus.models import normalize_newlines

    return [
        normalize_newlines(p.read_text(encoding="utf-8"))
        for p in sorted((BASE_DIR / "corpus/fixtures/demo").glob("*.txt"))
    ]


def bench_rules() -> None:
    import random

    from annotator.management.commands.generate_corpus import article
    from annotator.suggestions.suggesters import disputed, propaganda, sourced
    from annotator.suggestions.suggesters.base import segmentation

    rng = random.Random(1)
    corpora = {
        "demo articles": demo_texts() * 150,
        "generated (dense cues)": [article(rng, 3000, emoji=i % 3 == 0) for i in range(700)],
    }
    print("\n== 1. Rule suggesters, one process")
    for label, texts in corpora.items():
        size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        started, cpu_started = time.perf_counter(), time.process_time()
        count = 0
        for text in texts:
            for module in (sourced, disputed, propaganda):
                count += len(module.suggest(text))
            segmentation.cache_clear()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        # CPU seconds of this process: what one worker process does when it has a core.
        print(
            f"{label}: {size:.1f} MB, {count} spans, {elapsed:.2f}s -> {size / elapsed:.2f} MB/s "
            f"(CPU {cpu:.2f}s -> {size / cpu:.2f} MB/s)"
        )
        started = time.perf_counter()
        for text in texts:
            segmentation(text).sentences()
            segmentation.cache_clear()
        rate = size / (time.perf_counter() - started)
        print(f"  segmentation alone: {rate:.2f} MB/s")


def _gold_documents(path: Path):
    from annotator.suggestions.suggesters import spanmodel
    from annotator.suggestions.suggesters.evaluation import gold_read

    records = gold_read(path)
    for record in records:
        record.setdefault("labels_annotated", sorted({s["label"] for s in record["spans"]}))
    documents = [
        spanmodel.Document(
            r["text"],
            [(s["start"], s["end"], s["label"]) for s in r["spans"]],
            tuple(r["labels_annotated"]),
        )
        for r in records
    ]
    return records, documents


def bench_learned(
    gold: Path,
    documents: int,
    test: Path | None = None,
    save: Path | None = None,
    load: Path | None = None,
) -> None:
    """Train the span model (calibration included, as train_suggester does) on the first
    `documents` records of a gold file (or `load` one saved by an earlier run), then tag the
    others (or, with `test`, score the rules and the model on the test part): seconds, MB/s
    of CPU, span P/R/F1."""
    from annotator.suggestions.suggesters import spanmodel, spantraining

    _, docs = _gold_documents(gold)
    train, rest = docs[:documents], docs[documents:] or docs[: documents // 4]
    print(f"\n== 4. Learned span model, one process ({gold.name})")
    if load is not None:
        model = spanmodel.loads(load.read_bytes())
        print(f"model read from {load}")
    else:
        started, cpu_started = time.perf_counter(), time.process_time()
        model = spantraining.train(train)
        print(
            f"training on {len(train)} articles: {time.perf_counter() - started:.0f}s "
            f"(CPU {time.process_time() - cpu_started:.0f}s); calibrated thresholds "
            f"{model['thresholds']}, extended over {model.get('lows')}, span lengths {model['lengths']}"
        )
    if save is not None:
        save.write_bytes(spanmodel.dumps(model))
    tagger = spanmodel.Tagger(model)
    if test is not None:
        bench_test(test, tagger)
        return
    size = sum(len(d.text.encode("utf-8")) for d in rest) / 1e6
    started, cpu_started = time.perf_counter(), time.process_time()
    count = sum(len(tagger.spans(d.text)) for d in rest)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"tagging {len(rest)} articles: {size:.2f} MB, {count} spans, {elapsed:.2f}s -> "
        f"{size / elapsed:.2f} MB/s (CPU {cpu:.2f}s -> {size / cpu:.2f} MB/s)"
    )


def bench_test(test: Path, tagger) -> None:
    """Scores of the rule suggesters and of the model on a test part never tuned on."""
    from annotator.suggestions.suggesters import disputed, propaganda, sourced
    from annotator.suggestions.suggesters.base import segmentation
    from annotator.suggestions.suggesters.evaluation import evaluate

    records, docs = _gold_documents(test)
    labels = sorted({label for r in records for label in r["labels_annotated"]})
    size = sum(len(d.text.encode("utf-8")) for d in docs) / 1e6
    print(f"\n== 5. Test part {test.name}: {len(docs)} articles, {size:.2f} MB, labels {labels}")
    predictions: dict[str, list] = {"rules": [], "learned": []}
    cpu = {"rules": 0.0, "learned": 0.0}
    for d in docs:
        # As a suggestion task does: the rules, then the model on the same text (which reads
        # the rules' spans back instead of computing them again).
        started = time.process_time()
        rules = [*sourced.suggest(d.text), *disputed.suggest(d.text), *propaganda.suggest(d.text)]
        middle = time.process_time()
        spans = tagger.spans(d.text)
        cpu["rules"] += middle - started
        cpu["learned"] += time.process_time() - middle
        segmentation.cache_clear()
        predictions["rules"].append([(s.start, s.end, s.label) for s in rules])
        predictions["learned"].append([(s, e, lab) for s, e, lab, _, _ in spans])
    started = time.process_time()
    for d in docs:
        tagger.spans(d.text)
        segmentation.cache_clear()
    alone = time.process_time() - started
    for name, found in predictions.items():
        note = ""
        if name == "learned":
            note = f" after the rules, as in a task (alone: CPU {alone:.2f}s -> {size / alone:.2f} MB/s)"
        print(f"{name}: CPU {cpu[name]:.2f}s -> {size / cpu[name]:.2f} MB/s{note}")
        scores = evaluate(records, found, labels)
        for label in labels:
            for mode in ("span", "overlap"):
                x = scores[mode][label]
                print(
                    f"  {label:<11} {mode:<8} P {x['precision']:.3f} R {x['recall']:.3f} "
                    f"F1 {x['f1']:.3f} (predicted {x['predicted']}, gold {x['gold']})"
                )


class Worker:
    def __init__(self, concurrency: int, log: Path) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "annotator",
            "worker",
            "-Q",
            "default,suggestions",
        ]
        command += ["--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
        command += ["--pool", "solo"] if concurrency == 1 else ["--concurrency", str(concurrency)]
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=dict(os.environ),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wait_for_worker(seconds: float = 30) -> None:
    """Until a throwaway run is processed: the worker is up and consuming."""
    from annotator.models import SuggestionRun
    from annotator.suggestions.runs import suggestion_run_start
    from corpus.models import Document
    from corpus.services import collection_get_or_create, document_create

    collection = collection_get_or_create(slug="warmup")
    document = (
        Document.objects.filter(collection=collection).first()
        or document_create(collection=collection, text="Officials said it was warm.").document
    )
    run = suggestion_run_start(document=document)
    deadline = time.monotonic() + seconds
    while SuggestionRun.objects.get(pk=run.pk).finished_at is None:
        if time.monotonic() > deadline:
            raise SystemExit("The worker did not start; see the worker log.")
        time.sleep(0.1)


def bench_demo_import(log_dir: Path) -> None:
    from annotator.models import Suggestion
    from corpus.importers import import_paths
    from corpus.models import Document
    from corpus.services import collection_get_or_create

    print("\n== 2. Embedded default: import the demo documents -> suggestions visible")
    worker = Worker(1, log_dir / "worker-demo.log")
    try:
        wait_for_worker()
        Document.objects.filter(collection__slug="demo").delete()
        started = time.perf_counter()
        summary = import_paths(
            paths=[BASE_DIR / "corpus/fixtures/demo"],
            collection=collection_get_or_create(slug="demo", name="Demo"),
            progress=False,
        )
        ids = summary.document_ids
        while True:
            labelled = (
                Suggestion.objects.filter(document_id__in=ids)
                .values("document_id")
                .distinct()
                .count()
            )
            if labelled == len(ids):
                break
            if time.perf_counter() - started > 60:
                raise SystemExit("Demo suggestions did not appear within 60 s.")
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        count = Suggestion.objects.filter(document_id__in=ids).count()
        print(
            f"{len(ids)} documents imported, {count} suggestions visible after {elapsed:.2f}s (target < 3 s)"
        )
    finally:
        worker.stop()


def page_latency(document_id: int) -> float:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    user, _ = get_user_model().objects.get_or_create(
        username="bench-lead", defaults={"is_superuser": True, "is_staff": True}
    )
    client.force_login(user)
    started = time.perf_counter()
    response = client.get(f"/documents/{document_id}/")
    if response.status_code != 200:
        raise SystemExit(f"Document page answered {response.status_code}.")
    return time.perf_counter() - started


def write_latency(document_id: int) -> float:
    """Create then delete one annotation, as a reviewer's tag and undo would."""
    from django.contrib.auth import get_user_model

    from annotator.annotations.services import annotation_create, annotation_delete
    from corpus.models import Document

    user = get_user_model().objects.get(username="bench-lead")
    document = Document.objects.get(pk=document_id)
    started = time.perf_counter()
    annotation = annotation_create(
        document=document, created_by=user, start=0, end=5, label="sourced"
    )
    annotation_delete(annotation=annotation, user=user)
    return time.perf_counter() - started


def bench_collection(documents: int, workers: int, log_dir: Path) -> None:
    from django.core.management import call_command

    from annotator.models import SuggestionRun
    from annotator.suggestions.runs import suggestion_run_start
    from corpus.models import Collection, Document

    print(f"\n== 3. {documents} generated documents, a worker with {workers} processes")
    slug = f"bench-{documents}"
    if not Collection.objects.filter(slug=slug).exists():
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command(
                "generate_corpus", documents=documents, collection=slug, stdout=quiet, stderr=quiet
            )
        print(f"generated in {time.perf_counter() - started:.1f}s")
    collection = Collection.objects.get(slug=slug)
    probe = (
        Document.objects.filter(collection__slug="demo").first()
        or Document.objects.filter(collection=collection).first()
    )
    idle = [page_latency(probe.pk) for _ in range(5)]
    idle_writes = [write_latency(probe.pk) for _ in range(5)]
    writes: list[float] = []
    worker = Worker(workers, log_dir / "worker-collection.log")
    try:
        wait_for_worker()
        started = time.perf_counter()
        run = suggestion_run_start(collection=collection)
        busy: list[float] = []
        last_print = 0.0
        while True:
            state = SuggestionRun.objects.get(pk=run.pk)
            if state.finished_at is not None:
                break
            busy.append(page_latency(probe.pk))
            writes.append(write_latency(probe.pk))
            now = time.perf_counter() - started
            if now - last_print > 10:
                print(f"  {now:5.0f}s: {state.documents_done}/{state.documents_total} documents")
                last_print = now
            if now > 3600:
                print("  stopped after an hour")
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        state = SuggestionRun.objects.get(pk=run.pk)
        print(
            f"{state.documents_done} documents in {elapsed:.1f}s -> {state.documents_done / elapsed:.1f} docs/s; "
            f"{state.suggestions_created} suggestions; status {state.status}"
        )
        print(
            f"document page while idle: median {statistics.median(idle) * 1000:.0f} ms; while suggesting: "
            f"median {statistics.median(busy) * 1000:.0f} ms, max {max(busy) * 1000:.0f} ms over {len(busy)} GETs"
        )
        print(
            f"tag + undo (two writes) while idle: median {statistics.median(idle_writes) * 1000:.0f} ms; "
            f"while suggesting: median {statistics.median(writes) * 1000:.0f} ms, "
            f"max {max(writes) * 1000:.0f} ms over {len(writes)}"
        )
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", default="", help="Default: a new temporary folder.")
    parser.add_argument(
        "--skip", default="", help="Comma-separated parts to skip: rules,demo,collection"
    )
    parser.add_argument(
        "--gold", type=Path, help="A labelled gold file (JSONL) to time the learned model on."
    )
    parser.add_argument("--train-documents", type=int, default=400)
    parser.add_argument(
        "--test",
        type=Path,
        help="With --gold: the test part of a split_gold split; scores the rules and the model "
        "trained on --gold there (per label, span and overlap P/R/F1) instead of timing on the rest.",
    )
    parser.add_argument(
        "--save-model",
        type=Path,
        help="With --gold: write the trained model there (to time it again).",
    )
    parser.add_argument(
        "--load-model",
        type=Path,
        help="With --gold: tag with this model (written by --save-model) instead of training.",
    )
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="bench-suggest-")
    setup_django(data_dir)
    from django.conf import settings

    print(
        f"database {settings.DATABASES['default']['NAME']}, broker {settings.CELERY_BROKER_URL}, data {data_dir}"
    )
    skip = set(args.skip.split(","))
    if "rules" not in skip:
        bench_rules()
    if "demo" not in skip:
        bench_demo_import(Path(data_dir))
    if "collection" not in skip:
        bench_collection(args.documents, args.workers, Path(data_dir))
    if args.gold:
        bench_learned(args.gold, args.train_documents, args.test, args.save_model, args.load_model)


if __name__ == "__main__":
    main()
