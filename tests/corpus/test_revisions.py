"""Document revisions: every new text is kept, numbered, with where it came from and who."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from corpus.models import Document, DocumentRevision, RevisionSource, text_sha256
from corpus.services import document_create, document_update
from tests.factories import CollectionFactory, api_for

TEXT = "Héllo 👋🏽 world.\nשלום עולם and e\u0301 combined."


def test_a_new_document_is_its_revision_1(db, lead):
    document = document_create(collection=CollectionFactory(), text=TEXT, imported_by=lead).document
    (revision,) = document.revisions.all()
    assert (revision.number, revision.text, revision.source) == (1, TEXT, RevisionSource.IMPORT)
    assert revision.sha256 == text_sha256(TEXT) == document.sha256
    assert revision.created_by == lead
    assert document.revision == 1


def test_new_text_is_the_next_revision_and_old_text_is_kept(db, lead):
    document = document_create(collection=CollectionFactory(), text=TEXT).document
    document_update(document=document, text=TEXT + " More.", revised_by=lead)
    document_update(document=document, title="Only the title")  # no new revision
    document.refresh_from_db()
    assert document.revision == 2
    numbers = list(document.revisions.values_list("number", "text", "source", "created_by"))
    assert numbers == [(1, TEXT, "import", None), (2, TEXT + " More.", "edit", lead.pk)]


def test_bulk_created_document_keeps_its_first_text_when_revised(db):
    collection = CollectionFactory()
    (document,) = Document.objects.bulk_create(
        [Document(collection=collection, title="T", text="First.", sha256=text_sha256("First."))]
    )
    document = Document.objects.get(pk=document.pk)
    document.text = "Second."
    document.save()
    assert list(document.revisions.values_list("number", "text")) == [
        (1, "First."),
        (2, "Second."),
    ]


def test_text_of_another_document_is_refused(db):
    collection = CollectionFactory()
    document_create(collection=collection, text="Taken.")
    document = document_create(collection=collection, text="Mine.").document
    with pytest.raises(ValidationError) as exc:
        document_update(document=document, text="Taken.")
    assert "already has this text" in exc.value.message_dict["text"][0]
    assert document.revisions.count() == 1


def test_reimport_of_an_external_id_records_a_revision(db):
    collection = CollectionFactory()
    first = document_create(collection=collection, text="Old text.", external_id="ap-1")
    again = document_create(collection=collection, text="Old text.", external_id="ap-1")
    changed = document_create(
        collection=collection, text="New text.", external_id="ap-1", title="New"
    )
    assert first.created and not again.created and not again.revised
    assert changed.revised and changed.document.pk == first.document.pk
    assert Document.objects.count() == 1
    assert list(changed.document.revisions.values_list("number", "text")) == [
        (1, "Old text."),
        (2, "New text."),
    ]


def test_api_put_and_patch_record_revisions_by_the_user(db, lead):
    document = document_create(collection=CollectionFactory(), text=TEXT).document
    api = api_for(lead)
    url = f"/api/documents/{document.pk}/"
    response = api.put(url, {"text": TEXT + " Two."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["revision"] == 2
    response = api.patch(url, {"text": TEXT + " Three.", "revision": 2}, format="json")
    assert response.json()["revision"] == 3
    last = document.revisions.last()
    assert (last.source, last.created_by, last.text) == ("api", lead, TEXT + " Three.")


def test_api_edit_of_a_stale_revision_is_a_conflict(db, lead):
    document = document_create(collection=CollectionFactory(), text=TEXT).document
    document_update(document=document, text="Someone else's edit.")
    response = api_for(lead).patch(
        f"/api/documents/{document.pk}/", {"text": "Mine.", "revision": 1}, format="json"
    )
    assert response.status_code == 409
    assert "revision 2" in response.json()["detail"]
    assert Document.objects.get(pk=document.pk).text == "Someone else's edit."


def test_api_put_without_text_names_the_field(db, lead):
    document = document_create(collection=CollectionFactory(), text=TEXT).document
    response = api_for(lead).put(f"/api/documents/{document.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 400
    assert "text" in response.json()


def test_admin_text_change_is_a_revision_by_the_admin(admin_client):
    document = document_create(collection=CollectionFactory(), text=TEXT).document
    response = admin_client.post(
        reverse("admin:corpus_document_change", args=[document.pk]),
        {
            "collection": document.collection_id,
            "title": document.title,
            "text": TEXT + " Edited.",
            "language": "en",
            "metadata": "{}",
            "annotations-TOTAL_FORMS": 0,
            "annotations-INITIAL_FORMS": 0,
            "revisions-TOTAL_FORMS": 1,
            "revisions-INITIAL_FORMS": 1,
            "revisions-0-id": document.revisions.get().pk,
            "revisions-0-document": document.pk,
        },
    )
    assert response.status_code == 302, response.context["errors"]
    last = DocumentRevision.objects.filter(document=document).last()
    assert (last.number, last.source, last.text) == (2, "admin", TEXT + " Edited.")
    assert last.created_by.is_superuser


def test_import_command_revises_a_reimported_external_id(db, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "wire.jsonl"
    path.write_text('{"external_id": "afp-7", "text": "Two dead."}\n', encoding="utf-8")
    call_command("import_documents", str(path), "--no-progress", stdout=StringIO())
    path.write_text('{"external_id": "afp-7", "text": "Three dead."}\n', encoding="utf-8")
    out = StringIO()
    call_command("import_documents", str(path), "--no-progress", stdout=out)
    assert "created 0, duplicates skipped 0, failed 0, revised 1" in out.getvalue()
    document = Document.objects.get()
    assert (document.text, document.revision) == ("Three dead.", 2)


def test_a_failing_revision_receiver_leaves_neither_text_nor_revision(transactional_db):
    """Saved outside any transaction (a shell, a script), a new text, its revision and the
    events the revision signal writes commit together: a failing receiver undoes all three."""
    from corpus.signals import document_revised

    document = document_create(collection=CollectionFactory(), text="Old text.").document

    def failing(**kwargs):
        raise RuntimeError("receiver failed")

    document_revised.connect(failing, dispatch_uid="test-failing-receiver")
    try:
        document.text = "New text."
        with pytest.raises(RuntimeError):
            document.save()
    finally:
        document_revised.disconnect(dispatch_uid="test-failing-receiver")
    stored = Document.objects.get(pk=document.pk)
    assert (stored.text, stored.revision) == ("Old text.", 1)
    assert list(stored.revisions.values_list("number", flat=True)) == [1]
