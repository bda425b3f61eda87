"""Journey: review suggestions with the keyboard (j, a, r, adjusted bounds), see others' work
arrive without a reload, mark the document done and find it in the queue."""

from annotator.models import Annotation, Assignment, Suggestion
from tests.browser.conftest import BROWSER, screenshot
from tests.factories import (
    AnnotationFactory,
    CollectionFactory,
    DocumentFactory,
    SuggestionFactory,
    UserFactory,
)

pytestmark = BROWSER

TEXT = (
    "The ministry denied the report on Tuesday.\n"
    "Officials said the troops arrived, according to Reuters.\n"
    "Heroic defenders crushed the enemy."
)


def span(phrase: str) -> dict:
    start = TEXT.index(phrase)
    return {"start": start, "end": start + len(phrase)}


def test_accept_reject_and_adjust_suggestions(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    collection = CollectionFactory(slug="demo")
    document = DocumentFactory(collection=collection, title="Suggested", text=TEXT)
    next_one = DocumentFactory(collection=collection, title="Next one")
    first = SuggestionFactory(document=document, **span("denied the report"))
    second = SuggestionFactory(document=document, **span("according to Reuters"))
    third = SuggestionFactory(document=document, **span("Heroic defenders"), score=0.4)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    assert page.locator("#doc-text mark.sug").count() >= 3
    assert "cue: 'denied'" in page.locator(f"#s-{first.pk}").get_attribute("title")

    page.keyboard.press("?")
    assert page.locator("#shortcuts-dialog").is_visible()
    page.keyboard.press("Escape")

    page.keyboard.press("j")  # selects the first suggestion
    page.keyboard.press("a")
    page.locator("#doc-text mark.ann.l-disputed").wait_for()
    accepted = Annotation.objects.get(suggestion=first)
    assert (accepted.origin, accepted.quote) == ("suggestion", "denied the report")

    page.keyboard.press("j")  # the next one: "according to Reuters"
    page.keyboard.press("r")
    page.locator(f"#s-{second.pk}").wait_for(state="detached")
    assert Suggestion.objects.get(pk=second.pk).status == "rejected"

    # adjust: select the third suggestion, extend the selection by " crushed", accept
    page.keyboard.press("j")
    for _ in range(len(" crushed")):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("a")
    page.locator(f"#s-{third.pk}").wait_for(state="detached")
    adjusted = Annotation.objects.get(suggestion=third)
    assert adjusted.quote == "Heroic defenders crushed"
    screenshot(page, "document-suggestions")

    # another reviewer's annotation arrives by polling, without a reload
    other = UserFactory(username="omar", role="reviewer")
    AnnotationFactory(document=document, created_by=other, **span("Officials said"))
    page.locator("#doc-text mark.ann.l-sourced").wait_for(timeout=12_000)

    page.click("#mark-done")
    page.locator(".flash.ok").wait_for()
    assert Assignment.objects.get(document=document, reviewer=reviewer).status == "done"
    page.keyboard.press("n")
    page.wait_for_url(f"**/documents/{next_one.pk}/")
    assert page.locator("h1").text_content() == "Next one"
    page.goto("/")
    row = page.locator(f'tr[data-document="{document.pk}"]')
    assert row.locator(".status").text_content() == "Done"
    assert problems == []
