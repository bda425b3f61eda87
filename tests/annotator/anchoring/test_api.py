"""API: revisions, the diff, anchoring state, decisions, import by URL and re-check."""

from annotator.models import Annotation
from corpus.models import DocumentFetch
from tests.corpus.pages import serve_pages
from tests.factories import api_for


def test_revisions_and_one_revision_text(revised, reviewer):
    document, *_ = revised
    api = api_for(reviewer)
    rows = api.get(f"/api/documents/{document.pk}/revisions/").json()
    assert [r["number"] for r in rows] == [1, 2]
    assert "text" not in rows[0]
    one = api.get(f"/api/documents/{document.pk}/revisions/1/").json()
    assert "The mayor claimed" in one["text"]
    assert api.get(f"/api/documents/{document.pk}/revisions/7/").status_code == 404


def test_diff_pieces_carry_ops_and_labels(revised, reviewer):
    document, *_ = revised
    data = api_for(reviewer).get(f"/api/documents/{document.pk}/diff/").json()
    assert (data["old"], data["new"]) == (1, 2)
    deleted = "".join(p["text"] for p in data["pieces"] if p["op"] == "delete")
    inserted = "".join(p["text"] for p in data["pieces"] if p["op"] == "insert")
    assert "The mayor claimed" in deleted and "Editor's note" in inserted
    old_text = "".join(p["text"] for p in data["pieces"] if p["op"] != "insert")
    assert old_text == document.revisions.get(number=1).text
    assert any(p["labels"] and p["op"] == "delete" for p in data["pieces"])
    bad = api_for(reviewer).get(f"/api/documents/{document.pk}/diff/?old=x")
    assert bad.status_code == 400


def test_annotations_expose_their_anchoring_state(revised, reviewer):
    _, same, edited, deleted, _ = revised
    rows = {a["id"]: a for a in api_for(reviewer).get("/api/annotations/").json()["results"]}
    assert rows[edited.pk]["anchor_state"] == "text_changed"
    assert rows[deleted.pk]["anchor_state"] == "orphan" and rows[deleted.pk]["revision"] == 1
    assert rows[same.pk]["revision"] == 2 and rows[same.pk]["anchor_confidence"] > 0.5


def test_anchor_decisions(revised, reviewer):
    document, _, edited, deleted, _ = revised
    api = api_for(reviewer)
    response = api.post(f"/api/annotations/{edited.pk}/anchor/", {"action": "confirm"})
    assert response.json()["anchor_state"] == "anchored"
    response = api.post(f"/api/annotations/{deleted.pk}/anchor/", {"action": "replace"})
    assert response.status_code == 400
    start = document.text.index("heroic")
    response = api.post(
        f"/api/annotations/{deleted.pk}/anchor/",
        {"action": "replace", "start": start, "end": start + 6, "quote": "heroic"},
    )
    assert response.status_code == 200 and response.json()["quote"] == "heroic"
    response = api.post(f"/api/annotations/{deleted.pk}/anchor/", {"action": "discard"})
    assert response.status_code == 400  # anchored now


def test_import_url_and_recheck_by_api(db, lead, reviewer, settings):
    settings.FETCH_ALLOW_PRIVATE = True
    api = api_for(lead)
    with serve_pages() as pages:
        url = pages.set_article("/a", "Title", ["A long enough paragraph of article text here."])
        response = api.post(
            "/api/documents/import-url/", {"urls": [url], "collection": "news"}, format="json"
        )
        assert response.status_code == 202
        (fetch,) = response.json()
        assert (fetch["status"], fetch["collection"]) == ("queued", "news")
        assert api.get(f"/api/document-fetches/{fetch['id']}/").json()["status"] == "queued"
    assert api_for(reviewer).get("/api/document-fetches/").status_code == 403
    response = api.post("/api/documents/import-url/", {"urls": ["nope"]}, format="json")
    assert response.status_code == 400 and "urls" in response.json()
    assert DocumentFetch.objects.count() == 1


def test_recheck_needs_a_url_document(revised, lead):
    document, *_ = revised
    response = api_for(lead).post(f"/api/documents/{document.pk}/recheck/")
    assert response.status_code == 400 and "source_url" in response.json()
    assert Annotation.objects.exists()


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_exports_say_which_revision_offsets_refer_to(revised, lead):
    import json

    document, same, edited, deleted, _ = revised
    api = api_for(lead)
    page = json.loads(_body(api.get("/api/export/annotations/?format=w3c")))
    items = {item["id"].rstrip("/").rsplit("/", 1)[1]: item for item in page["items"]}
    orphan = items[str(deleted.pk)]["target"]
    assert orphan["revision"] == 1
    old_text = document.revisions.get(number=1).text
    quote = orphan["selector"][1]
    assert quote["type"] == "TextQuoteSelector"
    assert quote["exact"] == "The mayor claimed the city was fully prepared"
    # Prefix and suffix from the text the offsets refer to (revision 1), not the current one.
    assert old_text[: deleted.start].endswith(quote["prefix"]) and quote["prefix"]
    assert quote["suffix"] == old_text[deleted.end : deleted.end + 32]
    moved = items[str(same.pk)]["target"]
    assert moved["revision"] == 2
    start = moved["selector"][0]["start"]
    assert document.text[start : moved["selector"][0]["end"]] == same.quote
    records = [json.loads(line) for line in _body(api.get("/api/export/annotations/")).splitlines()]
    by_id = {r["id"]: r for r in records}
    assert (by_id[deleted.pk]["revision"], by_id[deleted.pk]["anchor_state"]) == (1, "orphan")
    spacy = [
        json.loads(line)
        for line in _body(api.get("/api/export/annotations/?format=spacy")).splitlines()
    ]
    assert len(spacy[0]["spans"]) == 2  # the orphan's offsets do not fit the text written
