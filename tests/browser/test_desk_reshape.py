"""Journey: focus an annotation and reshape it by keyboard (Alt+Shift+arrows by character,
with Ctrl by word; [ picks the start): the server recomputes the quote (issue 17 item 2)."""

from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER
from tests.factories import AnnotationFactory, DocumentFactory, UserFactory

pytestmark = BROWSER

TEXT = "Officials said the troops arrived, according to Reuters, on Tuesday. 😀 Café naïve."


def test_reshape_an_annotation_by_keyboard(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    start = TEXT.index("according")
    annotation = AnnotationFactory(
        document=document, created_by=reviewer, start=start, end=start + 9
    )
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    mark = page.locator(f"#a-{annotation.pk}")
    mark.focus()
    expect(page.locator("#selection-info")).to_contain_text("Alt+Shift+←/→ moves the end")

    def quote_is(expected: str) -> None:
        expect(page.locator(f"#row-{annotation.pk} q")).to_have_text(expected)
        expect(page.locator(f"#a-{annotation.pk}")).to_be_focused()

    page.keyboard.press("Alt+Shift+ArrowRight")
    quote_is("according ")
    page.keyboard.press("Control+Alt+Shift+ArrowRight")
    quote_is("according to")
    page.keyboard.press("[")
    page.keyboard.press("Control+Alt+Shift+ArrowLeft")
    quote_is("arrived, according to")
    # presses made while a step is being saved are applied after it, none is lost
    page.keyboard.press("Alt+Shift+ArrowRight")
    page.keyboard.press("Alt+Shift+ArrowRight")
    page.keyboard.press("Alt+Shift+ArrowRight")
    quote_is("ived, according to")
    annotation.refresh_from_db()
    assert annotation.quote == TEXT[annotation.start : annotation.end] == "ived, according to"
    assert annotation.version == 7 and annotation.history.count() == 7
    assert problems == []


def test_reshape_across_an_emoji_counts_code_points(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    start = TEXT.index("Tuesday.")
    annotation = AnnotationFactory(
        document=document, created_by=reviewer, start=start, end=start + 9
    )
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    page.locator(f"#a-{annotation.pk}").focus()
    page.keyboard.press("Alt+Shift+ArrowRight")  # the emoji: one code point, two UTF-16 units
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("Tuesday. 😀")
    assert Annotation.objects.get().quote == "Tuesday. 😀"
    assert problems == []
