"""The learned span model, trained for real on a small generated archive (no stubs)."""

from __future__ import annotations

import io
import json
import random
from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from annotator.api.imports import ImportErrors, annotations_import
from annotator.celery import app
from annotator.models import Label, SuggesterModel, Suggestion, SuggestionRun
from annotator.suggestions import learning, model_store
from annotator.suggestions.decisions import suggestion_reject
from annotator.suggestions.runs import suggestions_create
from annotator.suggestions.suggesters import learned, spandecoding, spanmodel, spantraining
from annotator.suggestions.suggesters.evaluation import evaluate, split_of
from corpus.models import Collection, Document
from tests.annotator.suggestions.archive import archive, jsonl
from tests.factories import DocumentFactory, UserFactory

NEW_TEXT = "Yesterday the marchers in Riverton kept chanting our land forever near the bridge."


@pytest.fixture
def slogan(db):
    """A label an admin added: the model learns every label that exists."""
    return Label.objects.create(name="Slogan", slug="slogan", colour="#aa3377")


@pytest.fixture
def learned_from_database():
    learned.loader = model_store.promoted_model
    learned.reset()
    yield
    learned.reset()


def _import(records, collection="archive"):
    UserFactory(username="archivist", role="reviewer")
    return annotations_import(lines=jsonl(records), collection=collection, username="archivist")


def test_span_model_learns_phrases_inside_sentences():
    records = archive(30)
    documents = [
        spanmodel.Document(
            r["text"], [(s["start"], s["end"], s["label"]) for s in r["spans"]], ("slogan",)
        )
        for r in records
    ]
    model = spanmodel.loads(spanmodel.dumps(spantraining.train(documents)))
    assert sorted(model["labels"]) == ["slogan"]
    spans = spanmodel.Tagger(model).spans(NEW_TEXT)
    assert [(NEW_TEXT[s:e], label) for s, e, label, _, _ in spans] == [
        ("our land forever", "slogan")
    ]
    probability, why = spans[0][3], spans[0][4]
    assert 0.5 < probability <= 1 and why.words and set(why.words) <= {"our", "land", "forever"}


def test_a_model_tags_with_the_neighbour_window_it_was_trained_with():
    """Models stored before the window became two words were trained with three: they keep
    getting their +-3 word attributes; new ones record their window."""
    records = archive(12)
    documents = [
        spanmodel.Document(
            r["text"], [(s["start"], s["end"], s["label"]) for s in r["spans"]], ("slogan",)
        )
        for r in records
    ]
    stored = spanmodel.dumps(spantraining.train(documents, calibrated=False))
    new = spanmodel.loads(stored)
    assert new["window"] == spanmodel.TRAINED.window == 2

    def attributes(model):
        _, _, xseq, _, _ = next(spanmodel.Tagger(model).marginals(NEW_TEXT))
        return {a.split("=")[0] for token in xseq for a in token}

    assert "2w" in attributes(new) and "3w" not in attributes(new)
    legacy = json.loads(stored)
    del legacy["window"]
    old = spanmodel.loads(json.dumps(legacy).encode())
    assert old["window"] == 3 and {"3w", "-3w"} <= attributes(old)


def test_a_model_tags_with_the_word_affixes_only_when_trained_with_them():
    """New models learn from prefixes, suffixes and length buckets; a model stored before them
    (trained without, no "affixes" recorded) keeps tagging without them, and still finds."""
    records = archive(12)
    documents = [
        spanmodel.Document(
            r["text"], [(s["start"], s["end"], s["label"]) for s in r["spans"]], ("slogan",)
        )
        for r in records
    ]

    def tagged(model):
        tagger = spanmodel.Tagger(model)
        _, _, xseq, _, _ = next(tagger.marginals(NEW_TEXT))
        spans = [NEW_TEXT[s:e] for s, e, *_ in tagger.spans(NEW_TEXT)]
        return {a.split("=")[0] for token in xseq for a in token}, xseq, spans

    new = spanmodel.loads(spanmodel.dumps(spantraining.train(documents, calibrated=False)))
    attributes, xseq, spans = tagged(new)
    assert new["affixes"] is True and {"p3", "s2", "s4", "len"} <= attributes
    marchers = next(token for token in xseq if "w=marchers" in token)
    assert {"p3=mar", "s2=rs", "s4=hers", "len=3"} <= set(marchers)
    assert spans == ["our land forever"]

    before = replace(spanmodel.TRAINED, affixes=False)  # as trained before affixes existed
    trained = spantraining.train(documents, calibrated=False, settings=before)
    legacy = json.loads(spanmodel.dumps(trained))
    del legacy["affixes"]
    old = spanmodel.loads(json.dumps(legacy).encode())
    attributes, _, spans = tagged(old)
    assert old["affixes"] is False and not {"p3", "s2", "s4", "len"} & attributes
    assert spans == ["our land forever"]


def test_a_model_weighs_stance_cues_only_when_trained_with_them():
    """PolNeAR's cues that the rules leave out ("wants", "hopes", polls "show") are cues of
    their own kind for new models; a model stored before them tags without them."""
    records = archive(12)
    documents = [
        spanmodel.Document(
            r["text"], [(s["start"], s["end"], s["label"]) for s in r["spans"]], ("slogan",)
        )
        for r in records
    ]
    text = "The mayor wants a new bridge. Polls show that voters agree."

    def tokens(model):
        _, toks, xseq, _, _ = next(spanmodel.Tagger(model).marginals(text))
        return {text[s:e]: set(x) for (s, e), x in zip(toks, xseq, strict=True)}

    new = spanmodel.loads(spanmodel.dumps(spantraining.train(documents, calibrated=False)))
    seen = tokens(new)
    assert new["stances"] is True
    assert {"stance", "cue"} <= seen["wants"] and {"stance", "cue"} <= seen["show"]
    assert "cueright0" in seen["mayor"] and "stance" not in seen["mayor"]

    before = replace(spanmodel.TRAINED, stances=False)  # as trained before stance cues
    trained = spantraining.train(documents, calibrated=False, settings=before)
    legacy = json.loads(spanmodel.dumps(trained))
    del legacy["stances"]
    old = spanmodel.loads(json.dumps(legacy).encode())
    seen = tokens(old)
    assert old["stances"] is False and "stance" not in seen["wants"] and "cue" not in seen["wants"]
    assert "nocue" in seen["mayor"]


def test_calibration_learns_each_labels_span_lengths_and_the_tagger_keeps_to_them():
    records = archive(30)
    documents = [
        spanmodel.Document(
            r["text"], [(s["start"], s["end"], s["label"]) for s in r["spans"]], ("slogan",)
        )
        for r in records
    ]
    model = spanmodel.loads(spanmodel.dumps(spantraining.train(documents)))
    # Calibrated on every fifth document by a CRF trained on the others, stored with the model.
    shortest, longest = model["lengths"]["slogan"]
    assert shortest <= len("our land forever") and (longest is None or longest >= 16)
    assert model["thresholds"]["slogan"] in spantraining.GRID
    assert model["lows"]["slogan"] in (model["thresholds"]["slogan"], *spantraining.LOWS)
    assert model["rules"] is True  # trained with the rule suggesters' spans as attributes
    found = spanmodel.Tagger(model).spans(NEW_TEXT)
    assert [NEW_TEXT[s:e] for s, e, *_ in found] == ["our land forever"]
    model["lengths"]["slogan"] = [3, 10]  # a label whose spans are shorter: dropped
    assert spanmodel.Tagger(model).spans(NEW_TEXT) == []
    # A model stored before runs extended has no "lows": its runs are what reaches the threshold.
    legacy = json.loads(spanmodel.dumps(model))
    del legacy["lows"]
    assert spanmodel.Tagger(spanmodel.loads(json.dumps(legacy).encode())).lows == {}


def test_span_measure_gives_partial_credit_by_characters():
    record = {"text": "x" * 40, "spans": [{"start": 0, "end": 10, "label": "sourced"}]}
    scores = evaluate([record], [[(5, 15, "sourced"), (30, 40, "sourced")]])
    span = scores["span"]["sourced"]
    assert span["precision"] == pytest.approx((5 / 10 + 0) / 2)
    assert span["recall"] == pytest.approx(5 / 10)
    assert scores["exact"]["sourced"]["f1"] == 0 and scores["overlap"]["sourced"]["recall"] == 1
    # A label not annotated in a document is neither right nor wrong there.
    record["labels_annotated"] = ["sourced"]
    assert evaluate([record], [[(0, 10, "sourced"), (0, 5, "disputed")]])["span"]["micro"][
        "precision"
    ] == pytest.approx(1.0)


def test_split_is_stable_and_by_document():
    ids = [f"doc-{i}" for i in range(200)]
    parts = [split_of(i) for i in ids]
    assert parts == [split_of(i) for i in ids]
    assert 20 < parts.count("test") < 60 and set(parts) == {"dev", "test"}


@pytest.mark.django_db
def test_gold_import_creates_every_document_and_needs_an_annotator(slogan):
    records = archive(6)
    records[0]["spans"] = []
    result = _import(records)
    assert result.documents_created == 6
    assert result.annotations_created == sum(len(r["spans"]) for r in records)
    assert Collection.objects.get(slug="archive").documents.count() == 6
    with pytest.raises(ImportErrors) as raised:
        annotations_import(lines=jsonl(archive(1, seed=3)))
    assert "created_by" in str(raised.value.errors[0]["errors"])
    bad = archive(2, seed=4)
    bad[1]["spans"] = [{"start": 0, "end": 5, "label": "nope"}]
    with pytest.raises(ImportErrors) as raised:
        _import(bad, collection="other")
    assert raised.value.errors[0]["line"] == 2 and "nope" in str(raised.value.errors[0])
    assert not Collection.objects.filter(slug="other").exists()


@pytest.mark.django_db
def test_train_on_an_archive_then_suggest_with_the_model_version(slogan, learned_from_database):
    _import(archive(40))
    out = io.StringIO()
    call_command("train_suggester", "--collection", "archive", stdout=out)
    report = out.getvalue()
    model = SuggesterModel.objects.get(promoted=True)
    assert f"v{model.version} promoted" in report and "slogan" in report
    assert model.metrics["learned"]["slogan"]["f1"] > 0.9 > model.metrics["rules"]["micro"]["f1"]
    threshold, low = model.metrics["thresholds"]["slogan"], model.metrics["lows"]["slogan"]
    extended = f", extended over words of {low} or more" if low < threshold else ""
    assert f"slogan: calibrated threshold {threshold}{extended}, spans of" in report
    # A fresh article: the run stores the promoted model's version from its first use.
    learned.reset()
    document = DocumentFactory(text=NEW_TEXT)
    assert suggestions_create(document_id=document.pk, suggester="learned") == 1
    row = Suggestion.objects.get(document=document)
    assert (row.quote, row.label.slug) == ("our land forever", "slogan")
    assert row.suggester_version == str(model.version)
    assert f"v{model.version}" in row.rationale and "forever" in row.rationale


@pytest.mark.django_db
def test_a_model_that_does_not_beat_the_rules_is_kept_but_not_promoted(slogan):
    """Gold made by the sourced rules themselves: the rules score 1.0, no model beats that."""
    from annotator.suggestions.suggesters import sourced

    records = []
    for record in archive(40):
        text = record["text"] + "Officials said the bridge in Lakeside would reopen soon.\n"
        spans = [{"start": s.start, "end": s.end, "label": s.label} for s in sourced.suggest(text)]
        records.append({**record, "text": text, "spans": spans})
    _import(records)
    archive_collection = Collection.objects.get(slug="archive")
    model = learning.suggester_train(collection=archive_collection, label="sourced")
    assert model.metrics["rules"]["micro"]["f1"] == 1.0
    assert not model.promoted and "not_promoted_because" in model.metrics
    forced = learning.suggester_train(collection=archive_collection, label="sourced", force=True)
    assert forced.promoted and forced.version == model.version + 1
    assert SuggesterModel.objects.filter(promoted=True).count() == 1


@pytest.mark.django_db
def test_too_little_data_and_a_running_training_are_refused(slogan):
    _import(archive(3))
    with pytest.raises(CommandError, match="Too little data"):
        call_command("train_suggester", "--collection", "archive")
    with pytest.raises(CommandError, match="No collection"):
        call_command("train_suggester", "--collection", "missing")
    _import(archive(30, seed=5), collection="big")
    SuggesterModel.objects.create(name="learned", version=1, metrics={"status": "training"})
    with pytest.raises(ValidationError, match="already running"):
        learning.suggester_train(collection=Collection.objects.get(slug="big"))
    assert SuggesterModel.objects.count() == 1


@pytest.fixture
def eager():
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.mark.django_db
def test_decisions_retrain_once_however_many_follow(
    eager, slogan, reviewer, settings, django_capture_on_commit_callbacks
):
    """Reviewers' annotations on documents marked done train the model; 8 decisions with a
    retrain every 2 start one training, not four (the next one waits for the debounce)."""
    from django.core.cache import cache

    from annotator.models import Assignment

    cache.clear()
    settings.SUGGEST_RETRAIN_EVERY = 2
    _import(archive(30))
    for document in Document.objects.all():
        Assignment.objects.create(document=document, reviewer=reviewer, status="done")
    document = Document.objects.first()
    rows = [
        Suggestion.objects.create(
            document=document,
            start=i,
            end=i + 4,
            quote=document.text[i : i + 4],
            label=slogan,
            score=0.5,
            suggester="sourced",
            suggester_version="1",
        )
        for i in range(8)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        suggestion_reject(suggestion=rows[0], user=reviewer)
    assert not SuggesterModel.objects.exists()
    for row in rows[1:]:
        with django_capture_on_commit_callbacks(execute=True):
            suggestion_reject(suggestion=row, user=reviewer)
    trained = SuggesterModel.objects.get()
    assert trained.metrics["status"] == "trained" and trained.artifact
    assert trained.metrics["learned"]["slogan"]["f1"] > 0.9
    cache.clear()


@pytest.mark.django_db
def test_api_created_documents_get_suggestions_and_suggest_honours_the_suggester(
    lead, settings, django_capture_on_commit_callbacks
):
    from tests.factories import api_for

    settings.SUGGEST_ON_IMPORT = True
    api = api_for(lead)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(
            "/api/documents/",
            {"title": "One", "text": "Officials said the river rose.", "collection": "news"},
            format="json",
        )
    assert response.status_code == 201 and callbacks
    for callback in callbacks:
        callback()
    created = response.json()["id"]
    assert SuggestionRun.objects.filter(document_id=created).count() == 1
    response = api.post(
        f"/api/documents/{created}/suggest/", {"suggester": "sourced"}, format="json"
    )
    assert response.status_code == 202 and response.json()["suggester"] == "sourced"
    response = api.post(f"/api/documents/{created}/suggest/", {"suggester": "nope"}, format="json")
    assert response.status_code == 400 and "suggester" in response.json()


@pytest.mark.django_db
def test_leads_train_on_a_collection_through_the_api(
    eager, slogan, lead, reviewer, django_capture_on_commit_callbacks
):
    from tests.factories import api_for

    _import(archive(30))
    url = "/api/collections/archive/train/"
    assert api_for(reviewer).post(url, {}, format="json").status_code in (403, 404)
    api = api_for(lead)
    response = api.post(url, {"label": "nope"}, format="json")
    assert response.status_code == 400 and "label" in response.json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url, {"label": "slogan"}, format="json")
    assert response.status_code == 202
    models = api.get(url).json()["models"]
    assert [(m["version"], m["status"], m["collection"]) for m in models] == [
        (1, "trained", "archive")
    ]
    assert models[0]["promoted"] and models[0]["metrics"]["learned"]["slogan"]["f1"] > 0.9


def test_rule_spans_become_attributes_of_the_tokens_they_cover():
    text = "Officials said the bridge was closed. Nothing else happened here today."
    toks = spanmodel.tokens(text, 0, len(text))
    marks = spanmodel.rule_marks(toks, spanmodel.rule_spans(text))
    words = [text[s:e] for s, e in toks]
    assert "rBsourced" in marks[words.index("Officials")]
    assert "rEsourced" in marks[words.index("closed")]
    assert all(not m for m in marks[words.index("Nothing") :])


def test_doubled_quotes_of_newspaper_archives_are_quotes_for_the_span_model():
    text = "''We will build it,'' the mayor said. ``Never,'' she replied."
    toks = spanmodel.tokens(text, 0, len(text))
    words = [text[s:e] for s, e in toks]
    assert words[:2] == ["''", "We"] and words.count("''") == 3 and "``" in words
    attributes = spanmodel.features(text, toks)
    assert "inq" in attributes[words.index("build")]
    assert "inq" not in attributes[words.index("mayor")]
    # The sentence ends after the closing quote, which stays with it.
    assert "slast" in attributes[words.index("said") + 1]  # the full stop
    # A span found from a doubled quote to the next keeps both quotes, as the corpora mark them.
    inside = [1.0 if k < 7 else 0.0 for k in range(len(toks))]
    begins = [k == 0 for k in range(len(toks))]
    (first, last, _), *_ = spandecoding.candidates(text, toks, inside, begins, 0.5)
    assert text[toks[first][0] : toks[last - 1][1]] == "''We will build it,''"


def _quotations(opening: str, closing: str) -> list[spanmodel.Document]:
    """40 documents, each with one quotation attributed to the mayor, marked as sourced."""
    rng = random.Random(3)
    documents, sentences = [], ["The weather was mild.", "Traffic was light in town."]
    for index in range(40):
        quote = f"{opening}We will build bridge {index},{closing}"
        text = f"{rng.choice(sentences)} {quote} the mayor said. {rng.choice(sentences)}"
        start = text.index(quote)
        span = (start, start + len(quote) + len(" the mayor said"), "sourced")
        documents.append(spanmodel.Document(text, [span], ("sourced",)))
    return documents


def test_a_model_trained_on_doubled_quote_archives_suggests_whole_quotations():
    model = spantraining.train(_quotations("''", "''"))
    text = "Traffic was light in town. ''We will build bridge 99,'' the mayor said."
    found = [text[s:e] for s, e, *_ in spanmodel.Tagger(model).spans(text)]
    assert found == ["''We will build bridge 99,'' the mayor said"]


def test_a_rationale_names_the_words_and_the_context_that_weighed():
    """Trained on quotations attributed to a speaker, the model's reasons for a span are the
    reporting verb and what the rules already suggest there, not just "n/a"."""
    tagger = spanmodel.Tagger(spantraining.train(_quotations("“", "”")))
    text = "Traffic was light in town. “We will build bridge 99,” the mayor said."
    [(start, end, label, _, why)] = tagger.spans(text)
    assert text[start:end] == "“We will build bridge 99,” the mayor said"
    assert why.words == ["said"]
    assert "what the sourced rules suggest" in why.context and len(why.context) <= 2
    assert learned.explain(why) == f"strongest words: said; context: {', '.join(why.context)}"
    assert spanmodel.reason("rBslogan") == spanmodel.reason("rslogan")
    assert spanmodel.reason("rslogan") == "what the slogan rules suggest"
    assert spanmodel.reason("cueleft3") == "after a reporting verb"
    assert spanmodel.reason("rep") == "words the document repeats"
    assert spanmodel.reason("rpos=2") is None and spanmodel.reason("w=said") is None
    assert learned.explain(spanmodel.Why([], [])).startswith("no single word or context")


def test_a_run_extends_over_the_less_sure_neighbours_of_a_sure_token_up_to_a_new_span():
    text = "Officials said on Monday that the bridge would close. Later that day it rained."
    toks = spanmodel.tokens(text, 0, len(text))
    words = [text[s:e] for s, e in toks]
    inside = [0.01] * len(toks)
    for k in range(words.index("Officials"), words.index("close") + 1):
        inside[k] = 0.15  # the attribution, of which the model is sure of one word only
    inside[words.index("said")] = 0.9
    inside[words.index("rained")] = 0.15  # unsure, and no sure word near it
    begins = [False] * len(toks)

    def found(threshold, low=None):
        return _decoded(text, inside, threshold, low, begins)

    assert found(0.5) == ["said"]
    assert found(0.1) == ["Officials said on Monday that the bridge would close", "rained"]
    assert found(0.5, 0.1) == ["Officials said on Monday that the bridge would close"]
    assert found(0.5, 0.5) == found(0.5, 0.9) == ["said"]  # not below: no extension
    begins[words.index("that")] = True  # the model would start another span there
    assert found(0.5, 0.1) == ["Officials said on Monday"]


class _Marginals:
    """A model's per-token probabilities, as calibrate() reads them from a Tagger."""

    labels = ["sourced"]

    def __init__(self, inside: dict[str, list[float]]) -> None:
        self.inside = inside

    def marginals(self, text):
        toks = spanmodel.tokens(text, 0, len(text))
        yield "sourced", toks, None, self.inside[text], [False] * len(toks)


def test_calibration_extends_runs_only_when_held_back_spans_reach_past_the_sure_tokens(
    monkeypatch,
):
    held, inside = [], {}
    for n in range(6):
        text = f"Officials said the bridge {n} would close. Rain fell on the town all day."
        toks = spanmodel.tokens(text, 0, len(text))
        end = text.index(" Rain")
        held.append(spanmodel.Document(text, [(0, end - 1, "sourced")], ("sourced",)))
        probabilities = [0.3 if e <= end else 0.01 for s, e in toks]
        probabilities[1] = 0.9  # "said"
        # "on the town all day": as unsure as the attribution, and wrong
        probabilities[-6:-1] = [0.3] * 5
        inside[text] = probabilities
    result = spantraining.calibrate(_Marginals(inside), held)["sourced"]
    assert result["low"] < 0.3 < result["threshold"]
    text = held[0].text
    assert _decoded(text, inside[text], result["threshold"], result["low"]) == [
        "Officials said the bridge 0 would close"
    ]
    # Not when extending is better by less than the margin.
    monkeypatch.setattr(spantraining, "EXTEND_MARGIN", 1.0)
    result = spantraining.calibrate(_Marginals(inside), held)["sourced"]
    assert result["low"] == result["threshold"] <= 0.3
    monkeypatch.undo()
    # With the spans only as long as the sure token, no extension is calibrated.
    held = [spanmodel.Document(d.text, [(10, 14, "sourced")], ("sourced",)) for d in held]
    result = spantraining.calibrate(_Marginals(inside), held)["sourced"]
    assert result["low"] == result["threshold"] > 0.3


def _decoded(text, inside, threshold, low=None, begins=None):
    """The texts of the spans decoded from per-token probabilities of the whole text."""
    toks = spanmodel.tokens(text, 0, len(text))
    begins = [False] * len(toks) if begins is None else begins
    return [
        text[toks[i][0] : toks[j - 1][1]]
        for i, j, _ in spandecoding.candidates(text, toks, inside, begins, threshold, low)
    ]


def test_a_span_does_not_end_on_a_word_leading_on_nor_on_a_quote_facing_outwards():
    text = "The pact was signed by “the heroes” of the war, it said."
    toks = spanmodel.tokens(text, 0, len(text))
    words = [text[s:e] for s, e in toks]

    def found(first, last):
        inside = [1.0 if first <= k <= last else 0.0 for k in range(len(toks))]
        return _decoded(text, inside, 0.5, begins=[k == first for k in range(len(toks))])

    assert found(words.index("pact"), words.index("“")) == ["pact was signed"]
    assert found(words.index("”"), words.index("war")) == ["of the war"]
    assert found(words.index("“"), words.index("”")) == ["“the heroes”"]
