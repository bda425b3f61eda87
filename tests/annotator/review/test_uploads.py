import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator.models import SuggestionRun
from corpus.models import Document
from tests.factories import CollectionFactory

GOOD = "\n".join(
    json.dumps({"title": f"Story {n}", "text": f"The ministry denied story {n}."}) for n in range(3)
)
BAD = json.dumps({"title": "Fine", "text": "A fine line."}) + "\n{not json\n"


def _post(client, collection, *files, accept="application/json"):
    url = reverse("review-upload", args=[collection.slug])
    return client.post(url, {"files": list(files)}, HTTP_ACCEPT=accept)


def test_lead_uploads_a_jsonl_file(client, lead, settings, django_capture_on_commit_callbacks):
    settings.SUGGEST_ON_IMPORT = True
    collection = CollectionFactory()
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, collection, SimpleUploadedFile("news.jsonl", GOOD.encode()))
    assert response.status_code == 200
    (outcome,) = response.json()["files"]
    assert (outcome["file"], outcome["ok"], outcome["created"]) == ("news.jsonl", True, 3)
    assert "suggestions queued for 3" in outcome["message"]
    assert Document.objects.filter(collection=collection).count() == 3
    # the import's signal started one suggestion run for the batch, listing its documents
    (run,) = SuggestionRun.objects.filter(collection=collection)
    ids = set(Document.objects.filter(collection=collection).values_list("id", flat=True))
    assert (set(run.document_ids), run.documents_total) == (ids, 3)


def test_bad_line_names_the_line_and_imports_nothing_from_that_file(client, lead):
    collection = CollectionFactory()
    client.force_login(lead)
    response = _post(client, collection, SimpleUploadedFile("bad.jsonl", BAD.encode()))
    assert response.status_code == 400
    (outcome,) = response.json()["files"]
    assert (outcome["ok"], outcome["line"]) == (False, 2)
    assert outcome["message"].startswith("bad.jsonl: line 2: invalid JSON")
    assert "/tmp" not in outcome["message"]
    assert not Document.objects.filter(collection=collection).exists()


def test_unknown_suffix_is_refused_by_name(client, lead):
    collection = CollectionFactory()
    client.force_login(lead)
    response = _post(client, collection, SimpleUploadedFile("notes.docx", b"x"))
    assert response.status_code == 400
    assert "Only .csv, .json, .jsonl, .txt" in response.json()["files"][0]["error"]


def test_no_file_is_a_400_naming_the_field(client, lead):
    client.force_login(lead)
    response = _post(client, CollectionFactory())
    assert response.status_code == 400
    assert "files" in response.json()["error"]


def test_without_javascript_the_form_redirects_with_a_message_per_file(client, lead):
    collection = CollectionFactory()
    client.force_login(lead)
    response = _post(
        client,
        collection,
        SimpleUploadedFile("a.txt", b"Plain text story."),
        SimpleUploadedFile("bad.jsonl", BAD.encode()),
        accept="text/html",
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "a.txt: 1 new" in page
    assert "bad.jsonl: line 2" in page


def test_reviewer_may_not_upload(client, reviewer):
    client.force_login(reviewer)
    response = _post(client, CollectionFactory(), SimpleUploadedFile("a.txt", b"Text."))
    assert response.status_code == 403
    assert not Document.objects.exists()
