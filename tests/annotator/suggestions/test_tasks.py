"""Suggestion runs and the per-document task body, with eager Celery (no worker)."""

import io
import json
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from annotator.annotations.services import annotation_create
from annotator.celery import app
from annotator.models import Annotation, RunStatus, SuggesterModel, Suggestion, SuggestionRun
from annotator.suggestions import tasks
from annotator.suggestions.decisions import suggestion_accept, suggestion_reject
from annotator.suggestions.learning import TooLittleData, suggester_train
from annotator.suggestions.model_store import promoted_model as learned_model_loader
from annotator.suggestions.runs import (
    SuggestionsUnavailable,
    suggestion_run_start,
    suggestions_create,
)
from annotator.suggestions.suggesters import learned
from annotator.suggestions.suggesters.base import SpanSuggestion
from tests.factories import CollectionFactory, DocumentFactory, UserFactory

TEXT = (
    "Officials said the troops arrived overnight. Six soldiers were reportedly missing.\n"
    "State media hailed their heroic sacrifice. 😀 The river was calm."
)


class Boom:
    name = "boom"
    version = "1"

    @staticmethod
    def suggest(text):
        raise RuntimeError("model exploded")


def pending(document):
    return list(
        Suggestion.objects.filter(document=document, status="pending").values_list(
            "suggester", "start", "end", "label__slug"
        )
    )


@pytest.mark.django_db
def test_creates_suggestions_of_every_rule_label_with_code_point_quotes(rules_only):
    document = DocumentFactory(text=TEXT)
    assert suggestions_create(document_id=document.pk) == 3
    rows = {s.label.slug: s for s in Suggestion.objects.filter(document=document)}
    assert set(rows) == {"sourced", "disputed", "propaganda"}
    for row in rows.values():
        assert row.quote == document.text[row.start : row.end]
    assert rows["sourced"].quote == "Officials said the troops arrived overnight"
    assert rows["propaganda"].quote == "hailed their heroic sacrifice"


@pytest.mark.django_db
def test_running_twice_replaces_pending_and_keeps_decisions(rules_only, reviewer):
    document = DocumentFactory(text=TEXT)
    suggestions_create(document_id=document.pk)
    sourced = Suggestion.objects.get(document=document, suggester="sourced")
    disputed = Suggestion.objects.get(document=document, suggester="disputed")
    annotation = suggestion_accept(suggestion=sourced, user=reviewer)
    suggestion_reject(suggestion=disputed, user=reviewer)
    before = pending(document)

    assert suggestions_create(document_id=document.pk) == 1  # only propaganda again
    assert pending(document) == before
    assert Suggestion.objects.filter(document=document).count() == 3
    sourced.refresh_from_db()
    disputed.refresh_from_db()
    assert (sourced.status, disputed.status) == ("accepted", "rejected")
    assert Annotation.objects.get() == annotation


@pytest.mark.django_db
def test_never_suggests_a_span_already_annotated_with_that_label(rules_only, reviewer):
    document = DocumentFactory(text=TEXT)
    start = TEXT.index("hailed their heroic sacrifice")
    annotation_create(
        document=document, created_by=reviewer, start=start, end=start + 29, label="propaganda"
    )
    suggestions_create(document_id=document.pk)
    assert not Suggestion.objects.filter(document=document, label__slug="propaganda").exists()
    assert Annotation.objects.count() == 1


@pytest.mark.django_db
def test_single_suggester_only_replaces_its_own(rules_only):
    document = DocumentFactory(text=TEXT)
    suggestions_create(document_id=document.pk)
    ids = set(Suggestion.objects.exclude(suggester="disputed").values_list("id", flat=True))
    suggestions_create(document_id=document.pk, suggester="disputed")
    assert set(Suggestion.objects.exclude(suggester="disputed").values_list("id", flat=True)) == ids


@pytest.mark.django_db
def test_unknown_suggester_is_refused_by_name():
    with pytest.raises(ValidationError, match="Unknown suggester 'nope'"):
        suggestion_run_start(document=DocumentFactory(), suggester="nope")


@pytest.mark.django_db
def test_gone_document_returns_quietly_and_counts_as_done():
    run = SuggestionRun.objects.create(documents_total=1)
    assert suggestions_create(document_id=999_999, run_id=run.pk) == 0
    run.refresh_from_db()
    assert (run.status, run.documents_done) == (RunStatus.SUCCEEDED, 1)


@pytest.mark.django_db
def test_failing_suggester_fails_the_run_others_still_suggest(rules_only, monkeypatch):
    from annotator.suggestions import suggesters

    real = suggesters.suggester_list
    monkeypatch.setattr("annotator.suggestions.runs.suggester_list", lambda: [*real(), Boom])
    document = DocumentFactory(text=TEXT)
    run = SuggestionRun.objects.create(document=document, documents_total=1)
    assert suggestions_create(document_id=document.pk, run_id=run.pk) == 3
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "boom: RuntimeError: model exploded" in run.error
    assert run.finished_at is not None and run.documents_failed == 1
    assert Suggestion.objects.filter(document=document).count() == 3


@pytest.mark.django_db
def test_huge_document_is_processed_in_chunks_with_offsets_kept(rules_only, settings):
    settings.SUGGEST_CHUNK_CHARS = 1000
    paragraph = "Filler words about the weather and the harvest go here. " * 5
    text = "\n".join([paragraph] * 40 + ["😀 Officials said the troops arrived overnight."])
    document = DocumentFactory(text=text)
    suggestions_create(document_id=document.pk)
    row = Suggestion.objects.get(document=document, suggester="sourced")
    assert row.quote == "Officials said the troops arrived overnight"
    assert row.start == text.index("Officials said the troops arrived")


@pytest.mark.django_db
def test_document_over_the_limit_is_refused_with_a_clear_error(settings):
    settings.SUGGEST_MAX_CHARS = 100
    document = DocumentFactory(text="x" * 101)
    run = SuggestionRun.objects.create(document=document, documents_total=1)
    assert suggestions_create(document_id=document.pk, run_id=run.pk) == 0
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "has 101 characters; suggestions are limited to 100" in run.error


@pytest.mark.django_db
def test_five_megabyte_document_finishes_quickly(rules_only):
    filler = "The harvest was late and the weather stayed mild through the week. " * 40
    paragraph = filler + "Officials said the troops arrived, reportedly after a heroic march."
    text = "\n".join([paragraph] * (4_900_000 // (len(paragraph) + 1)))
    assert len(text) > 4_800_000
    document = DocumentFactory(text=text)
    started = time.perf_counter()
    created = suggestions_create(document_id=document.pk)
    assert created == 3 * text.count("Officials said")
    assert time.perf_counter() - started < 120


@pytest.mark.django_db(transaction=True)
def test_run_start_queues_after_commit_and_finishes(
    eager, rules_only, django_capture_on_commit_callbacks
):
    document = DocumentFactory(text=TEXT)
    with transaction.atomic():
        run = suggestion_run_start(document=document)
        assert Suggestion.objects.count() == 0  # nothing before the commit
    run.refresh_from_db()
    assert (run.status, run.documents_done, run.suggestions_created) == ("succeeded", 1, 3)


@pytest.mark.django_db
def test_collection_run_fans_out_and_tracks_progress(
    eager, rules_only, django_capture_on_commit_callbacks
):
    collection = CollectionFactory()
    documents = [DocumentFactory(collection=collection, text=f"{i}. {TEXT}") for i in range(7)]
    with django_capture_on_commit_callbacks(execute=True):
        run = suggestion_run_start(collection=collection)
    run.refresh_from_db()
    assert (run.documents_total, run.documents_done, run.status) == (7, 7, "succeeded")
    assert run.suggestions_created == 21
    assert Suggestion.objects.filter(document__in=documents, run=run).count() == 21


@pytest.mark.django_db
def test_broker_down_raises_quickly_and_fails_the_run(monkeypatch):
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://127.0.0.1:9/0")
    document = DocumentFactory()
    started = time.perf_counter()
    with pytest.raises(SuggestionsUnavailable, match="broker cannot be reached"):
        suggestion_run_start(document=document)
    assert time.perf_counter() - started < 10
    run = SuggestionRun.objects.get()
    assert run.status == RunStatus.FAILED and "unavailable" in run.error


@pytest.mark.django_db
def test_task_takes_ids_and_retries_transient_errors():
    assert tasks.suggestions_create.name == "annotator.tasks.suggestions_create"
    assert app.amqp.router.route({}, tasks.suggestions_create.name)["queue"].name == "suggestions"
    from django.db import OperationalError

    assert OperationalError in tasks.suggestions_create.autoretry_for
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


@pytest.mark.django_db
def test_import_queues_a_run_per_document_after_commit(
    settings, django_capture_on_commit_callbacks, tmp_path, eager, rules_only
):
    from corpus.importers import import_paths
    from corpus.services import collection_get_or_create

    settings.SUGGEST_ON_IMPORT = True
    path = tmp_path / "a.txt"
    path.write_text("Title\r\n" + TEXT, encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        import_paths(paths=[path], collection=collection_get_or_create(slug="imp"), progress=False)
    run = SuggestionRun.objects.get()
    assert run.status == "succeeded" and run.suggestions_created == 3


def _decisions(reviewer, count=40):
    """Reviewers annotate attributed sentences and reject suggestions on weather sentences."""
    collection = CollectionFactory(slug="train")
    for i in range(count):
        text = (
            f"Officials said convoy {i} crossed the border. The weather {i} was mild and dry. "
            f"Analysts told reporters that unit {i} withdrew. Bread {i} cost more at the market."
        )
        document = DocumentFactory(collection=collection, text=text)
        for cue in (f"convoy {i} crossed", f"unit {i} withdrew"):
            start = text.index(cue)
            annotation_create(
                document=document,
                created_by=reviewer,
                start=start,
                end=start + len(cue),
                label="sourced",
            )
        start = text.index(f"The weather {i}")
        row = Suggestion.objects.create(
            document=document,
            start=start,
            end=start + 11,
            quote=text[start : start + 11],
            label_id=1,
            score=0.5,
            suggester="sourced",
            suggester_version="1",
        )
        suggestion_reject(suggestion=row, user=reviewer)


@pytest.mark.django_db
def test_training_needs_decisions():
    with pytest.raises(TooLittleData):
        suggester_train()
    assert not SuggesterModel.objects.exists()


@pytest.mark.django_db
def test_training_on_reviewers_work_versions_models(reviewer, settings):
    """Annotations (positive) and rejected suggestions (negative) of documents nobody marked
    done: the model learns the annotated phrases, not whole sentences."""
    settings.SUGGEST_RETRAIN_EVERY = 0
    _decisions(reviewer)
    first = suggester_train()
    second = suggester_train()
    assert (first.version, second.version) == (1, 2)
    metrics = second.metrics
    ours, rules = metrics["learned"]["micro"], metrics["rules"]["micro"]
    assert second.promoted == ((ours["f1"], ours["precision"]) > (rules["f1"], rules["precision"]))
    assert ours["f1"] > 0.8
    assert SuggesterModel.objects.filter(promoted=True).count() == 1
    learned.reset()
    learned.loader = learned_model_loader
    text = "Officials said convoy 99 crossed the border. The weather was mild."
    spans = learned.suggest(text)
    assert [(text[s.start : s.end], s.label) for s in spans] == [("convoy 99 crossed", "sourced")]
    learned.reset()


def test_span_suggestion_is_plain_data():
    assert SpanSuggestion(0, 1, "sourced", 0.5, "x") == SpanSuggestion(0, 1, "sourced", 0.5, "x")
    assert UserFactory is not None


GOLD = Path(__file__).resolve().parents[3] / "annotator/suggestions/suggesters/data/gold_demo.jsonl"


def test_gold_file_offsets_match_the_demo_documents_as_stored():
    from corpus.importers import records_in
    from corpus.models import normalize_newlines

    demo = Path(__file__).resolve().parents[3] / "corpus/fixtures/demo"
    texts = {
        normalize_newlines(rec["text"]) for p in demo.glob("*.txt") for _, rec in records_in(p)
    }
    records = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 3 and {r["text"] for r in records} == texts
    labels = {s["label"] for r in records for s in r["spans"]}
    assert labels == {"sourced", "disputed", "propaganda"}


@pytest.mark.django_db
def test_evaluate_suggestions_prints_scores(rules_only):
    out = io.StringIO()
    call_command("evaluate_suggestions", str(GOLD), "--suggester", "disputed", stdout=out)
    text = out.getvalue()
    assert "== disputed" in text
    line = next(row for row in text.splitlines() if row.startswith("disputed     overlap"))
    precision, recall = (float(value) for value in line.split()[2:4])
    # The demo's gold marks reports, denials and framing, not every modal hedge ("analysts
    # suggest", "may"), which the suggester also proposes: it finds every gold span.
    assert recall == 1.0 and 0.3 < precision < 1.0


@pytest.mark.django_db
def test_evaluate_suggestions_names_a_bad_gold_line(tmp_path):
    bad = tmp_path / "gold.jsonl"
    bad.write_text('{"text": "abc", "spans": [{"start": 0, "end": 9, "label": "sourced"}]}\n')
    with pytest.raises(CommandError, match="gold.jsonl:1: span 0 has bad offsets 0-9"):
        call_command("evaluate_suggestions", str(bad))


@pytest.mark.django_db
def test_suggest_command_inline_and_unknown_targets(rules_only):
    document = DocumentFactory(text=TEXT)
    out = io.StringIO()
    call_command("suggest", "--document", str(document.pk), "--inline", stdout=out)
    assert "Created 3 suggestions" in out.getvalue()
    with pytest.raises(CommandError, match="No collection with slug 'nope'"):
        call_command("suggest", "--collection", "nope")
    with pytest.raises(CommandError, match="Unknown suggester"):
        call_command("suggest", "--document", str(document.pk), "--suggester", "nope")


@pytest.mark.django_db
def test_suggest_command_wait_gives_up_with_a_clear_message(rules_only):
    document = DocumentFactory(text=TEXT)
    with pytest.raises(CommandError, match="still unfinished after 1s"):
        call_command(
            "suggest",
            "--document",
            str(document.pk),
            "--wait",
            "--timeout",
            "1",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


@pytest.mark.django_db
def test_suggest_inline_fails_when_a_suggester_failed(rules_only, settings):
    settings.SUGGESTERS = [*settings.SUGGESTERS, "annotator.suggestions.suggesters.http"]
    settings.SUGGESTER_HTTP_URL = "http://127.0.0.1:9/suggest"  # nothing listens there
    document = DocumentFactory(text=TEXT)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="failed on 1 document"):
        call_command("suggest", "--inline", "--document", str(document.pk), stdout=out, stderr=err)
    assert "http:" in err.getvalue()
    assert Suggestion.objects.filter(document=document).count() == 3
    settings.SUGGESTERS = settings.SUGGESTERS[:-1]
    call_command("suggest", "--inline", "--document", str(document.pk), stdout=out, stderr=err)
    assert SuggestionRun.objects.filter(document=document, status=RunStatus.SUCCEEDED).exists()


def test_split_gold_splits_by_document_with_a_fixed_seed(tmp_path):
    gold = tmp_path / "news.jsonl"
    lines = [json.dumps({"id": f"d{i}", "text": f"text {i}", "spans": []}) for i in range(20)]
    gold.write_text("\n".join(lines) + "\n")
    call_command("split_gold", str(gold), "--out", str(tmp_path / "a"), stdout=io.StringIO())
    dev = (tmp_path / "a/news.dev.jsonl").read_text().splitlines()
    test = (tmp_path / "a/news.test.jsonl").read_text().splitlines()
    assert len(test) == 6 and sorted(dev + test) == sorted(lines)
    # Another order of the same file gives the same parts; another seed other parts.
    gold.write_text("\n".join(reversed(lines)) + "\n")
    call_command("split_gold", str(gold), "--out", str(tmp_path / "b"), stdout=io.StringIO())
    assert sorted((tmp_path / "b/news.test.jsonl").read_text().splitlines()) == sorted(test)
    call_command(
        "split_gold", str(gold), "--out", str(tmp_path / "c"), "--seed", "7", stdout=io.StringIO()
    )
    assert sorted((tmp_path / "c/news.test.jsonl").read_text().splitlines()) != sorted(test)


def test_split_gold_refuses_a_missing_file_and_a_bad_share(tmp_path):
    with pytest.raises(CommandError, match="No such gold file"):
        call_command("split_gold", str(tmp_path / "none.jsonl"), "--out", str(tmp_path))
    with pytest.raises(CommandError, match="--test-share"):
        call_command("split_gold", "x", "--out", str(tmp_path), "--test-share", "1.5")
