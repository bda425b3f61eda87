import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse

from annotator.models import Annotation, Origin, Suggestion
from corpus.models import Collection, Document
from tests.factories import (
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    UserFactory,
    api_for,
    label,
)

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line]


@pytest.fixture
def corpus(reviewer, other_reviewer, lead, emoji_document):
    """Two documents with manual, suggested and final annotations, an emoji text included."""
    plain = DocumentFactory(
        title="Plain", source_url="https://news.example/plain", collection=CollectionFactory()
    )
    text = emoji_document.text
    start = text.index("Café")
    AnnotationFactory(
        document=emoji_document,
        start=start,
        end=start + 13,  # "Café owners 😀"
        created_by=reviewer,
        note='He said "no" <b>',
        evidence_url="https://example.com/é",
    )
    suggestion = SuggestionFactory(document=plain, start=0, end=6, score=0.83, suggester="sourced")
    source = AnnotationFactory(
        document=plain,
        start=0,
        end=6,
        created_by=other_reviewer,
        origin=Origin.SUGGESTION,
        suggestion=suggestion,
        label=label("disputed"),
    )
    AnnotationFactory(
        document=plain,
        start=7,
        end=20,
        created_by=lead,
        is_final=True,
        adjudicated_from=[source.pk],
    )
    return {"emoji": emoji_document, "plain": plain}


def test_jsonl_record_fields(lead, corpus):
    records = jsonl(body(api_for(lead).get("/api/export/annotations/?format=jsonl")))
    assert len(records) == 3
    emoji = records[0]
    assert emoji["quote"] == "Café owners 😀"
    assert emoji["document_title"] == "Emoji report"
    assert emoji["note"] == 'He said "no" <b>' and emoji["created_by"] == "rita"
    assert "document_text" not in emoji
    suggested = next(r for r in records if r["origin"] == "suggestion")
    assert suggested["suggestion_score"] == 0.83 and suggested["suggester"] == "sourced"
    assert suggested["document_source_url"] == "https://news.example/plain"
    assert {r["label"] for r in records} == {"sourced", "disputed"}
    expected = {
        "id",
        "document_id",
        "document_title",
        "document_source_url",
        "document_sha256",
        "document_collection",
        "start",
        "end",
        "quote",
        "label",
        "note",
        "evidence_url",
        "created_by",
        "created_at",
        "updated_at",
        "origin",
        "is_final",
        "suggestion_score",
        "suggester",
        "adjudicated_from",
        # Claims (issue 13): the annotation's sources and verdict travel with it.
        "evidence",
        "verdict",
        "revision",
        "anchor_state",
    }
    assert set(emoji) == expected
    assert emoji["evidence"] == [] and emoji["verdict"] is None
    final = next(r for r in records if r["is_final"])
    assert final["adjudicated_from"] == [suggested["id"]]
    assert (emoji["revision"], emoji["anchor_state"]) == (1, "anchored")


def test_export_filters_final_only_and_include_text(lead, corpus):
    api = api_for(lead)
    final = jsonl(body(api.get("/api/export/annotations/?is_final=true&include_text=1")))
    assert len(final) == 1 and final[0]["is_final"] is True
    assert final[0]["document_text"] == corpus["plain"].text
    by_label = jsonl(body(api.get("/api/export/annotations/?format=jsonl&label=disputed")))
    assert [r["created_by"] for r in by_label] == ["omar"]
    by_doc = jsonl(body(api.get(f"/api/export/annotations/?document={corpus['emoji'].pk}")))
    assert len(by_doc) == 1
    assert api.get("/api/export/annotations/?format=xml").status_code == 400
    assert api.get("/api/export/annotations/?document=x").status_code == 400


def test_json_is_one_array(lead, corpus):
    response = api_for(lead).get("/api/export/annotations/?format=json")
    assert response["Content-Type"].startswith("application/json")
    records = json.loads(body(response))
    assert isinstance(records, list) and len(records) == 3


def test_empty_json_export_is_valid(lead):
    assert json.loads(body(api_for(lead).get("/api/export/annotations/?format=json"))) == []


def test_csv_quotes_fields(lead, corpus):
    text = body(api_for(lead).get("/api/export/annotations/?format=csv&include_text=1"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert rows[0]["note"] == 'He said "no" <b>'
    assert rows[0]["document_text"] == corpus["emoji"].text
    final = next(r for r in rows if r["is_final"] == "True")
    source = next(r for r in rows if r["origin"] == "suggestion")
    assert json.loads(final["adjudicated_from"]) == [int(source["id"])]


def test_w3c_web_annotation(lead, corpus):
    response = api_for(lead).get("/api/export/annotations/?format=w3c")
    assert "ld+json" in response["Content-Type"]
    page = json.loads(body(response))
    assert page["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert page["type"] == "AnnotationPage"
    first = page["items"][0]
    assert first["type"] == "Annotation"
    position, quote = first["target"]["selector"]
    assert position["type"] == "TextPositionSelector"
    text = corpus["emoji"].text
    assert text[position["start"] : position["end"]] == quote["exact"] == "Café owners 😀"
    assert quote["type"] == "TextQuoteSelector"
    assert text.endswith(quote["suffix"]) is False
    assert (quote["prefix"] + quote["exact"] + quote["suffix"]) in text
    assert quote["prefix"] and text[: position["start"]].endswith(quote["prefix"])
    assert text[position["end"] :].startswith(quote["suffix"])
    bodies = {b["purpose"]: b for b in first["body"]}
    assert bodies["tagging"]["value"] == "sourced"
    assert bodies["commenting"]["value"] == 'He said "no" <b>'
    assert bodies["linking"]["id"] == "https://example.com/é"
    suggested = next(i for i in page["items"] if "generator" in i)
    assert suggested["generator"]["score"] == 0.83


def test_spacy_jsonl_one_line_per_document(lead, corpus):
    lines = jsonl(body(api_for(lead).get("/api/export/annotations/?format=spacy")))
    assert len(lines) == 2
    emoji = lines[0]
    assert emoji["text"] == corpus["emoji"].text
    (span,) = emoji["spans"]
    assert emoji["text"][span["start"] : span["end"]] == "Café owners 😀"
    assert span["label"] == "sourced"
    assert [s["label"] for s in lines[1]["spans"]] == ["disputed", "sourced"]


def test_reviewer_export_respects_visibility(reviewer, corpus):
    hidden = DocumentFactory(collection=CollectionFactory(slug="hidden", assigned_only=True))
    AnnotationFactory(document=hidden, note="hidden note")
    text = body(api_for(reviewer).get("/api/export/annotations/"))
    assert "hidden note" not in text
    assert len(jsonl(text)) == 3


def test_export_query_count_does_not_grow(lead, corpus, django_assert_max_num_queries):
    for start in range(40):
        AnnotationFactory(document=corpus["plain"], start=start, end=start + 2, created_by=lead)
    api = api_for(lead)
    # +2: the annotations' evidence and verdicts, read once per chunk of 2,000 (issue 13).
    with django_assert_max_num_queries(4 + 2):
        lines = jsonl(body(api.get("/api/export/annotations/")))
    assert len(lines) == 43
    # PostgreSQL's COPY: +2 for its session settings, set before and restored after.
    copy = 2 if connection.vendor == "postgresql" else 0
    with django_assert_max_num_queries(5 + 2 + copy):
        page = json.loads(body(api.get("/api/export/annotations/?format=w3c")))
    assert len(page["items"]) == 43


def test_admin_export_still_works(client, admin_user, corpus):
    client.force_login(admin_user)
    ids = list(Annotation.objects.values_list("id", flat=True))
    response = client.post(
        "/admin/annotator/annotation/",
        {"action": "export_jsonl", "_selected_action": ids},
    )
    assert len(jsonl(body(response))) == 3


# Import


def wipe_database(keep_user) -> None:
    Annotation.objects.all().delete()
    Suggestion.objects.all().delete()
    Document.objects.all().delete()
    Collection.objects.all().delete()
    get_user_model().objects.exclude(pk=keep_user.pk).delete()


def without_ids(records: list[dict]) -> list[dict]:
    """Records without database ids; adjudicated_from names its sources by list position."""
    position = {r["id"]: n for n, r in enumerate(records)}
    return [
        {
            **{k: v for k, v in r.items() if k not in {"id", "document_id"}},
            "adjudicated_from": [position[i] for i in r["adjudicated_from"]],
        }
        for r in records
    ]


def test_round_trip_export_import_export_is_identical(lead, corpus):
    api = api_for(lead)
    exported = body(api.get("/api/export/annotations/?format=jsonl&include_text=1"))
    wipe_database(keep_user=lead)
    assert not Document.objects.exists()
    response = api.post(
        "/api/import/annotations/", exported.encode(), content_type="application/x-ndjson"
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "annotations_created": 3,
        "annotations_skipped": 0,
        "documents_created": 2,
        "users_created": ["omar", "rita"],
    }
    again = body(api.get("/api/export/annotations/?format=jsonl&include_text=1"))
    # Database ids differ in a fresh database; every other field (times included) is identical.
    assert without_ids(jsonl(again)) == without_ids(jsonl(exported))
    placeholder = get_user_model().objects.get(username="rita")
    assert not placeholder.is_active and not placeholder.has_usable_password()
    # Importing the same file again adds nothing.
    response = api.post(
        "/api/import/annotations/", exported.encode(), content_type="application/x-ndjson"
    )
    assert response.json()["annotations_skipped"] == 3
    assert Annotation.objects.count() == 3
    final = Annotation.objects.get(is_final=True)
    assert final.adjudicated_from == [Annotation.objects.get(origin=Origin.SUGGESTION).pk]


def test_import_keeps_adjudicated_from_ids_of_this_database_and_drops_unknown_ones(lead, corpus):
    api = api_for(lead)
    records = jsonl(body(api.get("/api/export/annotations/?format=jsonl")))
    final = next(r for r in records if r["is_final"])
    Annotation.objects.filter(is_final=True).delete()
    source_id = final["adjudicated_from"][0]
    final["adjudicated_from"] = [source_id, 999999]
    response = api.post(
        "/api/import/annotations/",
        (json.dumps(final) + "\n").encode(),
        content_type="application/x-ndjson",
    )
    assert response.status_code == 201, response.content
    assert Annotation.objects.get(is_final=True).adjudicated_from == [source_id]


def test_import_refuses_adjudicated_from_that_is_not_a_list_of_ids(lead, corpus):
    api = api_for(lead)
    records = jsonl(body(api.get("/api/export/annotations/?format=jsonl")))
    final = next(r for r in records if r["is_final"])
    final["adjudicated_from"] = ["seven"]
    response = api.post(
        "/api/import/annotations/",
        (json.dumps(final) + "\n").encode(),
        content_type="application/x-ndjson",
    )
    assert response.status_code == 400
    assert "adjudicated_from" in response.content.decode()


def test_import_matches_existing_documents_by_sha256(lead, corpus, tmp_path):
    exported = body(api_for(lead).get("/api/export/annotations/?format=jsonl"))
    Annotation.objects.all().delete()
    path = tmp_path / "export.jsonl"
    path.write_text(exported)
    out = io.StringIO()
    call_command("import_annotations", str(path), stdout=out)
    assert "imported 3 annotations" in out.getvalue()
    assert Document.objects.count() == 2
    assert Annotation.objects.filter(document=corpus["emoji"]).get().quote == "Café owners 😀"


def test_bad_records_are_reported_by_line_and_nothing_is_imported(lead, corpus, tmp_path):
    exported = jsonl(body(api_for(lead).get("/api/export/annotations/?format=jsonl")))
    Annotation.objects.all().delete()
    good = json.dumps(exported[0])
    bad_quote = json.dumps(exported[1] | {"quote": "changed"})
    bad_label = json.dumps(exported[2] | {"label": "lies"})
    unknown_doc = json.dumps(exported[2] | {"document_sha256": "0" * 64})
    text = "\n".join([good, bad_quote, "{not json", "", bad_label, unknown_doc]) + "\n"
    response = api_for(lead).post(
        "/api/import/annotations/", text.encode(), content_type="application/x-ndjson"
    )
    assert response.status_code == 400
    errors = {e["line"]: e["errors"] for e in response.json()["errors"]}
    assert set(errors) == {2, 3, 5, 6}
    assert "quote" in errors[2]
    assert "Not valid JSON" in errors[3][0]
    assert "Unknown label" in errors[5]["label"][0]
    assert "include_text=1" in errors[6]["document_sha256"][0]
    assert not Annotation.objects.exists()
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(CommandError, match="4 bad record"):
        call_command("import_annotations", str(path), stderr=io.StringIO())
    assert not Annotation.objects.exists()


def test_import_needs_a_lead(reviewer):
    response = api_for(reviewer).post(
        "/api/import/annotations/", b"{}", content_type="application/x-ndjson"
    )
    assert response.status_code == 403


def test_import_of_nothing_is_a_400(lead):
    response = api_for(lead).post(
        "/api/import/annotations/", b"\n\n", content_type="application/x-ndjson"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["errors"] == ["No records found."]


def test_import_creates_document_in_exported_collection(lead):
    user = UserFactory(username="zoe", role="reviewer")
    text = "Officials said 🇰🇵 troops moved north."
    record = {
        "document_title": "Imported",
        "document_text": text,
        "document_collection": "from-elsewhere",
        "start": 15,
        "end": 17,
        "quote": "🇰🇵",
        "label": "propaganda",
        "created_by": user.username,
        "created_at": "2024-01-02T03:04:05.123456+00:00",
        "updated_at": "2024-02-02T03:04:05+00:00",
    }
    response = api_for(lead).post(
        "/api/import/annotations/",
        json.dumps(record).encode(),
        content_type="application/x-ndjson",
    )
    assert response.status_code == 201, response.content
    annotation = Annotation.objects.get()
    assert annotation.document.collection.slug == "from-elsewhere"
    assert annotation.created_by == user
    assert annotation.created_at.isoformat() == "2024-01-02T03:04:05.123456+00:00"
    assert annotation.updated_at.isoformat() == "2024-02-02T03:04:05+00:00"
    assert annotation.history.count() == 1


def test_database_written_json_equals_python_records(corpus):
    """On PostgreSQL the JSONL/JSON export is written by the database; it must not differ."""
    from annotator.api.export_sql import iter_json_texts
    from annotator.api.exports import iter_export_records

    Annotation.objects.filter(is_final=True).update(updated_at="2024-01-02T03:04:05Z")
    annotations = Annotation.objects.all()
    from_db = [json.loads(text) for text in iter_json_texts(annotations)]
    assert from_db == list(iter_export_records(annotations))
    assert any(r["updated_at"] == "2024-01-02T03:04:05+00:00" for r in from_db)


def test_record_keys_follow_row_fields(corpus):
    from annotator.api.exports import RECORD_KEYS, iter_export_records

    assert tuple(next(iter_export_records(Annotation.objects.all()))) == RECORD_KEYS


FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.fixture
def formula_annotations(reviewer):
    document = DocumentFactory(title="=cmd|' /C calc'!A0", text="-1 said so. Fine.")
    for note in FORMULAS:
        AnnotationFactory(document=document, start=0, end=2, created_by=reviewer, note=note)
    AnnotationFactory(document=document, start=3, end=7, created_by=reviewer, note="plain - ok")
    return document


def _csv_cells(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_export_neutralises_formulas(lead, formula_annotations):
    """OWASP: cells starting with = + - @ tab or CR get a leading apostrophe."""
    rows = _csv_cells(body(api_for(lead).get("/api/export/annotations/?format=csv")))
    notes = sorted(row["note"] for row in rows)
    assert notes == sorted(["'" + note for note in FORMULAS] + ["plain - ok"])
    assert {row["document_title"] for row in rows} == {"'=cmd|' /C calc'!A0"}
    assert {row["quote"] for row in rows} == {"'-1", "said"}
    for row in rows:
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())


def test_admin_csv_action_neutralises_formulas(client, admin_user, formula_annotations):
    client.force_login(admin_user)
    response = client.post(
        "/admin/annotator/annotation/",
        {
            "action": "export_csv",
            "_selected_action": list(Annotation.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = _csv_cells(text)
    assert len(rows) == 7
    assert {row["document_title"] for row in rows} == {"'=cmd|' /C calc'!A0"}
    assert sorted(row["note"] for row in rows)[0].startswith("'")
