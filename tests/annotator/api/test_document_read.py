"""GET /api/documents/{id}/?include=annotations,suggestions, its ETag, and cursor pages."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotator.annotations.selectors import annotation_list
from annotator.annotations.services import (
    annotation_create,
    annotation_delete,
    annotation_restore,
    annotation_update,
)
from annotator.api.document_read import _sqlite_iso, annotation_rows
from annotator.api.serializers import AnnotationSerializer, DocumentSerializer
from annotator.models import Annotation, Assignment, Label, Suggestion
from annotator.review.services import assignment_mark_done, collection_settings_update
from annotator.suggestions.decisions import (
    suggestion_accept,
    suggestion_decision_undo,
    suggestion_reject,
)
from corpus.services import document_update
from tests.factories import (
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    api_for,
    label,
)

pytestmark = pytest.mark.django_db

INCLUDE = "?include=annotations,suggestions"


@pytest.fixture
def api(reviewer):
    return api_for(reviewer)


def _url(document, query: str = INCLUDE) -> str:
    return f"/api/documents/{document.pk}/{query}"


# One call


def test_include_gives_text_annotations_and_open_suggestions(api, reviewer, other_reviewer):
    document = DocumentFactory()
    late = AnnotationFactory(document=document, start=10, end=16, created_by=reviewer)
    early = AnnotationFactory(document=document, start=0, end=6, created_by=other_reviewer)
    open_one = SuggestionFactory(document=document, start=20, end=24)
    closed = SuggestionFactory(document=document, start=30, end=34)
    suggestion_reject(suggestion=closed, user=reviewer)

    body = api.get(_url(document)).json()

    assert body["text"] == document.text
    assert [a["id"] for a in body["annotations"]] == [early.pk, late.pk]
    assert body["annotations"][0]["quote"] == document.text[0:6]
    assert [s["id"] for s in body["suggestions"]] == [open_one.pk]
    assert body["suggestions"][0]["status"] == "pending"


def test_without_include_nothing_is_added(api, document):
    AnnotationFactory(document=document)
    body = api.get(_url(document, "")).json()
    assert "annotations" not in body and "suggestions" not in body
    assert set(api.get(_url(document, "?include=annotations")).json()) >= {"text", "annotations"}


def test_unknown_include_is_400_naming_it(api, document):
    response = api.get(_url(document, "?include=annotations,comments"))
    assert response.status_code == 400
    assert "comments" in response.json()["include"]


def test_blind_review_hides_others_until_done(api, reviewer, other_reviewer, lead):
    blind = DocumentFactory(collection=CollectionFactory(slug="blind", blind_review=True))
    mine = AnnotationFactory(document=blind, start=0, end=6, created_by=reviewer)
    theirs = AnnotationFactory(document=blind, start=10, end=16, created_by=other_reviewer)
    suggestion = SuggestionFactory(document=blind, start=20, end=24)
    # Another reviewer's decision does not close it for me under blind review.
    suggestion_reject(suggestion=suggestion, user=other_reviewer)

    body = api.get(_url(blind)).json()
    assert [a["id"] for a in body["annotations"]] == [mine.pk]
    assert [s["id"] for s in body["suggestions"]] == [suggestion.pk]
    assert body["suggestions"][0]["decisions"] == []

    assert len(api_for(lead).get(_url(blind)).json()["annotations"]) == 2
    Assignment.objects.create(document=blind, reviewer=reviewer, status="done")
    body = api.get(_url(blind)).json()
    assert [a["id"] for a in body["annotations"]] == [mine.pk, theirs.pk]


def test_hidden_document_is_404_with_includes(api):
    hidden = DocumentFactory(collection=CollectionFactory(slug="x", assigned_only=True))
    AnnotationFactory(document=hidden)
    assert api.get(_url(hidden)).status_code == 404


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("blind_review", [False, True])
def test_one_call_read_query_count_is_constant(
    reviewer, other_reviewer, lead, blind_review, settings
):
    # Throttle counts reach the shared cache once per sync interval: on a slow run that sync
    # (or a new minute's window) would land inside one measurement and not the other.
    settings.API_THROTTLE_SYNC_SECONDS = 3600
    small, large = _documents_of_1_and_50(blind_review, reviewer, other_reviewer)
    for user in (reviewer, lead):
        client = api_for(user)
        client.get(_url(small))  # token and throttle warm-up
        few, many = _queries(client, _url(small)), _queries(client, _url(large))
        assert few == many, user
        assert many <= 9, user
        assert len(client.get(_url(large)).json()["annotations"]) >= 20


# ETag


def test_unchanged_document_answers_304(api, document):
    AnnotationFactory(document=document)
    first = api.get(_url(document))
    etag = first["ETag"]
    assert etag.startswith('"') and "private" in first["Cache-Control"]

    again = api.get(_url(document), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert api.get(_url(document), HTTP_IF_NONE_MATCH=f'"nope", W/{etag}').status_code == 304
    assert api.get(_url(document), HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_etag_changes_with_anything_included(api, reviewer, other_reviewer, lead):
    blind = DocumentFactory(collection=CollectionFactory(slug="blind", blind_review=True))
    annotation = AnnotationFactory(document=blind, created_by=reviewer)
    AnnotationFactory(document=blind, start=10, end=16, created_by=other_reviewer)
    suggestion = SuggestionFactory(document=blind, start=20, end=24)
    seen = {api.get(_url(blind))["ETag"]}
    # The lead sees the other reviewer's span too: another body, another tag.
    assert api_for(lead).get(_url(blind))["ETag"] not in seen

    def changed() -> bool:
        etag = api.get(_url(blind))["ETag"]
        fresh = etag not in seen
        seen.add(etag)
        return fresh

    Annotation.objects.filter(pk=annotation.pk).update(note="checked", version=2)
    assert changed()
    AnnotationFactory(document=blind, start=30, end=34, created_by=reviewer)
    assert changed()
    suggestion_reject(suggestion=suggestion, user=reviewer)
    assert changed()
    Assignment.objects.create(document=blind, reviewer=reviewer, status="done")
    assert changed()  # the other reviewer's work is visible now
    blind.title = "Renamed"
    blind.save()
    assert changed()
    assert not changed()


def test_etag_depends_on_the_includes(api, document):
    AnnotationFactory(document=document)
    plain = api.get(_url(document, ""))["ETag"]
    included = api.get(_url(document))["ETag"]
    assert plain != included
    response = api.get(_url(document), HTTP_IF_NONE_MATCH=plain)
    assert response.status_code == 200


# Cursor pages


def test_cursor_pages_walk_every_row_once_in_id_order(api, reviewer, document):
    rows = [
        AnnotationFactory(document=document, start=s, end=s + 2, created_by=reviewer)
        for s in (9, 3, 5, 1, 7)
    ]
    url = f"/api/annotations/?document={document.pk}&cursor=&page_size=2"
    seen, pages = [], 0
    while url:
        body = api.get(url).json()
        assert "count" not in body
        seen += [row["id"] for row in body["results"]]
        pages += 1
        if pages == 1:
            # A row added meanwhile comes at the end, and nothing is repeated.
            rows.append(AnnotationFactory(document=document, start=0, end=1, created_by=reviewer))
        url = body["next"]
    assert seen == sorted(row.pk for row in rows)
    assert pages == 3


def test_cursor_with_ordering_and_bad_cursor(api, reviewer, document):
    for start in (4, 2, 0):
        AnnotationFactory(document=document, start=start, end=start + 1, created_by=reviewer)
    body = api.get("/api/annotations/?cursor=&ordering=start&page_size=2").json()
    assert [row["start"] for row in body["results"]] == [0, 2]
    assert [row["start"] for row in api.get(body["next"]).json()["results"]] == [4]
    assert api.get("/api/annotations/?cursor=garbage").status_code == 404


def test_page_size_is_the_clients_up_to_1000(api, reviewer, document):
    Annotation.objects.bulk_create(
        Annotation(
            document=document,
            start=i % 50,
            end=i % 50 + 1,
            quote=document.text[i % 50],
            label=label("sourced"),
            created_by=reviewer,
        )
        for i in range(1001)
    )
    numbered = api.get("/api/annotations/?page_size=5000").json()
    assert numbered["count"] == 1001 and len(numbered["results"]) == 1000
    assert len(api.get(numbered["next"]).json()["results"]) == 1
    assert len(api.get("/api/annotations/?page_size=7").json()["results"]) == 7
    assert len(api.get("/api/annotations/").json()["results"]) == 100
    cursor = api.get("/api/annotations/?cursor=&page_size=1000").json()
    assert len(cursor["results"]) == 1000 and cursor["next"]


def test_other_lists_take_cursor_pages(api, reviewer, document):
    for start in range(3):
        SuggestionFactory(document=document, start=start, end=start + 2)
    body = api.get("/api/suggestions/?cursor=&page_size=2").json()
    assert len(body["results"]) == 2 and body["next"]
    docs = api.get("/api/documents/?cursor=&page_size=1").json()
    assert [d["id"] for d in docs["results"]] == [document.pk]


# The lean rows and the validator (annotator/api/document_read.py)


def test_lean_rows_equal_the_serializers_output(reviewer, other_reviewer):
    document = DocumentFactory(text="Emoji 🙂 here. " + "Officials said so. " * 5)
    suggestion = SuggestionFactory(document=document, start=0, end=5)
    AnnotationFactory(document=document, start=6, end=7, created_by=reviewer, note="é\u2028")
    AnnotationFactory(document=document, start=0, end=5, suggestion=suggestion, origin="suggestion")
    final = AnnotationFactory(
        document=document, start=9, end=13, created_by=other_reviewer, is_final=True
    )
    Annotation.objects.filter(pk=final.pk).update(
        adjudicated_from=[1, 2],
        anchor_state="moved",
        anchor_confidence=0.25,
        # A whole second: isoformat() then writes no fraction.
        created_at=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    )
    annotations = annotation_list(document=document, user=reviewer)
    serializer = AnnotationSerializer()
    for zone in ("UTC", "Europe/Berlin", "America/St_Johns"):
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            rows = annotation_rows(annotations)
            assert rows == [serializer.slow_representation(a) for a in annotations], zone
            assert [list(row) for row in rows] == [AnnotationSerializer.Meta.fields] * 3
    assert rows[2]["created_at"] == "2026-01-01T23:34:05-03:30"


def test_one_call_body_is_the_serializers(api, reviewer):
    document = DocumentFactory()
    for start in (8, 0, 3):
        AnnotationFactory(document=document, start=start, end=start + 4, created_by=reviewer)
    body = api.get(_url(document, "?include=annotations")).json()
    annotations = annotation_list(document=document, user=reviewer)
    assert body == {
        **DocumentSerializer(document).data,
        "annotations": AnnotationSerializer(annotations, many=True).data,
    }


class Reader:
    """Opens a document as one user, sending the tag it last read."""

    def __init__(self, user, document, query: str = INCLUDE) -> None:
        self.client, self.url = api_for(user), _url(document, query)
        self.etag, self.body = "", None

    def changed(self) -> bool:
        """Whether the answer changed; a 304 must mean the body would be the same."""
        response = self.client.get(self.url, HTTP_IF_NONE_MATCH=self.etag)
        if response.status_code == 304:
            assert self.client.get(self.url).json() == self.body, "a stale body was kept"
            return False
        assert response.status_code == 200
        self.etag, body = response["ETag"], response.json()
        changed, self.body = body != self.body, body
        assert changed, "the tag changed but the body did not"
        return True


def test_tag_follows_every_change_of_what_each_user_sees(reviewer, other_reviewer, lead):
    collection = CollectionFactory(slug="tagged", blind_review=True)
    document = DocumentFactory(collection=collection, text="Officials said so. " * 10)
    mine = AnnotationFactory(document=document, start=0, end=9, created_by=reviewer)
    AnnotationFactory(document=document, start=10, end=14, created_by=other_reviewer)
    first, second, third = (
        SuggestionFactory(document=document, start=s, end=s + 4) for s in (20, 40, 60)
    )
    readers = {"reviewer": Reader(reviewer, document), "lead": Reader(lead, document)}
    plain = Reader(reviewer, document, "?include=annotations")

    def step(*expected: str) -> None:
        seen = {name for name, reader in readers.items() if reader.changed()}
        assert seen == set(expected)

    step("reviewer", "lead")
    assert plain.changed() and not plain.changed()
    step()  # nothing changed: 304 for both

    created = annotation_create(
        document=document, created_by=reviewer, start=20, end=28, label="disputed"
    )
    step("reviewer", "lead")
    assert plain.changed()
    mine = annotation_update(annotation=mine, user=reviewer, version=mine.version, note="n")
    step("reviewer", "lead")
    annotation_delete(annotation=created, user=reviewer, version=created.version)
    step("reviewer", "lead")
    assert plain.changed()
    annotation_restore(annotation_id=created.pk, user=reviewer)
    step("reviewer", "lead")

    suggestion_reject(suggestion=first, user=other_reviewer)
    step("lead")  # blind review: the reviewer does not see another's decision
    suggestion_accept(suggestion=second, user=reviewer)
    step("reviewer", "lead")
    suggestion_decision_undo(suggestion=second, user=reviewer, version=1)
    step("reviewer", "lead")
    Suggestion.objects.filter(pk=third.pk).update(score=0.91)  # a run merges in place
    step("reviewer", "lead")

    for blind_review in (False, True):
        collection_settings_update(
            collection=collection, user=lead, blind_review=blind_review, assigned_only=False
        )
        step("reviewer")  # open: the other reviewer's span and decision show; blind: hidden
    assignment_mark_done(document=document, reviewer=reviewer)
    step("reviewer")  # shown again: the reviewer's work is done
    assert plain.changed()

    Label.objects.filter(slug="disputed").update(slug="contested")
    step("reviewer", "lead")
    assert plain.changed()  # the label of `created`, without suggestions in the answer
    other_reviewer.username = "renamed"
    other_reviewer.save()
    step("reviewer", "lead")
    assert plain.changed()
    document_update(document=document, title="Retitled")
    step("reviewer", "lead")
    step()


def _documents_of_1_and_50(blind_review: bool, reviewer, other_reviewer) -> list:
    """Two documents: 1 annotation and suggestion, then 50 of each (some decided by another)."""
    collection = CollectionFactory(slug=f"c-1-50-{blind_review}", blind_review=blind_review)
    small, large = DocumentFactory(collection=collection), DocumentFactory(collection=collection)
    for document, count in ((small, 1), (large, 50)):
        for start in range(count):
            author = other_reviewer if start % 2 else reviewer
            AnnotationFactory(document=document, start=start, end=start + 2, created_by=author)
            suggestion = SuggestionFactory(document=document, start=start, end=start + 3)
            if start % 3 == 2:
                suggestion_reject(suggestion=suggestion, user=other_reviewer)
    return [small, large]


@pytest.mark.parametrize("blind_review", [False, True])
@pytest.mark.parametrize(
    ("query", "suggestions"), [("?include=annotations", 0), (INCLUDE, 2)], ids=["a", "a+s"]
)
def test_open_and_its_304_cost_the_same_few_queries_for_1_or_50_annotations(
    reviewer, other_reviewer, lead, blind_review, query, suggestions, django_assert_num_queries
):
    documents = _documents_of_1_and_50(blind_review, reviewer, other_reviewer)
    for user in (reviewer, lead):
        client = api_for(user)
        client.get(_url(documents[0], query))  # token and throttle warm-up
        # token, roles, the document, (blind review: done?), the annotations' aggregate, and
        # with suggestions their list and its decisions (the tag reads the body's own list)
        revalidate = (5 if blind_review and user == reviewer else 4) + suggestions
        for document in documents:
            url = _url(document, query)
            with django_assert_num_queries(revalidate + 1):  # and the annotations' rows
                response = client.get(url)
            assert response.json()["annotations"]
            with django_assert_num_queries(revalidate):
                assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_sqlite_text_of_a_datetime_becomes_drfs_output():
    assert _sqlite_iso("2026-01-02 03:04:05") == "2026-01-02T03:04:05Z"
    assert _sqlite_iso("2026-01-02 03:04:05.000100") == "2026-01-02T03:04:05.000100Z"
    # Not as Django writes it (another program's row): parsed, then written as DRF does.
    assert _sqlite_iso("2026-01-02T03:04:05+01:00") == "2026-01-02T02:04:05Z"
    assert _sqlite_iso("2026-01-02T03:04") == "2026-01-02T03:04:00Z"
