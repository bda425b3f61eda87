"""Journey: after a revision, a reviewer works through the collection's queue with the keyboard:
confirms a "text changed" span (c) and re-places an orphan by selecting the new text after an
emoji and right-to-left text (r, select, Enter); then reads the diff."""

from annotator.anchoring.services import document_reanchor
from annotator.models import Annotation
from corpus.services import document_update
from tests.browser.conftest import BROWSER, screenshot, select_phrase
from tests.factories import AnnotationFactory, CollectionFactory, DocumentFactory, UserFactory

pytestmark = BROWSER

OLD = (
    "Rescue teams 👋🏽 from שלום arrived at dawn.\n\n"
    "Officials said 12 people died in the storm on Tuesday, according to the governor.\n\n"
    "The mayor claimed the city was fully prepared for the disaster."
)
NEW = (
    "Rescue teams 👋🏽 from שלום arrived at dawn.\n\n"
    "Officials said 14 people died in the storm on Tuesday, according to the governor.\n\n"
    "The mayor said later that the city had been warned by the e\u0301quipe in charge."
)


def span(document, quote, user):
    start = document.text.index(quote)
    return AnnotationFactory(
        document=document, start=start, end=start + len(quote), quote=quote, created_by=user
    )


def test_queue_confirm_and_replace_with_keys(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    collection = CollectionFactory(slug="news", name="News")
    document = DocumentFactory(collection=collection, title="Storm", text=OLD)
    edited = span(document, "Officials said 12 people died in the storm", reviewer)
    orphan = span(document, "the city was fully prepared for the disaster", reviewer)
    document_update(document=document, text=NEW)
    document_reanchor(document_id=document.pk)
    assert Annotation.objects.get(pk=edited.pk).anchor_state == "text_changed"
    assert Annotation.objects.get(pk=orphan.pk).anchor_state == "orphan"

    login(reviewer)
    page.goto("/revisions/news/")
    page.wait_for_selector(".anchor-item.current")
    screenshot(page, "revisions-queue")
    ids = page.eval_on_selector_all(".anchor-item", "els => els.map(e => e.dataset.span)")
    assert sorted(ids) == sorted([str(edited.pk), str(orphan.pk)])
    if ids[0] != str(edited.pk):
        page.keyboard.press("j")
    page.keyboard.press("c")
    page.wait_for_selector(f"#span-{edited.pk}", state="detached")
    assert Annotation.objects.get(pk=edited.pk).anchor_state == "anchored"

    page.wait_for_selector(f"#span-{orphan.pk}.current")
    page.keyboard.press("r")
    page.wait_for_selector("#place-text")
    select_phrase(page, "the city had been warned by the e\u0301quipe", root="#place-text")
    page.wait_for_selector("#place-submit:not([disabled])")
    page.keyboard.press("Enter")
    page.wait_for_url("**/revisions/news/?done=placed")
    placed = Annotation.objects.get(pk=orphan.pk)
    assert placed.quote == "the city had been warned by the e\u0301quipe"
    assert NEW[placed.start : placed.end] == placed.quote  # code points, after the emoji
    assert (placed.anchor_state, placed.revision) == ("anchored", 2)
    assert page.locator(".anchor-item").count() == 0

    page.goto(f"/documents/{document.pk}/")
    page.click("#diff-link")
    page.wait_for_selector("#diff-text")
    deleted = "".join(page.locator("#diff-text del").all_text_contents())
    inserted = "".join(page.locator("#diff-text ins").all_text_contents())
    assert "fully" in deleted and "disaster" in deleted
    assert "said later" in inserted and "in charge" in inserted
    assert "4" in inserted and "2" in deleted
    screenshot(page, "revisions-diff")
    assert problems == []
