"""POST /api/documents/ with a list, NDJSON or CSV: checked first, written in bulk."""

import json

import pytest

from corpus.models import Document
from tests.factories import api_for

pytestmark = pytest.mark.django_db


def test_an_invalid_record_in_a_list_names_its_index_and_field_and_writes_nothing(lead):
    body = [{"text": f"Text {i}.", "collection": "wire"} for i in range(5)]
    body[3]["published_at"] = "yesterday"
    body[4]["text"] = "   "
    response = api_for(lead).post("/api/documents/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["documents"]
    assert set(errors) == {"3", "4"}
    assert "published_at" in errors["3"] and "text" in errors["4"]
    assert Document.objects.count() == 0


def test_a_lone_surrogate_is_refused_by_name(lead):
    response = api_for(lead).post(
        "/api/documents/", '[{"text": "ok \\ud800 no"}]', content_type="application/json"
    )
    assert response.status_code == 400
    assert "U+D800" in response.json()["documents"]["0"]["text"][0]


def test_ndjson_body_creates_the_documents(lead):
    lines = [
        json.dumps({"title": f"T{i}", "text": f"Body {i}.", "collection": "wire"}) for i in range(3)
    ]
    response = api_for(lead).post(
        "/api/documents/", "\n".join(lines) + "\n", content_type="application/x-ndjson"
    )
    assert response.status_code == 201, response.content
    assert [d["title"] for d in response.json()["created"]] == ["T0", "T1", "T2"]
    assert Document.objects.filter(collection__slug="wire").count() == 3


def test_ndjson_syntax_error_names_the_line(lead):
    response = api_for(lead).post(
        "/api/documents/", '{"text": "a"}\n{"text": \n', content_type="application/x-ndjson"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("line 2: invalid JSON")
    assert Document.objects.count() == 0


def test_csv_body_creates_the_documents_with_metadata(lead):
    body = 'title,text,metadata,collection\nA,"First, text.","{""k"": 1}",wire\nB,Second.,,wire\n'
    response = api_for(lead).post("/api/documents/", body, content_type="text/csv")
    assert response.status_code == 201, response.content
    created = response.json()["created"]
    assert [(d["title"], d["metadata"]) for d in created] == [("A", {"k": 1}), ("B", {})]


def test_csv_without_text_column_is_a_400(lead):
    response = api_for(lead).post("/api/documents/", "title\nA\n", content_type="text/csv")
    assert response.status_code == 400
    assert "'text' column" in response.json()["detail"]


def test_single_document_still_answers_201_with_the_object(lead):
    response = api_for(lead).post("/api/documents/", {"text": "Alone."}, format="json")
    assert response.status_code == 201
    assert response.json()["text"] == "Alone." and response["Location"]
