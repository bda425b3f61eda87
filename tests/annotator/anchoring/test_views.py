"""Pages: the document's revision bar, the diff, the re-anchoring queue and re-placing."""

from django.urls import reverse

from annotator.models import Annotation
from tests.annotator.anchoring.conftest import NEW


def test_document_page_says_which_revision_and_links_diff_and_queue(client, reviewer, revised):
    document, *_ = revised
    client.force_login(reviewer)
    html = client.get(reverse("annotator-document", args=[document.pk])).content.decode()
    assert "Revision 2" in html
    assert reverse("anchoring-diff", args=[document.pk]) in html
    assert "1 text changed, 1 orphan to review" in html
    # The orphan is not drawn on the current text; the moved spans are.
    assert "The mayor claimed" not in html
    assert "Officials said 14 people" in html


def test_diff_marks_insertions_deletions_and_spans(client, reviewer, revised):
    document, *_ = revised
    client.force_login(reviewer)
    html = client.get(reverse("anchoring-diff", args=[document.pk])).content.decode()
    assert "<ins>Editor&#x27;s note" in html or "<ins>Editor&#39;s note" in html
    assert "<del>" in html and "The mayor claimed" in html
    # The edited figure: the old digit deleted, the new one inserted, both inside the span.
    assert 'title="Sourced">2</mark></del>' in html
    assert 'title="Sourced">4</mark></ins>' in html
    # The deleted claim is marked with its (old-side) annotation.
    assert 'title="Sourced">The mayor claimed the city was fully prepared</mark>' in html


def test_diff_with_unknown_revision_is_404(client, reviewer, revised):
    document, *_ = revised
    client.force_login(reviewer)
    url = reverse("anchoring-diff", args=[document.pk]) + "?old=9"
    assert client.get(url).status_code == 404
    assert client.get(url.replace("9", "x")).status_code == 200  # not a number: the default


def test_queue_lists_orphans_and_changed_spans_with_their_context(
    client, reviewer, revised, django_assert_max_num_queries
):
    document, same, edited, deleted, _ = revised
    client.force_login(reviewer)
    url = reverse("anchoring-queue", args=[document.collection.slug])
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    assert f'id="span-{edited.pk}"' in html and f'id="span-{deleted.pk}"' in html
    assert f'id="span-{same.pk}"' not in html
    assert "offsets refer to revision 1 (the document is at revision 2)" in html


def test_queue_keys_confirm_and_discard_through_htmx(client, reviewer, revised):
    _, _, edited, deleted, _ = revised
    client.force_login(reviewer)
    htmx = {"HTTP_HX_REQUEST": "true"}
    response = client.post(
        reverse("anchoring-decide", args=[edited.pk]), {"action": "confirm"}, **htmx
    )
    assert response.status_code == 200
    assert Annotation.objects.get(pk=edited.pk).anchor_state == "anchored"
    response = client.post(
        reverse("anchoring-decide", args=[edited.pk]), {"action": "confirm"}, **htmx
    )
    assert response.status_code == 409 and response["HX-Retarget"] == "#anchor-error"
    client.post(reverse("anchoring-decide", args=[deleted.pk]), {"action": "discard"}, **htmx)
    assert not Annotation.objects.filter(pk=deleted.pk).exists()
    bad = client.post(reverse("anchoring-decide", args=[deleted.pk]), {"action": "x"})
    assert bad.status_code == 404  # gone


def test_replace_places_an_orphan_on_selected_text(client, reviewer, revised):
    document, *_, deleted, _ = revised
    client.force_login(reviewer)
    url = reverse("anchoring-place", args=[deleted.pk])
    page = client.get(url).content.decode()
    assert 'id="place-text"' in page and "anchoring.js" in page
    start = NEW.index("heroic goalkeeper")
    bad = client.post(url, {"start": start, "end": start + 17, "quote": "wrong words here!"})
    assert bad.status_code == 422 and "Quote does not match" in bad.content.decode()
    response = client.post(url, {"start": start, "end": start + 17, "quote": "heroic goalkeeper"})
    assert response.status_code == 302
    deleted.refresh_from_db()
    assert (deleted.quote, deleted.revision, deleted.anchor_method) == (
        "heroic goalkeeper",
        2,
        "reviewer",
    )


def test_other_reviewers_cannot_decide_and_outsiders_see_nothing(
    client, other_reviewer, outsider, revised
):
    _, _, edited, *_ = revised
    client.force_login(other_reviewer)
    response = client.post(reverse("anchoring-decide", args=[edited.pk]), {"action": "confirm"})
    assert response.status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("anchoring-place", args=[edited.pk])).status_code == 403


def test_import_page_is_for_leads(client, reviewer, lead, settings):
    client.force_login(reviewer)
    assert client.get(reverse("anchoring-import-url")).status_code == 403
    client.force_login(lead)
    assert client.get(reverse("anchoring-import-url")).status_code == 200
    response = client.post(reverse("anchoring-import-url"), {"urls": "ftp://x.org/a"})
    assert response.status_code == 422 and "http or https" in response.content.decode()
