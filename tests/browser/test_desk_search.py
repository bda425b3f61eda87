"""Journey: press /, type a phrase, Enter selects the next match (Shift+Enter the previous),
a label's key tags it (issue 17 item 4)."""

from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER
from tests.factories import DocumentFactory, UserFactory

pytestmark = BROWSER

TEXT = (
    "The ministry called it a fabrication.\n\n"
    "Officials in Seoul said the claims were “a total fabrication”. 😀 Fabrication again."
)


def test_search_and_tag_a_phrase_with_the_keyboard(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.wait_for_selector("#doc-text")
    page.keyboard.press("/")
    expect(page.locator("#doc-search")).to_be_focused()
    page.keyboard.type("fabrication")
    expect(page.locator("#search-info")).to_have_text("3 matches")
    page.keyboard.press("Enter")  # first match
    page.keyboard.press("/")
    page.keyboard.press("Enter")  # second
    page.keyboard.press("/")
    page.keyboard.press("Enter")  # third (after the emoji)
    page.keyboard.press("/")
    page.keyboard.press("Shift+Enter")  # back to the second
    expect(page.locator("#search-info")).to_contain_text("Match 2 of 3")
    page.keyboard.press("2")
    expect(page.locator(".ann-list .ann-row")).to_have_count(1)
    annotation = Annotation.objects.get()
    second = TEXT.index("fabrication”")
    assert (annotation.start, annotation.end, annotation.quote) == (
        second,
        second + 11,
        "fabrication",
    )
    # after the emoji: offsets in code points
    page.keyboard.press("/")
    page.keyboard.press("Enter")
    expect(page.locator("#search-info")).to_contain_text("Match 3 of 3")
    page.keyboard.press("1")
    expect(page.locator(".ann-list .ann-row")).to_have_count(2)
    third = TEXT.index("Fabrication again")
    assert Annotation.objects.filter(start=third, end=third + 11, quote="Fabrication").exists()
    assert problems == []
