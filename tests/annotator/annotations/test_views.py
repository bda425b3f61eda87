import re

import pytest
from django.test import Client
from django.urls import reverse

from annotator.annotations.highlights import lanes_assign, text_html
from annotator.models import Annotation, Assignment, AssignmentStatus, Suggestion
from tests.factories import (
    EMOJI_TEXT,
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    UserFactory,
    label,
)

HX = {"HTTP_HX_REQUEST": "true"}


def doc_url(document) -> str:
    return reverse("annotator-document", args=[document.pk])


def add_url(document) -> str:
    return reverse("annotator-annotation-add", args=[document.pk])


@pytest.fixture
def rita(client, reviewer):
    client.force_login(reviewer)
    return client


def span(document, phrase: str) -> dict:
    start = document.text.index(phrase)
    return {"start": start, "end": start + len(phrase), "quote": phrase}


# Access


@pytest.mark.parametrize("name", ["annotator-queue"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_document_and_writes_redirect_to_login(client, document):
    assert client.get(doc_url(document)).status_code == 302
    response = client.post(add_url(document), {**span(document, "Officials"), "label": "sourced"})
    assert response.status_code == 302
    assert not Annotation.objects.exists()


def test_login_page_renders_and_logs_in(client, reviewer):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post(
        "/accounts/login/", {"username": "rita", "password": "pass-for-tests"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"Your queue" in response.content


def test_missing_document_is_404(rita):
    assert rita.get("/documents/999999/").status_code == 404


def test_assigned_only_collection_hides_unassigned_document(rita, reviewer):
    hidden = DocumentFactory(collection=CollectionFactory(slug="closed", assigned_only=True))
    assert rita.get(doc_url(hidden)).status_code == 404
    assert hidden.title not in rita.get("/").content.decode()
    Assignment.objects.create(document=hidden, reviewer=reviewer)
    assert rita.get(doc_url(hidden)).status_code == 200


# Queue


def test_queue_shows_counts_status_and_progress(rita, reviewer, other_reviewer):
    first = DocumentFactory(title="Alpha report")
    DocumentFactory(title="Beta report", collection=first.collection)
    AnnotationFactory(document=first, created_by=reviewer)
    AnnotationFactory(document=first, created_by=other_reviewer, label=label("propaganda"))
    SuggestionFactory(document=first)
    SuggestionFactory(document=first, status="rejected")
    Assignment.objects.create(document=first, reviewer=reviewer, status=AssignmentStatus.DONE)
    html = rita.get("/").content.decode()
    row = re.search(rf'<tr class="queue-row" data-document="{first.pk}">(.*?)</tr>', html, re.S)
    assert row
    cells = row.group(1)
    assert re.search(r'data-label="sourced">1<', cells)
    assert re.search(r'data-label="propaganda">1<', cells)
    assert re.search(r'data-label="disputed">0<', cells)
    assert re.search(r'class="num open-count">1<', cells)
    assert "Done" in cells
    assert 'max="2" value="1"' in html


def test_queue_filters_by_collection_and_title(rita):
    a = DocumentFactory(title="Troops in Kursk", collection=CollectionFactory(slug="one"))
    b = DocumentFactory(title="Weather today", collection=CollectionFactory(slug="two"))
    html = rita.get("/", {"collection": "two"}).content.decode()
    assert b.title in html and a.title not in html
    html = rita.get("/", {"q": "kursk"}).content.decode()
    assert a.title in html and b.title not in html


def test_queue_htmx_returns_only_the_table(rita, document):
    html = rita.get("/", **HX).content.decode()
    assert html.lstrip().startswith('<div id="queue-table">')
    assert "<html" not in html


def test_queue_query_count_is_constant(rita, reviewer, django_assert_max_num_queries):
    collection = CollectionFactory(slug="many")
    docs = DocumentFactory.create_batch(30, collection=collection)
    for doc in docs[:10]:
        AnnotationFactory(document=doc, created_by=reviewer)
        SuggestionFactory(document=doc)
    with django_assert_max_num_queries(10):
        response = rita.get("/")
    assert response.status_code == 200
    assert response.content.decode().count('class="queue-row"') == 25


# Document page


def test_document_text_is_escaped_and_faithful(rita):
    document = DocumentFactory(text="<script>alert(1)</script>\n\n  two  spaces & more")
    html = rita.get(doc_url(document)).content.decode()
    assert "<script>alert(1)</script>" not in html
    body = re.search(r'<div id="doc-text"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert body == (
        '<span class="para" id="p-0">&lt;script&gt;alert(1)&lt;/script&gt;\n\n</span>'
        '<span class="para" id="p-27">  two  spaces &amp; more</span>'
    )


def test_notes_and_titles_are_escaped(rita, reviewer):
    document = DocumentFactory(title="<b>bold</b>")
    AnnotationFactory(document=document, created_by=reviewer, note='"><img src=x onerror=alert(1)>')
    html = rita.get(doc_url(document)).content.decode()
    assert "<img src=x" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_opening_a_document_starts_the_assignment(rita, reviewer, document):
    rita.get(doc_url(document))
    assert Assignment.objects.get(document=document, reviewer=reviewer).status == "in_progress"


def test_page_has_no_inline_script_or_style(rita, reviewer, document):
    AnnotationFactory(document=document, created_by=reviewer)
    SuggestionFactory(document=document, start=7, end=12)
    response = rita.get(doc_url(document))
    html = response.content.decode()
    assert "style=" not in html
    assert "<style" not in html
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in script[0] and script[1].strip() == ""
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_evidence_links_are_safe(rita, reviewer, document):
    AnnotationFactory(document=document, created_by=reviewer, evidence_url="https://example.org/x")
    html = rita.get(doc_url(document)).content.decode()
    assert 'href="https://example.org/x" rel="noopener noreferrer"' in html


def test_overlapping_annotations_nest_and_are_all_visible(rita, reviewer, document):
    outer = AnnotationFactory(document=document, created_by=reviewer, start=0, end=20)
    inner = AnnotationFactory(
        document=document, created_by=reviewer, start=5, end=10, label=label("disputed")
    )
    html = rita.get(doc_url(document)).content.decode()
    assert f'id="a-{outer.pk}"' in html and f'id="a-{inner.pk}"' in html
    # the overlapping segment carries both marks, the inner one on another lane
    segment = re.search(r"(<mark[^>]*>)(<mark[^>]*>)" + re.escape(document.text[5:10]), html)
    assert segment
    assert f'data-a="{outer.pk}"' in segment.group(0) and f'data-a="{inner.pk}"' in segment.group(0)
    assert "lane-1" in segment.group(0)


def test_hidden_from_others_under_blind_review(client, reviewer, other_reviewer):
    document = DocumentFactory(collection=CollectionFactory(slug="blind", blind_review=True))
    AnnotationFactory(document=document, created_by=other_reviewer, note="omar's secret")
    client.force_login(reviewer)
    assert "omar's secret" not in client.get(doc_url(document)).content.decode()


def test_blind_review_suggestion_stays_open_after_another_reviewer_decides(
    client, reviewer, other_reviewer
):
    document = DocumentFactory(collection=CollectionFactory(slug="blind", blind_review=True))
    suggestion = SuggestionFactory(document=document, start=0, end=6)
    client.force_login(other_reviewer)
    accept = reverse("annotator-suggestion-accept", args=[document.pk, suggestion.pk])
    response = client.post(accept, **HX)
    assert response.status_code == 200
    assert f'id="s-{suggestion.pk}"' not in response.content.decode()
    client.force_login(reviewer)
    html = client.get(doc_url(document)).content.decode()
    assert f'id="s-{suggestion.pk}"' in html
    assert client.post(accept, **HX).status_code == 200
    assert Annotation.objects.filter(suggestion=suggestion).count() == 2
    assert client.post(accept, **HX).status_code == 422  # each reviewer decides once


def test_document_query_count_is_constant(rita, reviewer, django_assert_num_queries):
    text = "word " * 400
    small = DocumentFactory(text=text)
    big = DocumentFactory(text=text + "big", collection=small.collection)
    AnnotationFactory(document=small, created_by=reviewer, start=0, end=4)
    SuggestionFactory(document=small, start=5, end=9)
    for i in range(50):
        AnnotationFactory(document=big, created_by=reviewer, start=i * 5, end=i * 5 + 4)
        SuggestionFactory(document=big, start=i * 5 + 1, end=i * 5 + 9)
    rita.get(doc_url(small))
    rita.get(doc_url(big))  # both assignments exist now
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        rita.get(doc_url(small))
    with django_assert_num_queries(len(one.captured_queries)):
        response = rita.get(doc_url(big))
    assert response.content.decode().count('data-first="1"') == 100


# Creating


def test_create_annotation_returns_text_and_sidebar(rita, reviewer, document):
    data = {**span(document, "according to Reuters"), "label": "sourced", "note": "wire"}
    response = rita.post(add_url(document), data, **HX)
    assert response.status_code == 200
    annotation = Annotation.objects.get()
    assert annotation.quote == "according to Reuters"
    assert annotation.created_by == reviewer and annotation.note == "wire"
    html = response.content.decode()
    assert html.lstrip().startswith('<span hx-swap-oob="true" class="para" id="p-0">')
    assert f'id="a-{annotation.pk}"' in html and f'id="row-{annotation.pk}"' in html
    assert 'id="workspace"' not in html and 'id="flash" hx-swap-oob="innerHTML"' in html
    assert '<span id="ann-count" class="muted" hx-swap-oob="true">(1)</span>' in html


def _paragraphs_with_spans(reviewer, n: int):
    """A document of 50 paragraphs; `n` annotations spread over its first 49."""
    document = DocumentFactory(text="".join(f"Paragraph {i:02} says a thing.\n" for i in range(50)))
    for i in range(n):
        start = document.text.index(f"Paragraph {i % 49:02}") + (i // 49) % 10
        AnnotationFactory(document=document, created_by=reviewer, start=start, end=start + 9)
    return document


def test_write_answers_with_what_changed_whatever_the_number_of_spans(
    rita, reviewer, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    answers, queries = [], []
    for n in (1, 300):
        document = _paragraphs_with_spans(reviewer, n)
        rita.get(doc_url(document))  # the assignment exists
        phrase = "Paragraph 49 says"  # the last paragraph holds no annotation yet
        with CaptureQueriesContext(connection) as captured:
            response = rita.post(
                add_url(document), {**span(document, phrase), "label": "sourced"}, **HX
            )
        assert response.status_code == 200
        html = response.content.decode()
        last = document.text.index("Paragraph 49")
        assert html.count('class="para"') == 1 and f'id="p-{last}"' in html
        assert html.count('class="ann-row') == 1
        answers.append(len(html))
        queries.append(len(captured.captured_queries))
    assert queries[0] == queries[1]
    # Only digits differ (counts, ids, the poll's fingerprint): not 299 more highlights or rows.
    assert abs(answers[0] - answers[1]) <= 40, answers


def test_write_re_renders_every_paragraph_an_overlapping_span_touches(rita, reviewer):
    document = DocumentFactory(text="One two three.\nFour five six.\nSeven.")
    AnnotationFactory(document=document, created_by=reviewer, start=4, end=20)  # lines 1-2
    rita.get(doc_url(document))
    response = rita.post(
        add_url(document), {**span(document, "two three.\nFour"), "label": "disputed"}, **HX
    )
    html = response.content.decode()
    assert 'id="p-0"' in html and 'id="p-15"' in html and 'id="p-30"' not in html
    # both spans show in both paragraphs, cut at the line break
    first, second = html.split('id="p-15"')
    assert "l-disputed" in first and "l-sourced" in first
    assert "l-disputed" in second and "l-sourced" in second


def test_create_with_emoji_offsets_in_code_points(rita):
    document = DocumentFactory(text=EMOJI_TEXT)
    phrase = "reportedly denied it"
    data = {**span(document, phrase), "label": "disputed"}
    assert data["start"] == document.text.index(phrase)  # a code point index
    response = rita.post(add_url(document), data, **HX)
    assert response.status_code == 200
    assert Annotation.objects.get().quote == phrase


def test_create_refuses_quote_mismatch_with_clear_error(rita, document):
    data = {**span(document, "Officials"), "label": "sourced"}
    data["quote"] = "Officialz"
    response = rita.post(add_url(document), data, **HX)
    assert response.status_code == 422
    assert "Quote does not match" in response.content.decode()
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end": 10_000}, "past the end of the document"),
        ({"label": "nonsense"}, "Unknown label"),
        ({"evidence_url": "javascript:alert(1)"}, "http or https"),
        ({"start": "x"}, "start: Enter a whole number."),
    ],
)
def test_create_refuses_bad_input_naming_the_field(rita, document, change, message):
    data = {**span(document, "Officials"), "label": "sourced", **change}
    response = rita.post(add_url(document), data, **HX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Annotation.objects.exists()


def test_csrf_is_enforced(reviewer, document):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    data = {**span(document, "Officials"), "label": "sourced"}
    assert client.post(add_url(document), data, **HX).status_code == 403
    page = client.get(doc_url(document)).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post(add_url(document), data, HTTP_X_CSRFTOKEN=token, **HX)
    assert response.status_code == 200
    assert Annotation.objects.count() == 1


def test_plain_post_without_htmx_redirects_to_the_page(rita, document):
    data = {**span(document, "Officials"), "label": "sourced"}
    response = rita.post(add_url(document), data)
    assert response.status_code == 302 and response["Location"] == doc_url(document)


# Editing, deleting, undo


def edit_url(annotation) -> str:
    return reverse("annotator-annotation-edit", args=[annotation.document_id, annotation.pk])


def delete_url(annotation) -> str:
    return reverse("annotator-annotation-delete", args=[annotation.document_id, annotation.pk])


def test_edit_form_and_save(rita, reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=reviewer)
    form = rita.get(edit_url(annotation), **HX).content.decode()
    assert f'id="row-{annotation.pk}"' in form and 'name="version" value="1"' in form
    data = {"version": 1, "label": "propaganda", "note": "loaded", "evidence_url": ""}
    response = rita.post(edit_url(annotation), data, **HX)
    assert response.status_code == 200
    annotation.refresh_from_db()
    assert (annotation.label.slug, annotation.note, annotation.version) == (
        "propaganda",
        "loaded",
        2,
    )


def test_stale_edit_gets_conflict_and_nothing_is_overwritten(rita, reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=reviewer, note="first")
    rita.post(edit_url(annotation), {"version": 1, "label": "sourced", "note": "second"}, **HX)
    response = rita.post(
        edit_url(annotation), {"version": 1, "label": "disputed", "note": "stale"}, **HX
    )
    assert response.status_code == 409
    assert "changed meanwhile" in response.content.decode()
    annotation.refresh_from_db()
    assert (annotation.note, annotation.label.slug) == ("second", "sourced")


def test_edit_with_bad_url_returns_the_form_with_the_error(rita, reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=reviewer)
    data = {"version": 1, "label": "sourced", "evidence_url": "ftp://example.org/"}
    response = rita.post(edit_url(annotation), data, **HX)
    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#row-{annotation.pk}"
    assert "http or https" in response.content.decode()


def test_forged_edit_and_delete_of_another_reviewers_annotation_get_403(
    rita, other_reviewer, document
):
    annotation = AnnotationFactory(document=document, created_by=other_reviewer, note="mine")
    data = {"version": 1, "label": "disputed", "note": "hijacked"}
    assert rita.post(edit_url(annotation), data, **HX).status_code == 403
    assert rita.post(delete_url(annotation), {"version": 1}, **HX).status_code == 403
    annotation.refresh_from_db()
    assert annotation.note == "mine"


def test_others_annotations_show_without_edit_buttons(rita, other_reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=other_reviewer)
    html = rita.get(doc_url(document)).content.decode()
    assert f'id="row-{annotation.pk}"' in html
    assert edit_url(annotation) not in html


def test_lead_may_edit_a_reviewers_annotation(client, lead, reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=reviewer)
    client.force_login(lead)
    data = {"version": 1, "label": "disputed", "note": "lead says"}
    assert client.post(edit_url(annotation), data, **HX).status_code == 200


def test_annotation_from_another_document_is_404(rita, reviewer, document):
    annotation = AnnotationFactory(created_by=reviewer)
    url = reverse("annotator-annotation-edit", args=[document.pk, annotation.pk])
    assert rita.get(url, **HX).status_code == 404


def test_delete_then_undo(rita, reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=reviewer, note="keep me")
    response = rita.post(delete_url(annotation), {"version": 1}, **HX)
    assert response.status_code == 200
    assert not Annotation.objects.exists()
    restore = reverse("annotator-annotation-restore", args=[document.pk, annotation.pk])
    assert restore in response.content.decode()
    assert rita.post(restore, **HX).status_code == 200
    assert Annotation.objects.get(pk=annotation.pk).note == "keep me"


def test_stale_delete_is_refused(rita, reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=reviewer, version=3)
    assert rita.post(delete_url(annotation), {"version": 2}, **HX).status_code == 409
    assert Annotation.objects.filter(pk=annotation.pk).exists()


# Suggestions and status


def test_accept_and_reject_suggestions(rita, reviewer, document):
    first = SuggestionFactory(document=document, start=0, end=6)
    second = SuggestionFactory(document=document, start=7, end=12)
    accept = reverse("annotator-suggestion-accept", args=[document.pk, first.pk])
    reject = reverse("annotator-suggestion-reject", args=[document.pk, second.pk])
    html = rita.get(doc_url(document)).content.decode()
    assert f'id="s-{first.pk}"' in html and 'class="sug ' in html
    assert rita.post(accept, **HX).status_code == 200
    assert rita.post(reject, **HX).status_code == 200
    annotation = Annotation.objects.get()
    assert annotation.origin == "suggestion" and annotation.created_by == reviewer
    assert Suggestion.objects.get(pk=second.pk).status == "rejected"
    assert rita.post(reject, **HX).status_code == 422  # already decided


def test_accept_with_adjusted_bounds_checks_the_quote(rita, document):
    suggestion = SuggestionFactory(document=document, start=0, end=6)
    url = reverse("annotator-suggestion-accept", args=[document.pk, suggestion.pk])
    bad = {"start": 0, "end": 8, "quote": "wrong"}
    assert rita.post(url, bad, **HX).status_code == 422
    good = {"start": 0, "end": 8, "quote": document.text[:8]}
    assert rita.post(url, good, **HX).status_code == 200
    assert Annotation.objects.get().quote == document.text[:8]


def test_mark_done_and_queue_reflects_it(rita, reviewer, document):
    url = reverse("annotator-document-done", args=[document.pk])
    assert rita.post(url, {"done": "1"}, **HX).status_code == 200
    assert Assignment.objects.get(reviewer=reviewer, document=document).status == "done"
    assert 'class="status status-done"' in rita.get("/").content.decode()


def test_changes_endpoint_is_204_until_something_changes(rita, other_reviewer, document):
    html = rita.get(doc_url(document)).content.decode()
    poll = re.search(r'hx-get="([^"]+/changes/\?v=[^"]+)"', html).group(1).replace("&amp;", "&")
    assert rita.get(poll, **HX).status_code == 204
    AnnotationFactory(document=document, created_by=other_reviewer, note="from omar")
    response = rita.get(poll, **HX)
    assert response.status_code == 200
    assert "from omar" in response.content.decode()


# Rendering unit tests


def test_lanes_stack_overlaps_and_reuse_free_lanes():
    lanes = lanes_assign([(1, 0, 10), (2, 2, 5), (3, 6, 8), (4, 12, 14)])
    assert lanes == {1: 0, 2: 1, 3: 1, 4: 0}


def test_text_html_keeps_text_and_marks_every_span(reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=reviewer, start=3, end=9)
    suggestion = SuggestionFactory(document=document, start=5, end=15)
    html = text_html(text=document.text, annotations=[annotation], suggestions=[suggestion])
    assert re.sub(r"<[^>]+>", "", html) == document.text.replace("&", "&amp;")
    assert html.count(f'data-a="{annotation.pk}"') == 2  # split at the suggestion's start
    assert html.count(f'data-s="{suggestion.pk}"') == 2


def test_paragraphs_cut_spans_at_their_edges_and_keep_the_text():
    from annotator.annotations.highlights import AnnotationRow, paragraph_starts, paragraphs_html

    text = "First line.\n\nSecond line.\nThird."
    assert paragraph_starts(text) == [0, 13, 26]
    label = type("L", (), {"slug": "sourced", "letter": "S", "name": "Sourced"})()
    across = AnnotationRow(7, 6, 19, text[6:19], label, "", "", 1, "rita", "manual", 1, False)
    parts = paragraphs_html(text=text, annotations=[across])
    assert [re.sub(r"<[^>]+>", "", html) for html in parts.values()] == [
        "First line.\n\n",
        "Second line.\n",
        "Third.",
    ]
    assert 'id="a-7"' in parts[0] and 'data-a="7"' in parts[1] and 'id="a-7"' not in parts[1]
    assert "mark" not in parts[2]
    assert paragraphs_html(text=text, annotations=[across], only=[1]) == {1: parts[1]}


def test_another_user_cannot_see_assigned_only_document_queue(client, db):
    user = UserFactory(username="walter", role="reviewer")
    DocumentFactory(title="Secret", collection=CollectionFactory(slug="s", assigned_only=True))
    client.force_login(user)
    assert "Secret" not in client.get("/").content.decode()


def test_long_sidebars_are_capped_until_show_all(rita, reviewer, monkeypatch):
    from annotator.annotations import workspace

    monkeypatch.setattr(workspace, "SIDEBAR_LIMIT", 3)
    document = DocumentFactory(text="word " * 100)
    for i in range(5):
        AnnotationFactory(document=document, created_by=reviewer, start=i * 5, end=i * 5 + 4)
    html = rita.get(doc_url(document)).content.decode()
    assert html.count('class="ann-row') == 3
    assert html.count('data-first="1"') == 5  # the text still shows every annotation
    assert "Show all 5 annotations (2 more)" in html
    html = rita.get(doc_url(document), {"all": "1"}, **HX).content.decode()
    assert html.count('class="ann-row') == 5


def test_user_without_a_role_gets_403(client, outsider, document):
    client.force_login(outsider)
    assert client.get("/").status_code == 403
    assert client.get(doc_url(document)).status_code == 403
    data = {**span(document, "Officials"), "label": "sourced"}
    assert client.post(add_url(document), data, **HX).status_code == 403
    assert not Annotation.objects.exists()


# Reshaping


def reshape_url(annotation):
    return reverse("annotator-annotation-reshape", args=[annotation.document_id, annotation.pk])


def test_reshape_recomputes_the_quote_checks_the_version_and_keeps_history(
    rita, reviewer, document
):
    start = document.text.index("according")
    annotation = AnnotationFactory(
        document=document, created_by=reviewer, start=start, end=start + 9
    )
    data = {"version": 1, "start": start, "end": start + 12, "quote": "ignored"}
    response = rita.post(reshape_url(annotation), data, **HX)
    assert response.status_code == 200
    annotation.refresh_from_db()
    assert (annotation.quote, annotation.version) == ("according to", 2)
    assert f'id="row-{annotation.pk}"' in response.content.decode()
    assert [h.quote for h in annotation.history.order_by("history_id")] == [
        "according",
        "according to",
    ]
    stale = rita.post(
        reshape_url(annotation), {"version": 1, "start": start, "end": start + 3}, **HX
    )
    assert stale.status_code == 409 and "changed meanwhile" in stale.content.decode()
    outside = {"version": 2, "start": start, "end": len(document.text) + 5}
    assert rita.post(reshape_url(annotation), outside, **HX).status_code == 422
    annotation.refresh_from_db()
    assert annotation.quote == "according to"


def test_reshape_of_another_reviewers_annotation_is_403(rita, other_reviewer, document):
    annotation = AnnotationFactory(document=document, created_by=other_reviewer, start=0, end=6)
    data = {"version": 1, "start": 0, "end": 8}
    assert rita.post(reshape_url(annotation), data, **HX).status_code == 403


def test_refused_writes_answer_409_for_a_duplicate_and_422_for_a_rule(rita, reviewer, document):
    data = {**span(document, "according to Reuters"), "label": "sourced"}
    first = rita.post(add_url(document), data, **HX)
    assert first.status_code == 200
    existing = Annotation.objects.get()
    message = (
        f"You already have this sourced span at {existing.start}-{existing.end}"
        f" (annotation {existing.pk})."
    )
    again = rita.post(add_url(document), data, **HX)
    assert again.status_code == 409 and message in again.content.decode()
    plain = rita.post(add_url(document), data)
    assert (plain.status_code, plain.content.decode()) == (409, message)
    assert plain["Content-Type"] == "text/plain; charset=utf-8"
    other = AnnotationFactory(
        document=document, created_by=reviewer, start=existing.start, end=existing.start + 9
    )
    onto = {"version": 1, "start": existing.start, "end": existing.end}
    duplicate = rita.post(reshape_url(other), onto)
    assert (duplicate.status_code, duplicate.content.decode()) == (409, message)
    outside = {"version": 1, "start": existing.start, "end": len(document.text) + 5}
    refused = rita.post(reshape_url(other), outside)
    assert refused.status_code == 422 and refused["Content-Type"] == "text/plain; charset=utf-8"
    # Accepting a suggestion of the span one already tagged is the same duplicate.
    suggestion = SuggestionFactory(
        document=document, start=existing.start, end=existing.end, label=existing.label
    )
    accept = reverse("annotator-suggestion-accept", args=[document.pk, suggestion.pk])
    taken = rita.post(accept)
    assert (taken.status_code, taken.content.decode()) == (409, message)
    assert Suggestion.objects.get(pk=suggestion.pk).status == "pending"  # still to decide
