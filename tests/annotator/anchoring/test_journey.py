"""The issue's "Done when", as a new user would try it, with a real worker and a real page:
import an article by URL, annotate it, change the page, re-check."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from annotator.models import Annotation
from annotator.models.claims import Evidence
from corpus.models import Document, DocumentFetch
from tests.annotator.workers import Workers, purge_queues
from tests.corpus.pages import serve_pages

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

INTRO = "The regional council met on Monday to discuss the flood response in the valley."
CLAIM_A = "Officials said the river rose by two metres overnight, according to the water agency."
CLAIM_B = "The mayor claimed that 120 homes were evacuated before midnight in the old town."
CLAIM_C = "Critics called the warning system a disgrace and demanded an independent inquiry."
INSERTED = "Editor's note: this article was updated with new figures from the fire service."


def wait_for(predicate, workers: Workers, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"Timed out waiting for {what}.\nWorker logs:\n{workers.logs()}")


@pytest.fixture
def workers(tmp_path, monkeypatch, settings):
    settings.FETCH_ALLOW_PRIVATE = True
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE", "1")
    purge_queues()
    pool = Workers(tmp_path)
    yield pool
    pool.stop()


def tag(client, document: Document, quote: str) -> Annotation:
    start = document.text.index(quote)
    response = client.post(
        reverse("annotator-annotation-add", args=[document.pk]),
        {"start": start, "end": start + len(quote), "quote": quote, "label": "sourced"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content[:500]
    return Annotation.objects.get(document=document, quote=quote)


def test_import_annotate_change_recheck(client, lead, workers):
    workers.start()
    client.force_login(lead)
    with serve_pages() as pages:
        url = pages.set_article("/flood", "Flood response", [INTRO, CLAIM_A, CLAIM_B, CLAIM_C])
        response = client.post(reverse("anchoring-import-url"), {"urls": url, "collection": "news"})
        assert response.status_code == 302
        fetch = DocumentFetch.objects.get()
        wait_for(lambda: DocumentFetch.objects.get(pk=fetch.pk).finished, workers, "the import")
        fetch.refresh_from_db()
        assert fetch.status == "created", fetch.error
        document = fetch.document
        progress = client.get(response["Location"]).content.decode()
        assert "Imported" in progress and document.title in progress

        intro = tag(client, document, "flood response in the valley")
        a = tag(client, document, CLAIM_A)
        b = tag(client, document, "120 homes were evacuated before midnight")
        c = tag(client, document, CLAIM_C)
        # A claim with a source: its evidence must follow the claim through the revision.
        Evidence.objects.create(
            annotation=b,
            url="https://example.org/fire-service",
            stance="refutes",
            excerpt="The fire service counted 140 homes.",
            created_by=lead,
        )

        claim_b = CLAIM_B.replace("120", "140")
        pages.set_article("/flood", "Flood response", [INSERTED, INTRO, CLAIM_A, claim_b])
        response = client.post(reverse("anchoring-recheck", args=[document.pk]))
        assert response.status_code == 302
        wait_for(
            lambda: (
                not Annotation.objects.filter(document=document, revision=1)
                .exclude(anchor_state="orphan")
                .exists()
                and Document.objects.get(pk=document.pk).revision == 2
            ),
            workers,
            "the re-anchoring",
        )

    document.refresh_from_db()
    a, b, c, intro = (Annotation.objects.get(pk=x.pk) for x in (a, b, c, intro))
    # The first annotations sit on the same words.
    assert document.text[intro.start : intro.end] == intro.quote == "flood response in the valley"
    assert (intro.anchor_state, intro.revision) == ("anchored", 2)
    assert document.text[a.start : a.end] == a.quote == CLAIM_A
    assert (a.anchor_state, a.revision) == ("anchored", 2)
    # The edited claim follows its edited words, flagged for a reviewer.
    assert b.anchor_state == "text_changed"
    assert document.text[b.start : b.end] == b.quote == "140 homes were evacuated before midnight"
    assert b.evidence.get().excerpt == "The fire service counted 140 homes."
    # The deleted claim is an orphan, in the collection's queue, on its old revision.
    assert (c.anchor_state, c.revision, c.quote) == ("orphan", 1, CLAIM_C)
    queue = client.get(reverse("anchoring-queue", args=["news"])).content.decode()
    assert f'id="span-{c.pk}"' in queue and f'id="span-{b.pk}"' in queue
    assert f'id="span-{a.pk}"' not in queue
    # The diff shows all three changes.
    diff = client.get(reverse("anchoring-diff", args=[document.pk])).content.decode()
    assert "<ins>Editor&#x27;s note" in diff or "<ins>Editor&#39;s note" in diff
    assert ">2</mark></del>" in diff and ">4</mark></ins>" in diff
    assert re.search(r"<del>(<mark[^>]*>)?[^<]*Critics called the warning system", diff)
    # Nothing was lost from history.
    assert [r.number for r in document.revisions.all()] == [1, 2]
    assert CLAIM_C in document.revisions.get(number=1).text
    assert all(r.warc for r in document.revisions.all())
    for annotation in (a, b):
        quotes = list(Annotation.history.filter(id=annotation.pk).values_list("quote", flat=True))
        assert len(quotes) >= 2
    assert Annotation.history.filter(id=c.pk, anchor_state="orphan").exists()
