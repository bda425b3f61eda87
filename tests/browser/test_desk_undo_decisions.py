"""Journey: accept one suggestion and reject another with the keyboard; Ctrl+Z undoes both
(the suggestions come back, the accepted annotation goes), Ctrl+Shift+Z decides again
(issue 17 item 3: undo for accept and reject)."""

from playwright.sync_api import expect

from annotator.annotations.services import annotation_update
from annotator.models import Annotation, Suggestion, SuggestionDecision
from tests.browser.conftest import BROWSER
from tests.factories import DocumentFactory, SuggestionFactory, UserFactory

pytestmark = BROWSER

TEXT = "The ministry denied the report on Tuesday.\nOfficials said it, according to Reuters."


def span(phrase: str) -> dict:
    start = TEXT.index(phrase)
    return {"start": start, "end": start + len(phrase)}


def test_undo_and_redo_accept_and_reject(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    first = SuggestionFactory(document=document, **span("denied the report"))
    second = SuggestionFactory(document=document, **span("according to Reuters"))
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.keyboard.press("j")
    page.keyboard.press("a")  # accept the first
    page.locator("#doc-text mark.ann").first.wait_for()
    page.keyboard.press("j")
    page.keyboard.press("r")  # reject the second
    page.locator(f"#s-{second.pk}").wait_for(state="detached")
    assert Suggestion.objects.get(pk=second.pk).status == "rejected"

    page.keyboard.press("Control+z")  # undo the reject
    page.locator(f"#s-{second.pk}").wait_for()
    assert Suggestion.objects.get(pk=second.pk).status == "pending"
    page.keyboard.press("Control+z")  # undo the accept
    page.locator(f"#s-{first.pk}").wait_for()
    expect(page.locator("#doc-text mark.ann")).to_have_count(0)
    assert not Annotation.objects.exists()
    assert not SuggestionDecision.objects.exists()
    assert Suggestion.objects.get(pk=first.pk).status == "pending"

    page.keyboard.press("Control+Shift+z")  # accept again
    page.locator("#doc-text mark.ann").first.wait_for()
    assert Annotation.objects.get(suggestion=first).quote == "denied the report"
    page.keyboard.press("Control+Shift+z")  # reject again
    page.locator(f"#s-{second.pk}").wait_for(state="detached")
    assert Suggestion.objects.get(pk=second.pk).status == "rejected"
    # the accepted annotation's deletion is in its history
    assert Annotation.history.filter(history_type="-").count() == 1
    assert problems == []


def test_undo_of_an_accept_changed_meanwhile_says_so_in_the_live_region(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    suggestion = SuggestionFactory(document=document, **span("denied the report"))
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.locator("#doc-text mark.ann").first.wait_for()
    accepted = Annotation.objects.get(suggestion=suggestion)
    # the same reviewer, in another tab, adds a note
    annotation_update(annotation=accepted, user=reviewer, version=1, note="checked")
    page.keyboard.press("Control+z")
    expect(page.locator("#flash[aria-live] .error")).to_contain_text(
        "changed meanwhile (now version 2)"
    )
    assert Annotation.objects.filter(pk=accepted.pk).exists()
    assert Suggestion.objects.get(pk=suggestion.pk).status == "accepted"
    assert [p for p in problems if "409" not in p] == []
