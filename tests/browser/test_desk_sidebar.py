"""Journey: the sidebar lists your annotations above the suggestions; a delete keeps the
sidebar's scroll and moves focus to the next row; messages sit in a fixed live region that
never moves the text; Undo is on screen and works (issue 17 item 6, issue 18 item 2)."""

from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER, select_phrase
from tests.factories import AnnotationFactory, DocumentFactory, SuggestionFactory, UserFactory

pytestmark = BROWSER

LINES = [f"Line {i:02}: officials said the figures were checked." for i in range(60)]
TEXT = "\n".join(LINES)


def test_delete_keeps_scroll_and_focus_and_messages_never_move_the_text(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    for i in range(40):
        start = TEXT.index(f"Line {i:02}")
        AnnotationFactory(document=document, created_by=reviewer, start=start, end=start + 7)
    start = TEXT.index("Line 50")
    SuggestionFactory(document=document, start=start, end=start + 7)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.wait_for_selector("#doc-text")

    # yours first: the annotations' section comes before the suggestions'
    headings = page.locator(".sidebar h2").all_text_contents()
    assert headings[0].startswith("Annotations") and headings[1].startswith("Suggestions")

    sidebar = page.locator(".sidebar")
    sidebar.evaluate("s => { s.scrollTop = 600; }")
    scroll_before = sidebar.evaluate("s => s.scrollTop")
    assert scroll_before > 0
    text_top = page.locator("#doc-text").evaluate("t => t.getBoundingClientRect().top")
    victim = Annotation.objects.order_by("start")[20]
    row = page.locator(f"#row-{victim.pk}")
    row.scroll_into_view_if_needed()
    scroll_before = sidebar.evaluate("s => s.scrollTop")
    row.locator("button.delete").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#row-{victim.pk}")).to_have_count(0)
    flash = page.locator("#flash .flash.ok")
    expect(flash).to_contain_text("Deleted")
    # the next row's link has the focus; the sidebar did not jump to the top
    nxt = Annotation.objects.order_by("start")[20]
    expect(page.locator(f"#row-{nxt.pk} a.ann-link")).to_be_focused()
    assert abs(sidebar.evaluate("s => s.scrollTop") - scroll_before) < 5
    # the message is on screen and did not push the text down
    assert page.locator("#doc-text").evaluate("t => t.getBoundingClientRect().top") == text_top
    undo = page.locator("#flash button.undo")
    box = undo.bounding_box()
    assert box and 0 <= box["y"] <= page.viewport_size["height"] - box["height"]
    assert page.locator("#flash").get_attribute("aria-live") == "polite"
    undo.click()
    expect(page.locator(f"#row-{victim.pk}")).to_have_count(1)
    expect(page.locator("#flash .flash.ok")).to_have_text("Restored.")
    assert Annotation.objects.filter(pk=victim.pk).exists()
    assert problems == []


def test_hint_line_is_cleared_when_the_selection_goes(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.wait_for_selector("#doc-text")
    select_phrase(page, "officials said")
    expect(page.locator("#selection-info")).to_contain_text(
        "Selected 14 characters: press 1, 2 or 3"
    )
    page.locator("#doc-text").click(position={"x": 5, "y": 5})
    expect(page.locator("#selection-info")).to_have_text("")
    assert problems == []


def test_queue_fits_an_800_pixel_window(page, login, problems):
    from tests.factories import CollectionFactory

    reviewer = UserFactory(username="rita", role="reviewer")
    collection = CollectionFactory(slug="demo", name="A collection with a rather long name")
    for i in range(3):
        DocumentFactory(
            collection=collection,
            title=f"Officials in the capital said the troops arrived at the border, part {i}",
        )
    login(reviewer)
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto("/")
    page.wait_for_selector("table.queue")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    assert problems == []
