"""Journey: review suggestions with the keyboard (j, a, r, adjusted bounds), see others' work
arrive without a reload, mark the document done and find it in the queue."""

from playwright.sync_api import expect

from annotator.models import Annotation, Assignment, Suggestion
from tests.browser.conftest import BROWSER, PASSWORD, screenshot
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
    expect(page.locator("#flash .flash.ok")).to_have_text("Marked done.")
    assert Assignment.objects.get(document=document, reviewer=reviewer).status == "done"
    page.keyboard.press("n")
    page.wait_for_url(f"**/documents/{next_one.pk}/")
    assert page.locator("h1").text_content() == "Next one"
    page.goto("/")
    row = page.locator(f'tr[data-document="{document.pk}"]')
    assert row.locator(".status").text_content() == "Done"
    assert problems == []


def test_blind_review_each_reviewer_decides_a_suggestion_on_their_own(
    browser, live_server, page, login, problems
):
    """Under blind review one reviewer's decision neither removes the suggestion from the other
    reviewer's page (also not by polling) nor shows up there."""
    rita = UserFactory(username="rita", role="reviewer")
    omar = UserFactory(username="omar", role="reviewer")
    document = DocumentFactory(
        collection=CollectionFactory(slug="blind", blind_review=True), title="Blind", text=TEXT
    )
    suggestion = SuggestionFactory(document=document, **span("denied the report"))
    login(rita)
    page.goto(f"/documents/{document.pk}/")
    page.locator(f"#s-{suggestion.pk}").wait_for()

    # omar, in his own browser context, rejects it with the keyboard.
    other = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    other_page = other.new_page()
    problems.watch(other_page)
    other_page.goto("/accounts/login/")
    other_page.fill("#id_username", omar.username)
    other_page.fill("#id_password", PASSWORD)
    other_page.click("button[type=submit]")
    other_page.wait_for_url("**/")
    other_page.goto(f"/documents/{document.pk}/")
    other_page.keyboard.press("j")
    other_page.keyboard.press("r")
    other_page.locator(f"#s-{suggestion.pk}").wait_for(state="detached")
    other.close()
    assert list(suggestion.decisions.values_list("reviewer__username", "status")) == [
        ("omar", "rejected")
    ]

    # rita's page polls and keeps the suggestion; she accepts it.
    with page.expect_response(lambda r: "/changes/" in r.url, timeout=12_000):
        pass
    assert page.locator(f"#s-{suggestion.pk}").count() == 1
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.locator("#doc-text mark.ann.l-disputed").wait_for()
    assert Annotation.objects.get(suggestion=suggestion).created_by == rita
    assert Suggestion.objects.get(pk=suggestion.pk).status == "pending"
    assert problems == []
