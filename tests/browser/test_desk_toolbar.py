"""Journey: the toolbar's Undo and Redo buttons (greyed and disabled while there is nothing
to undo or redo), a click on a highlight focuses it, the search counts "1 match" / "N
matches" (issue 17 items 3, 4 and 8)."""

from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER, select_phrase
from tests.factories import AnnotationFactory, DocumentFactory, UserFactory

pytestmark = BROWSER

TEXT = "Officials said the troops arrived, according to Reuters, on Tuesday. Reuters again."


def test_undo_redo_buttons_click_focus_and_match_count(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    start = TEXT.index("troops")
    existing = AnnotationFactory(document=document, created_by=reviewer, start=start, end=start + 6)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    undo, redo = page.locator("#undo-btn"), page.locator("#redo-btn")
    expect(undo).to_be_disabled()
    expect(redo).to_be_disabled()
    assert float(undo.evaluate("b => getComputedStyle(b).opacity")) < 0.6  # greyed

    # a click (no drag) on a highlight focuses it, with its handles
    page.locator(f"#a-{existing.pk}").click()
    expect(page.locator(f"#a-{existing.pk}")).to_be_focused()
    expect(page.locator(".reshape-handle.end")).to_be_visible()

    select_phrase(page, "according to")
    page.keyboard.press("1")
    expect(page.locator(".ann-list .ann-row")).to_have_count(2)
    expect(undo).to_be_enabled()
    expect(redo).to_be_disabled()
    undo.click()
    expect(page.locator(".ann-list .ann-row")).to_have_count(1)
    expect(undo).to_be_disabled()
    expect(redo).to_be_enabled()
    redo.click()
    expect(page.locator(".ann-list .ann-row")).to_have_count(2)
    expect(redo).to_be_disabled()
    expect(undo).to_be_enabled()
    assert Annotation.objects.count() == 2

    search = page.locator("#doc-search")
    search.fill("according")
    expect(page.locator("#search-info")).to_have_text("1 match")
    search.fill("reuters")
    expect(page.locator("#search-info")).to_have_text("2 matches")
    assert problems == []
