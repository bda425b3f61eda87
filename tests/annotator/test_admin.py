import pytest
from django.urls import reverse

from annotator.models import Annotation, Label
from annotator.suggestions.decisions import suggestion_reject
from tests.factories import AnnotationFactory, CollectionFactory, DocumentFactory, SuggestionFactory


@pytest.fixture
def admin_client_logged(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_adds_annotation_with_server_computed_quote(admin_client_logged, emoji_document):
    start = emoji_document.text.index("troops")
    response = admin_client_logged.post(
        reverse("admin:annotator_annotation_add"),
        {
            "document": emoji_document.pk,
            "start": start,
            "end": start + 6,
            "label": Label.objects.get(slug="sourced").pk,
            "note": "",
            "evidence_url": "",
            "origin": "manual",
        },
    )
    assert response.status_code == 302, response.content
    annotation = Annotation.objects.get()
    assert annotation.quote == "troops"
    history = admin_client_logged.get(
        reverse("admin:corpus_document_change", args=[emoji_document.pk])
    )
    assert "troops" in history.content.decode()
    assert annotation.history.count() == 1


def test_admin_refuses_offsets_outside_document(admin_client_logged, document):
    response = admin_client_logged.post(
        reverse("admin:annotator_annotation_add"),
        {
            "document": document.pk,
            "start": 5,
            "end": 100_000,
            "label": Label.objects.get(slug="sourced").pk,
            "origin": "manual",
        },
    )
    assert response.status_code == 200
    assert "past the end of the document" in response.content.decode()
    assert not Annotation.objects.exists()


def test_admin_text_change_of_annotated_document_is_a_revision(admin_client_logged):
    annotation = AnnotationFactory()
    document = annotation.document
    response = admin_client_logged.post(
        reverse("admin:corpus_document_change", args=[document.pk]),
        {
            "collection": document.collection_id,
            "title": document.title,
            "text": "changed",
            "language": "en",
            "metadata": "{}",
            "annotations-TOTAL_FORMS": 1,
            "annotations-INITIAL_FORMS": 1,
            "annotations-0-id": annotation.pk,
            "annotations-0-document": document.pk,
            "revisions-TOTAL_FORMS": 1,
            "revisions-INITIAL_FORMS": 1,
            "revisions-0-id": document.revisions.get().pk,
            "revisions-0-document": document.pk,
        },
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.text, document.revision) == ("changed", 2)
    assert document.revisions.get(number=2).source == "admin"


def test_deleted_annotation_is_restored_from_admin(admin_client_logged):
    annotation = AnnotationFactory(note="bring me back")
    pk = annotation.pk
    annotation.delete()
    listing = admin_client_logged.get(reverse("admin:annotator_deletedannotation_changelist"))
    assert annotation.quote in listing.content.decode()
    record = Annotation.history.filter(id=pk, history_type="-").get()
    response = admin_client_logged.post(
        reverse("admin:annotator_deletedannotation_changelist"),
        {"action": "restore", "_selected_action": [record.pk]},
    )
    assert response.status_code == 302
    assert Annotation.objects.get(pk=pk).note == "bring me back"


def test_staff_reviewer_cannot_change_others_annotation_in_admin(client, reviewer, other_reviewer):
    reviewer.is_staff = True
    reviewer.save()
    annotation = AnnotationFactory(created_by=other_reviewer, note="theirs")
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:annotator_annotation_change", args=[annotation.pk]),
        {
            "document": annotation.document_id,
            "start": 0,
            "end": 6,
            "label": annotation.label_id,
            "note": "forged",
            "origin": "manual",
        },
    )
    assert response.status_code == 403
    annotation.refresh_from_db()
    assert annotation.note == "theirs"


def test_staff_reviewer_sees_blind_review_work_in_admin_as_in_the_api(
    client, reviewer, other_reviewer, admin_user
):
    reviewer.is_staff = True
    reviewer.save()
    blind = DocumentFactory(collection=CollectionFactory(slug="blind", blind_review=True))
    AnnotationFactory(document=blind, created_by=other_reviewer)
    mine = AnnotationFactory(document=blind, created_by=reviewer)
    suggestion = SuggestionFactory(document=blind)
    suggestion_reject(suggestion=suggestion, user=other_reviewer)
    client.force_login(reviewer)
    listing = client.get(reverse("admin:annotator_annotation_changelist"))
    assert [a.pk for a in listing.context["cl"].result_list] == [mine.pk]
    url = reverse("admin:annotator_suggestion_change", args=[suggestion.pk])
    assert _inline_reviewers(client.get(url)) == []
    client.force_login(admin_user)
    assert _inline_reviewers(client.get(url)) == [other_reviewer.username]


def _inline_reviewers(page) -> list[str]:
    [decisions] = page.context["inline_admin_formsets"]
    return [form.instance.reviewer.username for form in decisions.formset.forms]


def test_export_action_streams_jsonl(admin_client_logged):
    annotation = AnnotationFactory(
        document=DocumentFactory(text="Émile 😀 said yes."), start=0, end=5
    )
    response = admin_client_logged.post(
        reverse("admin:annotator_annotation_changelist"),
        {"action": "export_jsonl", "_selected_action": [annotation.pk]},
    )
    body = b"".join(response.streaming_content).decode()
    assert '"quote": "Émile"' in body and '"label": "sourced"' in body
