import json
import re

import pytest
from django.urls import reverse

from annotator.annotations.services import annotation_create
from annotator.models import AgreementReport, Annotation, Assignment
from annotator.review.services import assignment_mark_done, final_annotation_create
from tests.factories import CollectionFactory, DocumentFactory, UserFactory

TEXT = (
    "Officials said the troops arrived, according to Reuters. "
    "The ministry denied the claims. 😀 Heroic defenders crushed the fascist invaders."
)


def _tag(document, user, word, label):
    start = document.text.index(word)
    return annotation_create(
        document=document, created_by=user, start=start, end=start + len(word), label=label
    )


@pytest.fixture
def disputed_document(reviewer, other_reviewer):
    """Two reviewers tagged one document differently."""
    document = DocumentFactory(title="Troops report", text=TEXT)
    _tag(document, reviewer, "according to Reuters", "sourced")
    _tag(document, other_reviewer, "according to Reuters", "sourced")
    _tag(document, reviewer, "The ministry denied the claims.", "disputed")
    _tag(document, other_reviewer, "Heroic defenders", "propaganda")
    return document


def _login(client, user):
    client.force_login(user)
    return client


# Access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("review-compare", "document"),
        ("review-assign", "slug"),
        ("review-collection", "slug"),
        ("review-agreement", "slug"),
    ],
)
def test_reviewer_gets_403_on_lead_pages(client, reviewer, disputed_document, name, args):
    arg = disputed_document.pk if args == "document" else disputed_document.collection.slug
    response = _login(client, reviewer).get(reverse(name, args=[arg]))
    assert response.status_code == 403


def test_anonymous_is_sent_to_login(client, disputed_document):
    response = client.get(reverse("review-compare", args=[disputed_document.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reviewer_sees_own_dashboard_only(client, reviewer, other_reviewer):
    _login(client, reviewer)
    assert client.get(reverse("review-index")).url == reverse("review-reviewer", args=[reviewer.pk])
    assert client.get(reverse("review-reviewer", args=[reviewer.pk])).status_code == 200
    assert client.get(reverse("review-reviewer", args=[other_reviewer.pk])).status_code == 403


def test_reviewer_cannot_post_into_final_set(client, reviewer, disputed_document):
    ann = Annotation.objects.filter(created_by=reviewer).first()
    response = _login(client, reviewer).post(
        reverse("review-final-add", args=[disputed_document.pk]), {"from_ids": [ann.pk]}
    )
    assert response.status_code == 403
    assert not Annotation.objects.filter(is_final=True).exists()


# Assignment page -------------------------------------------------------------------------


def test_lead_assigns_whole_collection_round_robin(client, lead, reviewer, other_reviewer):
    collection = CollectionFactory()
    DocumentFactory.create_batch(3, collection=collection)
    url = reverse("review-assign", args=[collection.slug])
    response = _login(client, lead).post(
        url, {"action": "round_robin", "reviewers": [reviewer.pk, other_reviewer.pk], "k": 2}
    )
    assert response.status_code == 302
    assert Assignment.objects.count() == 6
    page = client.get(url).content.decode()
    assert "6 new assignment(s)." in page
    assert page.count("rita: Not started") == 3


def test_lead_assigns_selected_documents(client, lead, reviewer):
    collection = CollectionFactory()
    first, _second = DocumentFactory.create_batch(2, collection=collection)
    response = _login(client, lead).post(
        reverse("review-assign", args=[collection.slug]),
        {"action": "selected", "reviewers": [reviewer.pk], "documents": [first.pk]},
    )
    assert response.status_code == 302
    assert list(Assignment.objects.values_list("document_id", "reviewer_id")) == [
        (first.pk, reviewer.pk)
    ]


def test_assign_errors_name_what_was_wrong(client, lead, reviewer):
    collection = CollectionFactory()
    DocumentFactory(collection=collection)
    url = reverse("review-assign", args=[collection.slug])
    _login(client, lead)
    response = client.post(url, {"action": "round_robin", "reviewers": [reviewer.pk], "k": 3})
    assert response.status_code == 422
    assert "between 1 and 1" in response.content.decode()
    response = client.post(url, {"action": "selected", "reviewers": [reviewer.pk]})
    assert response.status_code == 422
    assert "Tick at least one document" in response.content.decode()
    assert not Assignment.objects.exists()


# Compare view and adjudication -----------------------------------------------------------


def test_compare_view_shows_figures_and_disagreements(client, lead, disputed_document):
    page = _login(client, lead).get(reverse("review-compare", args=[disputed_document.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    # Three span groups: one agreed (Reuters), two tagged by one reviewer only.
    assert html.count('class="cluster agreed"') == 1
    assert html.count('class="cluster disagreed"') == 2
    assert re.search(r'data-figure="disagreements">2 of 3<', html)
    assert re.search(r'data-figure="f1-exact">0.50<', html)
    assert "omar, rita" in html
    assert html.count('class="shade"') == 2  # disputed ranges shaded in the SVG tracks
    assert " style=" not in html and "<script>" not in html


def test_compare_view_keeps_an_agreed_span_agreed_beside_an_overlapping_one(
    client, lead, reviewer, other_reviewer
):
    document = DocumentFactory(text=TEXT)
    _tag(document, reviewer, "the troops arrived, according to Reuters", "sourced")
    _tag(document, other_reviewer, "the troops arrived, according to Reuters", "sourced")
    _tag(document, reviewer, "troops", "disputed")
    html = _login(client, lead).get(reverse("review-compare", args=[document.pk])).content.decode()
    agreed = html.split('class="cluster agreed"')[1].split('class="cluster')[0]
    assert "according to Reuters" in agreed and "Accept agreed span" in agreed
    disagreed = html.split('class="cluster disagreed"')[1]
    assert "according to Reuters" not in disagreed.split("</section>")[0]
    assert re.search(r'data-figure="disagreements">1 of 2<', html)


def test_compare_view_escapes_notes_and_quotes(client, lead, reviewer):
    document = DocumentFactory(text="<b>bold</b> claim <script>alert(1)</script>")
    annotation_create(
        document=document, created_by=reviewer, start=0, end=11, label="sourced", note="<i>x</i>"
    )
    html = _login(client, lead).get(reverse("review-compare", args=[document.pk])).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html


def test_lead_picks_edits_adds_and_removes_final_spans(client, lead, reviewer, disputed_document):
    _login(client, lead)
    url = reverse("review-final-add", args=[disputed_document.pk])
    reuters = Annotation.objects.filter(quote="according to Reuters").order_by("id")
    ids = list(reuters.values_list("id", flat=True))
    response = client.post(url, {"from_ids": ids, "row": 1})
    assert response.status_code == 302 and response.url.endswith("#row-1")
    picked = Annotation.objects.get(is_final=True)
    assert (picked.quote, picked.label.slug, picked.created_by) == (
        "according to Reuters",
        "sourced",
        lead,
    )
    assert picked.adjudicated_from == ids
    denied = Annotation.objects.get(quote__startswith="The ministry")
    client.post(
        url,
        {
            "from_ids": [denied.pk],
            "start": denied.start,
            "end": denied.end - 1,
            "label": "disputed",
        },
    )
    edited = Annotation.objects.filter(is_final=True).latest("id")
    assert edited.quote == "The ministry denied the claims"
    # 😀 counts as one code point; "crushed" is found after it.
    start = TEXT.index("crushed")
    client.post(url, {"start": start, "end": start + 7, "label": "propaganda"})
    added = Annotation.objects.filter(is_final=True).latest("id")
    assert (added.quote, added.adjudicated_from) == ("crushed", [])
    client.post(reverse("review-final-delete", args=[disputed_document.pk, edited.pk]))
    finals = set(Annotation.objects.filter(is_final=True).values_list("id", flat=True))
    assert finals == {picked.pk, added.pk}


def test_bad_final_span_is_refused_with_reason(client, lead, disputed_document):
    _login(client, lead)
    response = client.post(
        reverse("review-final-add", args=[disputed_document.pk]),
        {"start": 5, "end": 100_000, "label": "sourced"},
        follow=True,
    )
    assert "past the end of the document" in response.content.decode()
    response = client.post(
        reverse("review-final-add", args=[disputed_document.pk]),
        {"start": 5, "end": 9, "label": "nonsense"},
        follow=True,
    )
    assert "Unknown label" in response.content.decode()
    assert not Annotation.objects.filter(is_final=True).exists()


# Agreement and dashboards ----------------------------------------------------------------


def test_agreement_refresh_queues_task_and_page_lists_worst_first(
    client, lead, disputed_document, django_capture_on_commit_callbacks
):
    # Only the app's own setting, restored after: setting CELERY_TASK_ALWAYS_EAGER here made
    # a first read of the Celery config keep eager on for every later test.
    from annotator.celery import app

    saved, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        slug = disputed_document.collection.slug
        _login(client, lead)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("review-agreement-refresh", args=[slug]))
        assert response.status_code == 302
    finally:
        app.conf.task_always_eager = saved
    report = AgreementReport.objects.get()
    assert report.data["overall"]["f1_exact"] == 0.5
    html = client.get(reverse("review-agreement", args=[slug])).content.decode()
    assert re.search(r'data-figure="f1-exact">0.50<', html)
    assert "omar · rita" in html
    assert reverse("review-compare", args=[disputed_document.pk]) in html


def test_collection_dashboard_draws_charts(client, lead, reviewer, disputed_document):
    assignment_mark_done(document=disputed_document, reviewer=reviewer)
    html = (
        _login(client, lead)
        .get(reverse("review-collection", args=[disputed_document.collection.slug]))
        .content.decode()
    )
    assert '<svg class="chart"' in html
    assert re.search(r'data-figure="any-done">1<', html)
    # Sourced has 2 annotations, the most: its bar takes the full width (420 - 130 - 60).
    assert "<title>Sourced: 2</title>" in html
    assert 'width="230.0" height="18" fill="#0072B2"' in html
    assert " style=" not in html


def test_reviewer_dashboard_shows_acceptance_and_agreement(client, reviewer, disputed_document):
    from annotator.review.services import agreement_report_refresh
    from annotator.suggestions.decisions import suggestion_accept, suggestion_reject
    from tests.factories import SuggestionFactory

    suggestion_accept(suggestion=SuggestionFactory(document=disputed_document), user=reviewer)
    suggestion_reject(suggestion=SuggestionFactory(document=disputed_document), user=reviewer)
    agreement_report_refresh(collection_id=disputed_document.collection_id)
    html = (
        _login(client, reviewer)
        .get(reverse("review-reviewer", args=[reviewer.pk]))
        .content.decode()
    )
    assert "<title>disputed · disputed: 50%</title>" in html
    assert "omar" in html  # the pair with the other reviewer


# Query counts stay constant --------------------------------------------------------------


def _grow(document, users, n, first=0):
    """n new spans (no person gets the same span and label twice: that is a duplicate)."""
    for i in range(first, first + n):
        user = users[i % len(users)]
        annotation_create(document=document, created_by=user, start=i, end=i + 3, label="sourced")


@pytest.mark.parametrize("page", ["compare", "collection", "agreement", "assign", "reviewer"])
def test_pages_run_constant_queries(
    client, lead, reviewer, other_reviewer, page, django_assert_max_num_queries
):
    from annotator.review.services import agreement_report_refresh

    collection = CollectionFactory()
    small = DocumentFactory(collection=collection, text=TEXT)
    _grow(small, [reviewer, other_reviewer], 2)
    _login(client, lead)

    def url() -> str:
        return {
            "compare": reverse("review-compare", args=[small.pk]),
            "collection": reverse("review-collection", args=[collection.slug]),
            "agreement": reverse("review-agreement", args=[collection.slug]),
            "assign": reverse("review-assign", args=[collection.slug]),
            "reviewer": reverse("review-reviewer", args=[reviewer.pk]),
        }[page]

    agreement_report_refresh(collection_id=collection.pk)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as baseline:
        assert client.get(url()).status_code == 200
    # Much more data: more annotations, documents, reviewers, assignments and a final set.
    more = [UserFactory(username=f"extra{i}", role="reviewer") for i in range(4)]
    _grow(small, [reviewer, other_reviewer, *more], 30, first=2)
    for i in range(5):
        document = DocumentFactory(collection=collection, text=f"{i} {TEXT}")
        _grow(document, more, 6)
        for person in more:
            Assignment.objects.create(document=document, reviewer=person, assigned_by=lead)
    final_annotation_create(document=small, decided_by=lead, start=0, end=5, label="sourced")
    agreement_report_refresh(collection_id=collection.pk)
    with django_assert_max_num_queries(len(baseline)):
        assert client.get(url()).status_code == 200


# The same rule from the UI, the API and the admin ----------------------------------------


def test_forged_ui_edit_of_anothers_annotation_is_refused(
    client, reviewer, other_reviewer, document
):
    theirs = _tag(document, other_reviewer, "troops", "sourced")
    response = _login(client, reviewer).post(
        reverse("annotator-annotation-edit", args=[document.pk, theirs.pk]),
        {"version": theirs.version, "label": "propaganda", "note": "forged"},
    )
    assert response.status_code in (403, 404)
    response = client.post(
        reverse("annotator-annotation-delete", args=[document.pk, theirs.pk]),
        {"version": theirs.version},
    )
    assert response.status_code in (403, 404)
    theirs.refresh_from_db()
    assert (theirs.label.slug, theirs.note, theirs.version) == ("sourced", "", 1)


def test_forged_api_patch_of_anothers_annotation_is_refused(
    client, reviewer, other_reviewer, document
):
    theirs = _tag(document, other_reviewer, "troops", "sourced")
    _login(client, reviewer)
    response = client.patch(
        f"/api/annotations/{theirs.pk}/",
        data=json.dumps({"label": "propaganda"}),
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    assert client.delete(f"/api/annotations/{theirs.pk}/").status_code in (403, 404)
    theirs.refresh_from_db()
    assert theirs.label.slug == "sourced"


def test_forged_admin_change_of_anothers_annotation_is_refused(
    client, reviewer, other_reviewer, document
):
    reviewer.is_staff = True
    reviewer.save()
    theirs = _tag(document, other_reviewer, "troops", "sourced")
    mine = _tag(document, reviewer, "Officials", "sourced")
    _login(client, reviewer)
    form = {
        "document": document.pk,
        "start": theirs.start,
        "end": theirs.end,
        "label": theirs.label_id,
        "note": "forged",
        "evidence_url": "",
        "origin": "manual",
    }
    response = client.post(reverse("admin:annotator_annotation_change", args=[theirs.pk]), form)
    assert response.status_code == 403
    response = client.post(
        reverse("admin:annotator_annotation_delete", args=[theirs.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.note == ""
    # Their own annotation they may change: the rule is about ownership, not the admin.
    own = {**form, "start": mine.start, "end": mine.end, "note": "mine"}
    response = client.post(reverse("admin:annotator_annotation_change", args=[mine.pk]), own)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.note == "mine"


def test_lead_assigns_from_admin_action(client, lead, reviewer, other_reviewer):
    lead.is_staff = True
    lead.save()
    documents = DocumentFactory.create_batch(2)
    url = reverse("admin:corpus_document_changelist")
    _login(client, lead)
    selected = [d.pk for d in documents]
    page = client.post(url, {"action": "assign_to_reviewers", "_selected_action": selected})
    assert page.status_code == 200
    assert "Assign to reviewers" in page.content.decode()
    response = client.post(
        url,
        {
            "action": "assign_to_reviewers",
            "_selected_action": selected,
            "apply": "1",
            "reviewers": [reviewer.pk, other_reviewer.pk],
        },
    )
    assert response.status_code == 302
    assert Assignment.objects.filter(assigned_by=lead).count() == 4


def test_reviewer_with_staff_access_has_no_assign_action(client, reviewer, other_reviewer):
    reviewer.is_staff = True
    reviewer.save()
    document = DocumentFactory()
    url = reverse("admin:corpus_document_changelist")
    _login(client, reviewer)
    assert "assign_to_reviewers" not in client.get(url).content.decode()
    client.post(
        url,
        {
            "action": "assign_to_reviewers",
            "_selected_action": [document.pk],
            "apply": "1",
            "reviewers": [other_reviewer.pk],
        },
    )
    assert not Assignment.objects.exists()


def test_final_only_export_returns_exactly_the_adjudicated_set(client, lead, disputed_document):
    reuters = Annotation.objects.filter(quote="according to Reuters").first()
    final = final_annotation_create(
        document=disputed_document, decided_by=lead, from_ids=[reuters.pk]
    )
    response = _login(client, lead).get("/api/export/annotations/?format=jsonl&is_final=true")
    assert response.status_code == 200
    records = [
        json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()
    ]
    assert [(r["id"], r["is_final"], r["created_by"]) for r in records] == [
        (final.pk, True, "lena")
    ]


def test_reviewer_with_staff_access_cannot_change_assignments_in_admin(client, lead, reviewer):
    reviewer.is_staff = True
    reviewer.save()
    document = DocumentFactory()
    assignment = Assignment.objects.create(document=document, reviewer=reviewer, assigned_by=lead)
    _login(client, reviewer)
    url = reverse("admin:annotator_assignment_change", args=[assignment.pk])
    response = client.post(
        url, {"document": document.pk, "reviewer": reviewer.pk, "status": "done"}
    )
    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.status == "assigned"
    response = client.post(reverse("admin:annotator_assignment_add"), {"document": document.pk})
    assert response.status_code == 403


def test_lead_sets_blind_review_and_assigned_only(client, lead, reviewer):
    collection = CollectionFactory()
    url = reverse("review-settings", args=[collection.slug])
    _login(client, reviewer)
    assert client.post(url, {"blind_review": "on"}).status_code == 403
    _login(client, lead)
    assert client.post(url, {"blind_review": "on", "assigned_only": "on"}).status_code == 302
    collection.refresh_from_db()
    assert collection.blind_review and collection.assigned_only
    client.post(url, {})
    collection.refresh_from_db()
    assert not collection.blind_review and not collection.assigned_only


def test_admin_action_round_robin_with_k(client, lead, reviewer, other_reviewer):
    lead.is_staff = True
    lead.save()
    documents = DocumentFactory.create_batch(4)
    _login(client, lead)
    response = client.post(
        reverse("admin:corpus_document_changelist"),
        {
            "action": "assign_to_reviewers",
            "_selected_action": [d.pk for d in documents],
            "apply": "1",
            "reviewers": [reviewer.pk, other_reviewer.pk],
            "k": 1,
        },
    )
    assert response.status_code == 302
    assert Assignment.objects.filter(reviewer=reviewer).count() == 2
    assert Assignment.objects.filter(reviewer=other_reviewer).count() == 2
