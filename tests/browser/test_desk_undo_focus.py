"""Journey: undo and redo keep the reviewer's place: keyboard focus stays on the highlight the
step changed (or where it was), the page and the sidebar do not scroll (issue 17 item 6)."""

from playwright.sync_api import expect

from annotator.models import Annotation
from tests.browser.conftest import BROWSER
from tests.factories import AnnotationFactory, DocumentFactory, SuggestionFactory, UserFactory

pytestmark = BROWSER

PARAGRAPH = "Officials said the troops arrived, according to Reuters, on Tuesday morning."
TEXT = "\n\n".join(f"{i}. {PARAGRAPH}" for i in range(60))


def at(paragraph: int, phrase: str) -> int:
    return TEXT.index(f"{paragraph}. ") + len(f"{paragraph}. ") + PARAGRAPH.index(phrase)


def place(page) -> dict:
    return page.evaluate(
        """() => ({y: Math.round(scrollY),
                   side: Math.round(document.querySelector('.sidebar').scrollTop),
                   focus: document.activeElement.id})"""
    )


def test_undo_and_redo_keep_focus_and_scroll(page, login, problems):
    reviewer = UserFactory(username="rita", role="reviewer")
    document = DocumentFactory(text=TEXT)
    for i in range(60):  # a long sidebar that scrolls
        AnnotationFactory(
            document=document, created_by=reviewer, start=at(i, "Officials"), end=at(i, " said")
        )
    start = at(30, "according")
    annotation = AnnotationFactory(
        document=document, created_by=reviewer, start=start, end=start + 9
    )
    suggestion = SuggestionFactory(document=document, start=at(33, "Reuters"), end=at(33, ", on"))
    login(reviewer)
    page.goto(f"/documents/{document.pk}/")
    mark = page.locator(f"#a-{annotation.pk}")
    mark.focus()
    page.evaluate("document.querySelector('.sidebar').scrollTop = 700")
    page.keyboard.press("Alt+Shift+ArrowRight")  # reshape: "according "
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("according ")
    expect(mark).to_be_focused()
    before = place(page)
    assert before["y"] > 0 and before["side"] == 700

    page.keyboard.press("Control+z")
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("according")
    expect(page.locator(f"#a-{annotation.pk}")).to_be_focused()
    assert place(page) == before
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(f"#row-{annotation.pk} q")).to_have_text("according ")
    expect(page.locator(f"#a-{annotation.pk}")).to_be_focused()
    assert place(page) == before

    # an accept, undone and redone: the whole workspace is re-rendered, the place is kept
    page.locator(f"#s-{suggestion.pk}").click()
    page.keyboard.press("a")
    expect(page.locator(f"#s-{suggestion.pk}")).to_have_count(0)
    accepted = Annotation.objects.get(suggestion=suggestion)
    page.locator(f"#a-{accepted.pk}").focus()
    page.evaluate("document.querySelector('.sidebar').scrollTop = 500")
    before = place(page)
    page.keyboard.press("Control+z")
    expect(page.locator(f"#s-{suggestion.pk}")).to_have_count(1)
    expect(page.locator(f"#s-{suggestion.pk}")).to_be_focused()
    assert place(page) == {**before, "focus": f"s-{suggestion.pk}"}
    page.keyboard.press("Control+Shift+z")
    expect(page.locator(f"#s-{suggestion.pk}")).to_have_count(0)
    again = Annotation.objects.get(suggestion=suggestion)
    assert again.pk == accepted.pk  # the same annotation, restored
    expect(page.locator(f"#a-{again.pk}")).to_be_focused()
    assert place(page) == {**before, "focus": f"a-{again.pk}"}
    assert problems == []
