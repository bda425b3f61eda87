import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotator.models import Annotation, Assignment, Origin, SuggestionStatus
from annotator.review.services import assignment_start
from annotator.suggestions.decisions import suggestion_reject
from tests.factories import (
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    api_for,
    label,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(reviewer):
    return api_for(reviewer)


# Auth


def test_every_endpoint_needs_auth(document):
    client = APIClient()
    for url in [
        "/api/collections/",
        "/api/labels/",
        "/api/documents/",
        f"/api/documents/{document.pk}/",
        "/api/annotations/",
        "/api/suggestions/",
        "/api/export/annotations/?format=jsonl",
    ]:
        assert client.get(url).status_code == 401, url
    assert client.post("/api/annotations/", {}, format="json").status_code == 401


def test_bad_token_is_refused(document):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/documents/").status_code == 401


def test_session_auth_works(client, reviewer, document):
    client.force_login(reviewer)
    response = client.get("/api/documents/")
    assert response.status_code == 200
    assert response.json()["count"] == 1


# Labels and collections


def test_labels_by_slug(api):
    slugs = [row["slug"] for row in api.get("/api/labels/").json()]
    assert slugs == ["sourced", "disputed", "propaganda"]
    assert api.get("/api/labels/disputed/").json()["shortcut"] == "2"


def test_collections_hide_assigned_only_ones_from_reviewers(api, lead, document):
    CollectionFactory(slug="secret", assigned_only=True)
    DocumentFactory(collection=CollectionFactory(slug="secret"))
    slugs = {row["slug"] for row in api.get("/api/collections/").json()["results"]}
    assert slugs == {document.collection.slug}
    lead_slugs = {row["slug"] for row in api_for(lead).get("/api/collections/").json()["results"]}
    assert lead_slugs == {document.collection.slug, "secret"}


# Documents


def test_document_list_has_no_text_unless_asked(api, document):
    row = api.get("/api/documents/").json()["results"][0]
    assert "text" not in row and row["title"] == document.title
    assert row["collection"] == document.collection.slug
    row = api.get("/api/documents/?include_text=1").json()["results"][0]
    assert row["text"] == document.text
    assert api.get(f"/api/documents/{document.pk}/").json()["text"] == document.text


def test_document_filters(api, reviewer, document):
    other = DocumentFactory(title="Kursk offensive report", collection=CollectionFactory(slug="b"))
    AnnotationFactory(document=other, created_by=reviewer)

    def ids(query):
        return [row["id"] for row in api.get("/api/documents/" + query).json()["results"]]

    assert ids("?collection=b") == [other.pk]
    assert ids("?title=kursk") == [other.pk]
    assert ids("?has_annotations=true") == [other.pk]
    assert ids("?has_annotations=false") == [document.pk]
    assert ids("?imported_since=2999-01-01T00:00:00Z") == []
    assert ids("?ordering=-id") == [other.pk, document.pk]
    assert api.get("/api/documents/?imported_since=yesterday").status_code == 400


def test_assigned_only_documents_are_404_for_others(api, reviewer):
    hidden = DocumentFactory(collection=CollectionFactory(slug="x", assigned_only=True))
    theirs = AnnotationFactory(document=hidden, note="on a hidden document")
    response = api.get(f"/api/documents/{hidden.pk}/")
    assert response.status_code == 404
    assert hidden.title not in response.content.decode()
    assert api.get("/api/annotations/").json()["count"] == 0
    assert api.get(f"/api/annotations/{theirs.pk}/").status_code == 404
    Assignment.objects.create(document=hidden, reviewer=reviewer)
    assert api.get(f"/api/documents/{hidden.pk}/").status_code == 200
    assert api.get("/api/annotations/").json()["count"] == 1


def test_lead_creates_one_document_restfully_or_many_with_duplicates_reported(lead):
    api = api_for(lead)
    response = api.post(
        "/api/documents/",
        {"title": "One", "text": "Officials said 😀 it.", "collection": "news"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "One" and body["text"] == "Officials said 😀 it."
    assert response["Location"] == f"http://testserver/api/documents/{body['id']}/"
    assert api.get(response["Location"]).json()["id"] == body["id"]
    again = api.post(
        "/api/documents/",
        {"title": "One more time", "text": "Officials said 😀 it.", "collection": "news"},
        format="json",
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert again["Location"] == response["Location"]
    response = api.post(
        "/api/documents/",
        [
            {"title": "Two", "text": "Second text.", "collection": "news"},
            {"title": "One again", "text": "Officials said 😀 it.", "collection": "news"},
        ],
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert [d["title"] for d in body["created"]] == ["Two"]
    assert [d["title"] for d in body["duplicates"]] == ["One"]


def test_document_create_is_all_or_nothing_with_field_errors(lead):
    api = api_for(lead)
    response = api.post(
        "/api/documents/",
        [{"title": "Fine", "text": "Fine text."}, {"title": "Bad", "text": "   "}],
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["documents"]["1"]["text"] == ["Text is empty."]
    assert api.get("/api/documents/").json()["count"] == 0
    response = api.post(
        "/api/documents/", {"text": "x", "source_url": "ftp://example.com/a"}, format="json"
    )
    assert response.status_code == 400
    assert "http" in response.json()["source_url"][0]


def test_reviewer_cannot_create_documents(api):
    response = api.post("/api/documents/", {"title": "T", "text": "Text."}, format="json")
    assert response.status_code == 403


def test_document_metadata_update_and_text_revision(lead, document):
    api = api_for(lead)
    response = api.patch(
        f"/api/documents/{document.pk}/", {"title": "New title", "author": "Zoë"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "New title"
    annotation = AnnotationFactory(document=document)
    response = api.patch(f"/api/documents/{document.pk}/", {"text": "Other."}, format="json")
    assert response.status_code == 200
    assert (response.json()["text"], response.json()["revision"]) == ("Other.", 2)
    assert annotation.__class__.objects.filter(pk=annotation.pk).exists()


# Annotations


def test_create_annotation_returns_quote_author_and_version(api, reviewer, emoji_document):
    text = emoji_document.text
    start = text.index("😀")
    response = api.post(
        "/api/annotations/",
        {
            "document": emoji_document.pk,
            "start": start,
            "end": start + 1,
            "label": "sourced",
            "note": "<b>emoji</b>",
            "evidence_url": "https://example.com/a",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["quote"] == "😀"
    assert body["created_by"] == "rita" and body["version"] == 1 and body["label"] == "sourced"
    assert body["note"] == "<b>emoji</b>" and body["origin"] == "manual"
    assert Annotation.objects.get(pk=body["id"]).end == start + 1


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"start": 5, "end": 5}, "end", "greater than start"),
        ({"start": 0, "end": 10_000}, "end", "past the end"),
        ({"start": -1}, "start", ""),
        ({"start": "zero"}, "start", "valid integer"),
        ({"start": True}, "start", ""),
        ({"quote": "nope!"}, "quote", "does not match"),
        ({"label": "lies"}, "label", "Unknown label"),
        ({"label": 7}, "label", ""),
        ({"document": 999_999}, "document", "Unknown document"),
        ({"document": 2**70}, "document", ""),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url", "http or https"),
        ({"evidence_url": "ftp://example.com/x"}, "evidence_url", "http or https"),
        ({"note": ["a"]}, "note", ""),
    ],
)
def test_bad_annotation_is_a_400_naming_the_field(api, document, payload, field, message):
    data = {"document": document.pk, "start": 0, "end": 6, "label": "sourced"} | payload
    response = api.post("/api/annotations/", data, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors
    assert message in " ".join(errors[field])
    assert not Annotation.objects.exists()


def test_every_bad_field_is_named_at_once(api, document):
    response = api.post(
        "/api/annotations/",
        {
            "document": document.pk,
            "start": 10,
            "end": 5,
            "label": "lies",
            "evidence_url": "ftp://example.com/x",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"end", "label", "evidence_url"}


def test_unknown_document_and_label_are_both_named(api):
    response = api.post(
        "/api/annotations/",
        {"document": 999_999, "start": 0, "end": 5, "label": "lies"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"document", "label"}


def test_malformed_json_and_wrong_shapes_are_400(api):
    response = api.post("/api/annotations/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    response = api.post("/api/annotations/", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    response = api.post("/api/annotations/", "null", content_type="application/json")
    assert response.status_code == 400


def test_oversized_body_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/api/annotations/", {"note": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]


def test_unknown_document_does_not_leak_hidden_documents(api):
    hidden = DocumentFactory(collection=CollectionFactory(slug="x", assigned_only=True))
    response = api.post(
        "/api/annotations/",
        {"document": hidden.pk, "start": 0, "end": 6, "label": "sourced"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"document": ["Unknown document."]}


def test_patch_with_version_and_conflict(api, reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=reviewer)
    url = f"/api/annotations/{annotation.pk}/"
    response = api.patch(url, {"version": 1, "label": "disputed", "note": "n"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response.json()["label"] == "disputed"
    assert response["ETag"] == '"2"'
    stale = api.patch(url, {"version": 1, "note": "late"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["version"] == 2
    assert stale.json()["current"]["note"] == "n"
    stale = api.patch(url, {"note": "late"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 409
    fresh = api.patch(url, {"end": 10}, format="json", HTTP_IF_MATCH='"2"')
    assert fresh.status_code == 200 and fresh.json()["quote"] == document.text[0:10]
    assert api.patch(url, {"note": "x"}, format="json", HTTP_IF_MATCH="two").status_code == 400


def test_reviewer_cannot_change_or_delete_others_work(api, other_reviewer, document):
    theirs = AnnotationFactory(document=document, created_by=other_reviewer, note="secret")
    url = f"/api/annotations/{theirs.pk}/"
    assert api.patch(url, {"note": "mine now"}, format="json").status_code == 403
    assert api.delete(url).status_code == 403
    theirs.refresh_from_db()
    assert theirs.note == "secret"


def test_lead_may_change_and_delete_others_work(lead, reviewer, document):
    theirs = AnnotationFactory(document=document, created_by=reviewer)
    api = api_for(lead)
    url = f"/api/annotations/{theirs.pk}/"
    assert api.patch(url, {"note": "checked", "version": 1}, format="json").status_code == 200
    assert api.delete(url, HTTP_IF_MATCH='"1"').status_code == 409
    assert api.delete(url, HTTP_IF_MATCH='"2"').status_code == 204
    assert not Annotation.objects.filter(pk=theirs.pk).exists()


def test_outsider_without_role_is_refused_like_in_the_ui(outsider, document):
    api = api_for(outsider)
    for url in ["/api/documents/", "/api/annotations/", "/api/export/annotations/"]:
        response = api.get(url)
        assert response.status_code == 403, url
        assert document.title not in response.content.decode()
    response = api.post(
        "/api/annotations/",
        {"document": document.pk, "start": 0, "end": 6, "label": "sourced"},
        format="json",
    )
    assert response.status_code == 403
    assert api.post(f"/api/documents/{document.pk}/suggest/").status_code == 403


def test_blind_review_hides_others_until_done(api, reviewer, other_reviewer):
    blind = DocumentFactory(collection=CollectionFactory(slug="blind", blind_review=True))
    mine = AnnotationFactory(document=blind, created_by=reviewer)
    theirs = AnnotationFactory(document=blind, created_by=other_reviewer, note="their note")
    response = api.get("/api/annotations/")
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert "their note" not in response.content.decode()
    assert api.get(f"/api/annotations/{theirs.pk}/").status_code == 404
    export = b"".join(api.get("/api/export/annotations/?format=jsonl").streaming_content)
    assert b"their note" not in export
    Assignment.objects.create(document=blind, reviewer=reviewer, status="done")
    response = api.get("/api/annotations/")
    assert {row["id"] for row in response.json()["results"]} == {mine.pk, theirs.pk}


def test_final_annotation_names_its_sources_in_adjudicated_from(api, reviewer, other_reviewer):
    source = AnnotationFactory(created_by=other_reviewer)
    final = AnnotationFactory(
        document=source.document, created_by=other_reviewer, is_final=True,
        adjudicated_from=[source.pk],
    )  # fmt: skip
    rows = {row["id"]: row for row in api.get("/api/annotations/").json()["results"]}
    assert rows[final.pk]["adjudicated_from"] == [source.pk]
    assert rows[source.pk]["adjudicated_from"] == []
    assert api.get(f"/api/annotations/{final.pk}/").json()["adjudicated_from"] == [source.pk]


def test_annotation_filters(api, reviewer, other_reviewer):
    a = AnnotationFactory(created_by=reviewer)
    b = AnnotationFactory(created_by=other_reviewer, label=label("propaganda"), is_final=True)

    def ids(query):
        response = api.get("/api/annotations/" + query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(f"?document={a.document_id}") == [a.pk]
    assert ids(f"?collection={b.document.collection.slug}") == [b.pk]
    assert ids("?label=propaganda") == [b.pk]
    assert ids("?created_by=omar") == [b.pk]
    assert ids("?is_final=true") == [b.pk]
    assert ids("?origin=manual&ordering=-id") == [b.pk, a.pk]
    assert ids("?updated_since=2999-01-01T00:00:00Z") == []
    assert api.get("/api/annotations/?document=abc").status_code == 400
    assert api.get("/api/annotations/?origin=robot").status_code == 400
    # PostgreSQL refuses offsets beyond ±16 h: converted to UTC first, or refused if out of range.
    assert ids("?updated_since=2020-08-20T01:01:59.6-19:40") == [a.pk, b.pk]
    assert api.get("/api/annotations/?updated_since=0001-01-01T00:00:00%2B19:40").status_code == 400


def test_list_pagination_shape(api, reviewer, document):
    for start in range(3):
        AnnotationFactory(document=document, start=start, end=start + 3, created_by=reviewer)
    body = api.get(f"/api/annotations/?document={document.pk}").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3


def test_annotation_list_query_count_is_constant(
    api, reviewer, document, django_assert_max_num_queries
):
    for start in range(30):
        AnnotationFactory(document=document, start=start, end=start + 3, created_by=reviewer)
    # token+user, roles, count, page (labels and authors joined): no N+1.
    with django_assert_max_num_queries(4):
        response = api.get(f"/api/annotations/?document={document.pk}")
    assert len(response.json()["results"]) == 30


def test_annotation_create_query_count(api, reviewer, document, django_assert_max_num_queries):
    payload = {"document": document.pk, "start": 0, "end": 6, "label": "sourced"}
    # The reviewer's first API work on it started their assignment (annotator/events).
    assignment_start(document=document, reviewer=reviewer)
    # token+user, roles, document, label, document lock, duplicate check, insert, history
    # insert (+ savepoints), event insert, assignment read (annotator/events).
    with django_assert_max_num_queries(13):
        response = api.post("/api/annotations/", payload, format="json")
    assert response.status_code == 201


# Suggestions


def test_suggestion_list_filters_and_accept_with_adjustment(api, reviewer, document):
    suggestion = SuggestionFactory(document=document, start=0, end=6)
    SuggestionFactory(document=document, start=7, end=9, label=label("sourced"), suggester="x")
    rows = api.get("/api/suggestions/?label=disputed&status=pending").json()["results"]
    assert [row["id"] for row in rows] == [suggestion.pk]
    assert api.get("/api/suggestions/?suggester=x").json()["count"] == 1
    response = api.post(
        f"/api/suggestions/{suggestion.pk}/accept/",
        {"end": 10, "label": "propaganda"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["quote"] == document.text[:10] and body["label"] == "propaganda"
    assert body["origin"] == Origin.SUGGESTION and body["suggestion"] == suggestion.pk
    again = api.post(f"/api/suggestions/{suggestion.pk}/accept/", {}, format="json")
    assert again.status_code == 400
    assert "already accepted" in again.json()["detail"]


def test_suggestion_reject(api, document):
    suggestion = SuggestionFactory(document=document)
    response = api.post(f"/api/suggestions/{suggestion.pk}/reject/")
    assert response.status_code == 200
    assert response.json()["status"] == SuggestionStatus.REJECTED
    assert response.json()["decided_by"] == "rita"


def test_blind_review_suggestion_decisions_stay_private_until_done(
    api, reviewer, other_reviewer, lead
):
    blind = DocumentFactory(collection=CollectionFactory(slug="blind", blind_review=True))
    suggestion = SuggestionFactory(document=blind)
    other = api_for(other_reviewer)
    assert (
        other.post(f"/api/suggestions/{suggestion.pk}/accept/", {}, format="json").status_code
        == 201
    )
    url = f"/api/suggestions/{suggestion.pk}/"
    # Still pending for this reviewer, with no trace of the other's decision.
    row = api.get(url).json()
    assert (row["status"], row["decided_by"], row["decided_at"], row["decisions"]) == (
        "pending",
        None,
        None,
        [],
    )
    assert api.get("/api/suggestions/?status=pending").json()["count"] == 1
    assert other.get("/api/suggestions/?status=pending").json()["count"] == 0
    assert other.get(url).json()["status"] == "accepted"
    rejected = api.post(f"{url}reject/")
    assert rejected.status_code == 200
    body = rejected.json()
    assert (body["status"], body["decided_by"]) == ("rejected", "rita")
    assert [d["reviewer"] for d in body["decisions"]] == ["rita"]
    again = api.post(f"{url}accept/", {}, format="json")
    assert again.status_code == 400 and "already rejected" in again.json()["detail"]
    # The lead sees both; the reviewer sees the other's once they mark the document done.
    by_lead = api_for(lead).get(url).json()["decisions"]
    assert {(d["reviewer"], d["status"]) for d in by_lead} == {
        ("rita", "rejected"),
        (other_reviewer.username, "accepted"),
    }
    # Deciding through the API started rita's assignment (annotator/events); now done.
    Assignment.objects.filter(document=blind, reviewer=reviewer).update(status="done")
    assert len(api.get(url).json()["decisions"]) == 2


def test_suggestion_list_queries_do_not_grow_with_rows(
    api, reviewer, other_reviewer, django_assert_max_num_queries
):
    document = DocumentFactory()
    for start in range(0, 40, 2):
        suggestion = SuggestionFactory(document=document, start=start, end=start + 1)
        suggestion_reject(suggestion=suggestion, user=other_reviewer)
    with django_assert_max_num_queries(5):
        response = api.get("/api/suggestions/?page_size=100")
    assert response.json()["count"] == 20
    assert all(len(row["decisions"]) == 1 for row in response.json()["results"])


def test_suggestions_on_hidden_documents_are_404(api):
    hidden = DocumentFactory(collection=CollectionFactory(slug="x", assigned_only=True))
    suggestion = SuggestionFactory(document=hidden)
    assert api.get("/api/suggestions/").json()["count"] == 0
    assert api.post(f"/api/suggestions/{suggestion.pk}/accept/").status_code == 404


def test_suggest_answers_202_with_the_run(api, document, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from annotator.celery import app

    app.conf.task_always_eager = True
    try:
        response = api.post(f"/api/documents/{document.pk}/suggest/")
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 202, response.content
    run = response.json()
    assert run["document"] == document.pk and run["status"] in {"queued", "running", "succeeded"}
    assert api.get(f"/api/suggestion-runs/{run['id']}/").status_code == 200


def test_suggest_without_broker_is_503(api, document, monkeypatch):
    from annotator.suggestions import runs as suggestions

    def unavailable(**kwargs):
        raise suggestions.SuggestionsUnavailable("the task broker cannot be reached")

    monkeypatch.setattr(suggestions, "suggestion_run_start", unavailable)
    response = api.post(f"/api/documents/{document.pk}/suggest/")
    assert response.status_code == 503
    assert "broker" in response.json()["detail"]


def test_suggestion_runs_of_hidden_documents_are_404(api, lead):
    from annotator.models import SuggestionRun

    hidden = DocumentFactory(collection=CollectionFactory(slug="x", assigned_only=True))
    run = SuggestionRun.objects.create(document=hidden)
    assert api.get(f"/api/suggestion-runs/{run.pk}/").status_code == 404
    assert api_for(lead).get(f"/api/suggestion-runs/{run.pk}/").status_code == 200


# Throttling and docs


def test_throttling_is_on(api, monkeypatch):
    from annotator.api.auth import UserThrottle

    monkeypatch.setattr(UserThrottle, "THROTTLE_RATES", {"user": "2/minute"})
    codes = [api.get("/api/labels/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_token_admin_action_creates_tokens(client, admin_user, reviewer):
    client.force_login(admin_user)
    response = client.post(
        "/admin/auth/user/",
        {"action": "create_api_tokens", "_selected_action": [reviewer.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token = Token.objects.get(user=reviewer)
    assert token.key in response.content.decode()


def test_fast_annotation_output_equals_drf_output(reviewer, document):
    from annotator.api.serializers import AnnotationSerializer

    annotation = AnnotationFactory(
        document=document, created_by=reviewer, note="<i>n</i>", adjudicated_from=[3, 4]
    )
    Annotation.objects.filter(pk=annotation.pk).update(updated_at="2024-01-02T03:04:05Z")
    annotation = Annotation.objects.select_related("label", "created_by").get(pk=annotation.pk)
    serializer = AnnotationSerializer()
    fast = serializer.to_representation(annotation)
    assert fast == serializer.slow_representation(annotation)
    assert fast["updated_at"] == "2024-01-02T03:04:05Z"


def test_document_list_query_count_is_constant(api, django_assert_max_num_queries):
    for index in range(12):
        DocumentFactory(collection=CollectionFactory(slug=f"c{index % 3}"))
    # token+user, roles, count, page with collections joined: no query per document.
    with django_assert_max_num_queries(4):
        response = api.get("/api/documents/")
    assert response.json()["count"] == 12


def test_patch_query_count(api, reviewer, document, django_assert_max_num_queries):
    annotation = AnnotationFactory(document=document, created_by=reviewer)
    # token+user, roles, annotation, savepoint, lock+document, update, history, event,
    # release.
    with django_assert_max_num_queries(10):
        response = api.patch(
            f"/api/annotations/{annotation.pk}/", {"note": "n", "version": 1}, format="json"
        )
    assert response.status_code == 200 and response.json()["created_by"] == "rita"
